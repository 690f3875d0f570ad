//go:build e2e

package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// TestExternalEtcd_TLSClientCertificates: `krakectl api` reaches an
// external etcd that requires TLS client certificates, with
// --etcd-cacert/--etcd-cert/--etcd-key, and fails clearly without them.
func TestExternalEtcd_TLSClientCertificates(t *testing.T) {
	certs := framework.NewTLSFiles(t)
	etcdURL := framework.StartEtcd(t, &certs)

	api := framework.StartKrakeAPIArgs(t, "--etcd-endpoints", etcdURL,
		"--etcd-cacert", certs.CA, "--etcd-cert", certs.ClientCert, "--etcd-key", certs.ClientKey)
	c := newClient(t, api.URL)
	if _, err := c.Applications("tls").Create(t.Context(), newApp("over-tls"), clientWrite()); err != nil {
		t.Fatalf("create through an API on TLS etcd: %v", err)
	}

	// Without a client certificate etcd refuses, and krakectl says so.
	bin := filepath.Join(framework.Binaries(t), "krakectl")
	cmd := exec.Command(bin, "api", "--listen", framework.FreeAddr(t), "--etcd-endpoints", etcdURL, "--etcd-cacert", certs.CA)
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "does not answer") {
		t.Errorf("krakectl api without a client certificate: %v\n%s", err, msg)
	}
}

func clientWrite() client.WriteOptions { return client.WriteOptions{} }
