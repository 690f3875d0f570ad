package cmd

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/controllers"
	"github.com/krake-go/krake/krakectl/internal/pki"
)

const (
	caValidity   = 10 * 365 * 24 * time.Hour
	certValidity = 365 * 24 * time.Hour
)

func newCerts(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "certs",
		Short: "Make a CA and the certificates of Krake's API, controllers and users",
	}
	var dir string
	cmd.PersistentFlags().StringVar(&dir, "dir", "pki", "directory of the CA and the certificates")
	initCmd := &cobra.Command{
		Use:   "init",
		Short: "Make a new CA (ca.crt, ca.key) in --dir",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			ca, err := pki.NewCA("krake-ca", caValidity)
			if err != nil {
				return err
			}
			if err := ca.Write(dir); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s and %s\n", filepath.Join(dir, pki.CACertFile), filepath.Join(dir, pki.CAKeyFile))
			return nil
		},
	}
	var groups, dnsNames, ips []string
	var validity time.Duration
	issueCmd := &cobra.Command{
		Use:   "issue NAME",
		Short: "Issue NAME.crt and NAME.key, signed by the CA in --dir (CN = NAME, the user; O = --group)",
		Example: `  krakectl certs issue admin --group system:masters
  krakectl certs issue apiserver --dns krake.example.com --ip 127.0.0.1
  krakectl certs issue system:scheduler --group system:controllers`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			ca, err := pki.LoadCA(dir)
			if err != nil {
				return err
			}
			req := pki.Request{CommonName: args[0], Groups: groups, DNSNames: dnsNames, Validity: validity}
			for _, s := range ips {
				ip := net.ParseIP(s)
				if ip == nil {
					return fmt.Errorf("--ip %q is not an IP address", s)
				}
				req.IPs = append(req.IPs, ip)
			}
			cert, key, err := ca.IssueFiles(dir, fileName(args[0]), req)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %s and %s\n", cert, key)
			return nil
		},
	}
	issueCmd.Flags().StringSliceVar(&groups, "group", nil, "groups of the user (the certificate's O), such as system:masters")
	issueCmd.Flags().StringSliceVar(&dnsNames, "dns", nil, "DNS names the certificate serves (makes it a server certificate too)")
	issueCmd.Flags().StringSliceVar(&ips, "ip", nil, "IP addresses the certificate serves")
	issueCmd.Flags().DurationVar(&validity, "validity", certValidity, "how long the certificate is valid (at most the CA's)")
	cmd.AddCommand(initCmd, issueCmd)
	return cmd
}

// fileName turns a user name into a file name (system:gc -> system-gc).
func fileName(user string) string { return strings.ReplaceAll(user, ":", "-") }

func newConfigCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Generate configuration"}
	var dir, listen string
	var hosts []string
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Write a complete secure set-up: CA, certificates for the API, each controller and an admin, krake.yaml, a token file, krakectl.yaml and a rok context",
		Example: `  krakectl config generate --dir secure --host krake.example.com
  krakectl serve --config secure/krake.yaml
  XDG_CONFIG_HOME=secure rok whoami`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return generateConfig(stdout, dir, listen, hosts)
		},
	}
	gen.Flags().StringVar(&dir, "dir", "krake-secure", "directory to write (must not hold a CA yet)")
	gen.Flags().StringVar(&listen, "listen", "127.0.0.1:8443", "address the API will listen on")
	gen.Flags().StringSliceVar(&hosts, "host", nil, "more DNS names or IPs clients reach the API by (127.0.0.1, ::1 and localhost are always in)")
	cmd.AddCommand(gen)
	return cmd
}

