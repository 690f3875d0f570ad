package cli_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/krake-go/krake/e2e/framework"
)

// TestTLSContext: a context's CA, client certificate and key reach an
// https API that requires client certificates (a TLS proxy in front of
// the test API); without the certificate the handshake fails clearly.
func TestTLSContext(t *testing.T) {
	certs := framework.NewTLSFiles(t)
	target, _ := url.Parse(apiURL)
	ts := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(target))
	serverCert, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(certs.CA)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	ts.StartTLS()
	defer ts.Close()

	r := newRunner(t)
	delete(r.env, "ROK_API_URL")
	r.must("config", "set-context", "secure", "--api-url", ts.URL, "--ca", certs.CA, "--cert", certs.ClientCert, "--key", certs.ClientKey, "--use")
	if out := r.must("kube", "app", "list", "--no-headers").stdout; strings.TrimSpace(out) != "" {
		t.Errorf("empty namespace over TLS listed %q", out)
	}
	r.must("config", "set-context", "nocert", "--api-url", ts.URL, "--ca", certs.CA)
	res := r.run("--context", "nocert", "kube", "app", "list")
	if res.code == 0 || !strings.Contains(res.stderr, "certificate") {
		t.Errorf("without a client certificate: exit %d, stderr %q; want a TLS certificate error", res.code, res.stderr)
	}
}
