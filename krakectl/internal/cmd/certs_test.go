package cmd

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestConfigGenerate: the set-up is complete and consistent: the API's
// certificate serves its names and chains to the CA, the admin is in
// system:masters, each controller is its user, krake.yaml holds only
// serve's flags, and a second run refuses to replace the CA.
func TestConfigGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secure")
	var out bytes.Buffer
	if err := generateConfig(&out, dir, "0.0.0.0:8443", []string{"krake.example.com", "10.0.0.5"}); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	caPEM, err := os.ReadFile(filepath.Join(dir, "pki", "ca.crt"))
	if err != nil || !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("ca.crt: %v", err)
	}
	leaf := func(name string) *x509.Certificate {
		t.Helper()
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, "pki", name+".crt"), filepath.Join(dir, "pki", name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	server := leaf("apiserver")
	for _, host := range []string{"127.0.0.1", "localhost", "krake.example.com", "10.0.0.5"} {
		if _, err := server.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
			t.Errorf("the API's certificate for %s: %v", host, err)
		}
	}
	admin := leaf("admin")
	if _, err := admin.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil || admin.Subject.CommonName != "admin" ||
		strings.Join(admin.Subject.Organization, ",") != "system:masters" {
		t.Errorf("admin: %v, %s %v", err, admin.Subject.CommonName, admin.Subject.Organization)
	}
	if c := leaf("system-scheduler"); c.Subject.CommonName != "system:scheduler" || strings.Join(c.Subject.Organization, ",") != "system:controllers" {
		t.Errorf("the scheduler's certificate: %s %v", c.Subject.CommonName, c.Subject.Organization)
	}
	if info, err := os.Stat(filepath.Join(dir, "pki", "ca.key")); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("ca.key mode: %v %v", info.Mode(), err)
	}
	o := &serveOptions{}
	cmd := &cobra.Command{Use: "serve"}
	o.addFlags(cmd, true)
	if _, err := applyConfig(cmd.Flags(), filepath.Join(dir, "krake.yaml")); err != nil {
		t.Fatalf("the generated krake.yaml: %v", err)
	}
	if o.tls.ClientCAFile == "" || o.auth.TokenFile == "" || o.auth.Authorization != "rbac" || o.listen != "0.0.0.0:8443" {
		t.Errorf("krake.yaml gave tls %+v auth %+v listen %s", o.tls, o.auth, o.listen)
	}
	if rok, _ := os.ReadFile(filepath.Join(dir, "rok", "config.yaml")); !strings.Contains(string(rok), "https://krake.example.com:8443") {
		t.Errorf("the rok context does not use the first --host:\n%s", rok)
	}
	if err := generateConfig(&out, dir, "127.0.0.1:8443", nil); err == nil || !strings.Contains(err.Error(), "would invalidate") {
		t.Errorf("a second generate into the same directory: %v", err)
	}
}

// TestCerts: init makes a CA once; issue signs a user's certificate with
// its groups, and a server certificate with its names.
func TestCerts(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		cmd := newCerts(&out)
		cmd.SetArgs(append(args, "--dir", dir))
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		err := cmd.Execute()
		return out.String(), err
	}
	if _, err := run("issue", "alice"); err == nil || !strings.Contains(err.Error(), "krakectl certs init") {
		t.Errorf("issue without a CA: %v, want a hint to certs init", err)
	}
	if _, err := run("init"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("init"); err == nil {
		t.Error("a second init replaced the CA")
	}
	if out, err := run("issue", "alice", "--group", "team-a", "--group", "devs"); err != nil || !strings.Contains(out, "alice.crt") {
		t.Fatalf("issue alice: %v %s", err, out)
	}
	if _, err := run("issue", "api", "--dns", "krake.local", "--ip", "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("issue", "bad", "--ip", "not-an-ip"); err == nil || !strings.Contains(err.Error(), "--ip") {
		t.Errorf("a bad --ip: %v", err)
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(filepath.Join(dir, "ca.crt"))
	pool.AppendCertsFromPEM(caPEM)
	for name, opts := range map[string]x509.VerifyOptions{
		"alice": {Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		"api":   {Roots: pool, DNSName: "krake.local"},
	} {
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
		if err != nil {
			t.Fatal(err)
		}
		cert, _ := x509.ParseCertificate(pair.Certificate[0])
		if _, err := cert.Verify(opts); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if name == "alice" && strings.Join(cert.Subject.Organization, ",") != "devs,team-a" {
			t.Errorf("alice's groups: %v", cert.Subject.Organization)
		}
	}
}
