package app

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/krake-go/krake/krakectl/internal/pki"
)

// TestDefaultHookCA: workloads get the CA that signed the API's
// certificate when --client-ca is it, else the certificate itself.
func TestDefaultHookCA(t *testing.T) {
	dir := t.TempDir()
	ca, err := pki.NewCA("test-ca", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := ca.Write(dir); err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.IssueFiles(dir, "api", pki.Request{CommonName: "api", DNSNames: []string{"localhost"}, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.NewCA("other", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherFile := filepath.Join(t.TempDir(), "other.crt")
	if err := os.WriteFile(otherFile, other.PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	certPEM, _ := os.ReadFile(cert)
	for _, tt := range []struct {
		clientCA string
		want     []byte
	}{
		{filepath.Join(dir, pki.CACertFile), ca.PEM},
		{otherFile, certPEM},
		{"", certPEM},
	} {
		got, err := defaultHookCA(TLSConfig{CertFile: cert, KeyFile: key, ClientCAFile: tt.clientCA})
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("client CA %q: %v, got the wrong bundle", tt.clientCA, err)
		}
	}
}