// generateConfig writes the secure set-up; see newConfigCmd.
func generateConfig(stdout io.Writer, dir, listen string, hosts []string) error {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return fmt.Errorf("--listen %q: give host:port", listen)
	}
	pkiDir := filepath.Join(dir, "pki")
	ca, err := pki.NewCA("krake-ca", caValidity)
	if err != nil {
		return err
	}
	if err := ca.Write(pkiDir); err != nil {
		return err
	}
	serverReq := pki.Request{CommonName: "system:apiserver", DNSNames: []string{"localhost"},
		IPs: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, Validity: certValidity}
	apiHost := "127.0.0.1"
	for _, h := range append([]string{host}, hosts...) {
		if ip := net.ParseIP(h); ip != nil {
			if !ip.IsUnspecified() {
				serverReq.IPs = append(serverReq.IPs, ip)
			}
		} else if h != "" {
			serverReq.DNSNames = append(serverReq.DNSNames, h)
		}
	}
	if len(hosts) > 0 {
		apiHost = hosts[0]
	} else if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		apiHost = host
	}
	apiURL := "https://" + net.JoinHostPort(apiHost, port)
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	serverCert, serverKey, err := ca.IssueFiles(pkiDir, "apiserver", serverReq)
	if err != nil {
		return err
	}
	adminCert, adminKey, err := ca.IssueFiles(pkiDir, "admin", pki.Request{CommonName: "admin", Groups: []string{"system:masters"}, Validity: certValidity})
	if err != nil {
		return err
	}
	for _, name := range controllers.Names() {
		user := controllers.User(name)
		if _, _, err := ca.IssueFiles(pkiDir, fileName(user), pki.Request{CommonName: user, Groups: []string{"system:controllers"}, Validity: certValidity}); err != nil {
			return err
		}
	}
	tokenBytes := make([]byte, 32)
	if _, err := rand.Read(tokenBytes); err != nil {
		return err
	}
	token := hex.EncodeToString(tokenBytes)
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(token+",admin,admin,\"system:masters\"\n"), 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "admin.token"), []byte(token+"\n"), 0o600); err != nil {
		return err
	}
	files := map[string]any{
		"krake.yaml": map[string]any{
			"listen": listen, "tls-cert": abs(serverCert), "tls-key": abs(serverKey),
			"client-ca": abs(filepath.Join(pkiDir, pki.CACertFile)), "token-auth-file": abs(tokenFile),
			"authorization": "rbac", "data-dir": abs(filepath.Join(dir, "data")),
		},
		// The original CLI's file, which rok also reads.
		"krakectl.yaml": map[string]any{
			"api_url": apiURL, "user": "admin",
			"tls": map[string]any{"enabled": true, "client_ca": abs(filepath.Join(pkiDir, pki.CACertFile)),
				"client_cert": abs(adminCert), "client_key": abs(adminKey)},
		},
		filepath.Join("rok", "config.yaml"): map[string]any{
			"current-context": "krake",
			"contexts": []any{map[string]any{"name": "krake", "api_url": apiURL,
				"tls": map[string]any{"ca": abs(filepath.Join(pkiDir, pki.CACertFile)), "cert": abs(adminCert), "key": abs(adminKey)}}},
		},
	}
	for name, content := range files {
		data, err := yaml.Marshal(content)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, `wrote a secure set-up into %[1]s:
  pki/            CA, the API server's certificate, admin (system:masters), one per controller
  krake.yaml      the API server's settings: TLS, client certificates, the token file, RBAC
  tokens.csv      an admin token (also in admin.token) for scripts
  krakectl.yaml   the original CLI's settings (rok reads it too)
  rok/config.yaml a rok context "krake" with the admin certificate

Start Krake:     krakectl serve --config %[1]s/krake.yaml
Talk to it:      XDG_CONFIG_HOME=%[1]s rok whoami
Controllers apart, each with its own identity, e.g.:
  krakectl controller scheduler --api-url %[2]s --api-ca-file %[1]s/pki/ca.crt --api-cert %[1]s/pki/system-scheduler.crt --api-key %[1]s/pki/system-scheduler.key
`, dir, apiURL)
	return nil
}
