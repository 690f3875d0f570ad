package app

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/krake-go/krake/krakectl/internal/pki"
)

// TLSConfig says how the API serves TLS.
type TLSConfig struct {
	CertFile, KeyFile string
	// ClientCAFile verifies client certificates when presented (they then
	// authenticate: CN = user, O = groups).
	ClientCAFile      string
	RequireClientCert bool
}

// Enabled reports whether TLS is configured.
func (c TLSConfig) Enabled() bool { return c.CertFile != "" || c.KeyFile != "" }

// reloadEvery bounds how often the files are checked for changes.
const reloadEvery = 2 * time.Second

// watchedFile re-reads a file when its modification time or size changes
// (certificate rotation without a restart).
type watchedFile struct {
	path    string
	mu      sync.Mutex
	checked time.Time
	mod     time.Time
	size    int64
	data    []byte
}

func (f *watchedFile) read() (data []byte, changed bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.data != nil && time.Since(f.checked) < reloadEvery {
		return f.data, false, nil
	}
	f.checked = time.Now()
	st, err := os.Stat(f.path)
	if err != nil {
		if f.data != nil {
			return f.data, false, nil // mid-rotation: keep serving the last good one
		}
		return nil, false, err
	}
	if f.data != nil && st.ModTime().Equal(f.mod) && st.Size() == f.size {
		return f.data, false, nil
	}
	data, err = os.ReadFile(f.path)
	if err != nil {
		return nil, false, err
	}
	f.data, f.mod, f.size = data, st.ModTime(), st.Size()
	return data, true, nil
}

// certReloader serves the key pair in two files, loading it again when
// either changes.
type certReloader struct {
	cert, key watchedFile
	mu        sync.Mutex
	current   *tls.Certificate
}

func (c *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	certPEM, certChanged, err := c.cert.read()
	if err != nil {
		return nil, err
	}
	keyPEM, keyChanged, err := c.key.read()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current != nil && !certChanged && !keyChanged {
		return c.current, nil
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if c.current != nil {
			return c.current, nil // a half-written pair: keep the last good one
		}
		return nil, err
	}
	c.current = &pair
	return c.current, nil
}

// caReloader keeps a certificate pool current with its file.
type caReloader struct {
	file watchedFile
	mu   sync.Mutex
	pool *x509.CertPool
}

func (c *caReloader) get() (*x509.CertPool, error) {
	data, changed, err := c.file.read()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pool != nil && !changed {
		return c.pool, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		if c.pool != nil {
			return c.pool, nil
		}
		return nil, fmt.Errorf("%s holds no PEM certificate", c.file.path)
	}
	c.pool = pool
	return pool, nil
}

// selfClientCert is the transport certificate of Krake's own in-process
// clients when the API demands client certificates: signed by a CA that
// exists only in this process's memory, which the API trusts beside
// --client-ca. Who the clients are is still their start-up tokens.
type selfClientCert struct {
	ca   *x509.Certificate
	cert tls.Certificate
}

func newSelfClientCert() (*selfClientCert, error) {
	ca, err := pki.NewCA("krake-self-transport", 10*365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, err := ca.Issue(pki.Request{CommonName: "system:krake-self-transport", Validity: 10 * 365 * 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	return &selfClientCert{ca: ca.Cert, cert: pair}, nil
}

// serverTLS is the API's TLS configuration: TLS 1.2 or newer, the key
// pair and client CAs read again when their files change; self, when not
// nil, is trusted as a client CA too.
func serverTLS(cfg TLSConfig, self *selfClientCert) (*tls.Config, error) {
	if cfg.CertFile == "" || cfg.KeyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	certs := &certReloader{cert: watchedFile{path: cfg.CertFile}, key: watchedFile{path: cfg.KeyFile}}
	if _, err := certs.get(nil); err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: certs.get}
	if cfg.RequireClientCert && cfg.ClientCAFile == "" {
		return nil, errors.New("--require-client-cert needs --client-ca to verify them")
	}
	if cfg.ClientCAFile == "" {
		return base, nil
	}
	cas := &caReloader{file: watchedFile{path: cfg.ClientCAFile}}
	if _, err := cas.get(); err != nil {
		return nil, fmt.Errorf("--client-ca: %w", err)
	}
	clientAuth := tls.VerifyClientCertIfGiven
	if cfg.RequireClientCert {
		clientAuth = tls.RequireAndVerifyClientCert
	}
	base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		pool, err := cas.get()
		if err != nil {
			return nil, err
		}
		if self != nil {
			pool = pool.Clone()
			pool.AddCert(self.ca)
		}
		c := base.Clone()
		c.GetConfigForClient = nil
		c.ClientCAs, c.ClientAuth = pool, clientAuth
		return c, nil
	}
	return base, nil
}

// selfTLS is how the in-process controllers trust the API's certificate:
// the certificates of the served file are their roots, and the name they
// check is one the certificate holds.
func selfTLS(certFile string) (*tls.Config, error) {
	data, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", certFile)
	}
	leaf, err := firstCert(data)
	if err != nil {
		return nil, err
	}
	name := ""
	switch {
	case len(leaf.IPAddresses) > 0:
		name = leaf.IPAddresses[0].String()
	case len(leaf.DNSNames) > 0:
		name = leaf.DNSNames[0]
	default:
		return nil, fmt.Errorf("%s names no host or address (subjectAltName)", certFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: name, MinVersion: tls.VersionTLS12}, nil
}

func firstCert(pemData []byte) (*x509.Certificate, error) {
	for block, rest := pem.Decode(pemData); block != nil; block, rest = pem.Decode(rest) {
		if block.Type == "CERTIFICATE" {
			return x509.ParseCertificate(block.Bytes)
		}
	}
	return nil, errors.New("no certificate in the file")
}

// isLoopbackHost reports whether host (of a listen address) is loopback.
func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// defaultHookCA is the bundle workloads verify the API with when
// --hook-ca-file is not given: the client CA when it signed the API's
// certificate (as `krakectl config generate` sets it up), else the
// certificate itself (self-signed, or pinned).
func defaultHookCA(cfg TLSConfig) ([]byte, error) {
	certPEM, err := os.ReadFile(cfg.CertFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert: %w", err)
	}
	if cfg.ClientCAFile == "" {
		return certPEM, nil
	}
	caPEM, err := os.ReadFile(cfg.ClientCAFile)
	if err != nil {
		return nil, fmt.Errorf("--client-ca: %w", err)
	}
	leaf, err := firstCert(certPEM)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err == nil {
		return caPEM, nil
	}
	return certPEM, nil
}
