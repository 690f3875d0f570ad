//go:build e2e

package e2e

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// TestTLS: `krakectl serve` over HTTPS with client certificates and a
// token file: a verified certificate is its CN, a token its user, no
// credentials get 401 with WWW-Authenticate, health stays open to
// probes, the in-process controllers work over TLS with their own
// identity, and a rotated certificate is served without a restart.
func TestTLS(t *testing.T) {
	certs := framework.NewTLSFiles(t)
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("tok-alice,alice,1,\"team-a\"\ntok-root,root,0,\"system:masters\"\ntok-ctrl,ctrl,2,\"system:masters\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The scheduler runs apart, as its own user over TLS; debug logs so the
	// log scan at the end sees everything.
	krake := framework.StartKrakeTLS(t, certs, "--client-ca", certs.CA, "--token-auth-file", tokens,
		"--controllers=cluster,application,gc", "--log-level", "debug")
	ctrlToken := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(ctrlToken, []byte("tok-ctrl\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	scheduler := framework.Start(t, "krakectl", "controller", "scheduler", "--api-url", krake.URL,
		"--api-ca-file", certs.CA, "--api-token-file", ctrlToken, "--log-level", "debug")
	me := func(tlsCfg *tls.Config, token string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, krake.URL+"/me", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), resp.Header
	}
	if code, body, _ := me(certs.ClientTLS(t, true), ""); code != 200 || !strings.Contains(body, `"user":"client"`) {
		t.Errorf("/me with a client certificate = %d %s, want user client (its CN)", code, body)
	}
	if code, body, _ := me(certs.ClientTLS(t, false), "tok-alice"); code != 200 || !strings.Contains(body, `"user":"alice"`) || !strings.Contains(body, `"team-a"`) {
		t.Errorf("/me with a token = %d %s, want alice in team-a", code, body)
	}
	code, body, header := me(certs.ClientTLS(t, false), "")
	if code != 401 || !strings.Contains(body, "UNAUTHORIZED") || header.Get("WWW-Authenticate") == "" {
		t.Errorf("/me without credentials = %d %s (WWW-Authenticate %q), want 401", code, body, header.Get("WWW-Authenticate"))
	}
	if code, _, _ := me(certs.ClientTLS(t, false), "tok-mallory"); code != 401 {
		t.Errorf("/me with an unknown token = %d, want 401", code)
	}
	// Plain HTTP to the TLS port is refused.
	if resp, err := http.Get(strings.Replace(krake.URL, "https://", "http://", 1) + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP was served on the TLS port")
		}
	}

	// rok with a token over TLS; the in-process scheduler answers through
	// TLS with its own identity (NO_SUITABLE_RESOURCE: no cluster).
	rok := exec.Command(filepath.Join(framework.Binaries(t), "rok"), "config", "set-context", "secure", "--api-url", krake.URL, "--ca", certs.CA, "--use")
	cfgHome := t.TempDir()
	rok.Env = append(os.Environ(), "XDG_CONFIG_HOME="+cfgHome)
	if out, err := rok.CombinedOutput(); err != nil {
		t.Fatalf("rok set-context: %v\n%s", err, out)
	}
	c, err := client.New(krake.URL, client.Options{TLS: certs.ClientTLS(t, false), Token: "tok-alice"})
	if err != nil {
		t.Fatal(err)
	}
	// RBAC is on (authentication is configured): alice may do nothing yet.
	if _, err := c.Applications("secure").Create(t.Context(), newApp("over-tls"), client.WriteOptions{}); !client.IsForbidden(err) {
		t.Fatalf("alice without a role: %v, want 403", err)
	}
	// root (system:masters) gives alice applications in "secure".
	root, err := client.New(krake.URL, client.Options{TLS: certs.ClientTLS(t, false), Token: "tok-root"})
	if err != nil {
		t.Fatal(err)
	}
	role := api.MustKind("core", "Role").New().(*api.Role)
	role.Metadata.Name = "secure-apps"
	role.Rules = []api.RoleRule{{API: "kubernetes", Resources: []string{"applications"}, Namespaces: []string{"secure"}, Verbs: []string{"get", "list", "create", "update", "delete"}}}
	if _, err := root.Roles().Create(t.Context(), role, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := api.MustKind("core", "RoleBinding").New().(*api.RoleBinding)
	binding.Metadata.Name = "alice-secure"
	binding.Users, binding.Roles = []string{"alice"}, []string{"secure-apps"}
	if _, err := root.RoleBindings().Create(t.Context(), binding, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice may create in secure once bound", func() (bool, string) {
		_, err := c.Applications("secure").Create(t.Context(), newApp("over-tls"), client.WriteOptions{})
		return err == nil, fmt.Sprint(err)
	})
	if _, err := root.Applications("elsewhere").Create(t.Context(), newApp("hidden"), client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Applications("elsewhere").Get(t.Context(), "hidden"); !client.IsForbidden(err) {
		t.Errorf("alice reading another namespace: %v, want 403", err)
	}
	// Across namespaces she sees her namespace only (the original showed all).
	all, err := c.Applications("").List(t.Context(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range all.Items {
		if a.Metadata.Namespace != "secure" {
			t.Errorf("alice's list across namespaces shows %s/%s", a.Metadata.Namespace, a.Metadata.Name)
		}
	}
	if len(all.Items) != 1 {
		t.Errorf("alice's list across namespaces has %d items, want 1", len(all.Items))
	}
	eventually(t, 20*time.Second, "the scheduler (a separate process, over TLS) says why over-tls waits", func() (bool, string) {
		app, err := c.Applications("secure").Get(t.Context(), "over-tls")
		if err != nil {
			return false, err.Error()
		}
		return app.Status.Reason != nil && app.Status.Reason.Code == api.ReasonNoSuitableResource, app.Status.State
	})
	// rok without credentials: exit 1 with the 401.
	list := exec.Command(filepath.Join(framework.Binaries(t), "rok"), "kube", "app", "list", "-n", "secure")
	list.Env = rok.Env
	out, err := list.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "401 UNAUTHORIZED") {
		t.Errorf("rok without credentials: %v\n%s", err, out)
	}

	// Secrets never reach a log line: a cluster's token and a provider's
	// password go through create, get, list, a bad update and a delete.
	cluster := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
	cluster.Metadata.Name = "edge"
	cluster.Spec.Kubeconfig = map[string]any{"apiVersion": "v1", "kind": "Config", "current-context": "c",
		"clusters": []any{map[string]any{"name": "c", "cluster": map[string]any{"server": "https://127.0.0.1:1"}}},
		"users":    []any{map[string]any{"name": "u", "user": map[string]any{"token": "kubesecret-4711"}}},
		"contexts": []any{map[string]any{"name": "c", "context": map[string]any{"cluster": "c", "user": "u"}}}}
	if _, err := root.Clusters("secure").Create(t.Context(), cluster, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	provider := api.MustKind("infrastructure", "GlobalInfrastructureProvider").New().(*api.InfrastructureProvider)
	provider.Metadata.Name = "im"
	password, user := "im-pass-0815", "im-user"
	// A username with the password: the API refuses an IM provider
	// without a token or both, as the original does.
	provider.Spec = api.InfrastructureProviderSpec{Type: "im", IM: &api.IMSpec{URL: "http://127.0.0.1:1", Username: &user, Password: &password}}
	if _, err := root.GlobalInfrastructureProviders().Create(t.Context(), provider, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Clusters("secure").Get(t.Context(), "edge") // alice: 403
	_, _ = root.Clusters("").List(t.Context(), client.ListOptions{})
	bad := *provider
	bad.Spec.IM = &api.IMSpec{URL: "not a url", Username: &user, Password: &password}
	if _, err := root.GlobalInfrastructureProviders().Update(t.Context(), &bad, client.WriteOptions{}); !client.IsInvalid(err) {
		t.Errorf("a bad update: %v, want 422", err)
	} else if strings.Contains(err.Error(), password) {
		t.Errorf("the 422 shows the password: %v", err)
	}
	time.Sleep(2 * time.Second) // the cluster controller probes edge and logs what it finds
	if _, err := root.Clusters("secure").Delete(t.Context(), "edge", client.WriteOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"kubesecret-4711", "im-pass-0815", "tok-alice", "tok-root", "tok-ctrl"} {
		for name, logs := range map[string]string{"krakectl serve": krake.Output(), "krakectl controller": scheduler.Output()} {
			if strings.Contains(logs, secret) {
				t.Errorf("%s logged the secret %q", name, secret)
			}
		}
	}
	if !strings.Contains(krake.Output(), "level=DEBUG") {
		t.Error("no debug log lines to scan")
	}

	// Rotation: new files at the same paths are served to new connections.
	rotated := framework.NewTLSFiles(t)
	for _, pair := range [][2]string{{rotated.ServerCert, certs.ServerCert}, {rotated.ServerKey, certs.ServerKey}} {
		data, err := os.ReadFile(pair[0])
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pair[1], data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "the rotated certificate served without a restart", func() (bool, string) {
		resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: rotated.ClientTLS(t, false)}}).Get(krake.URL + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return resp.StatusCode == 200, fmt.Sprint(resp.StatusCode)
	})
}

// TestTLS_requireClientCert: with --require-client-cert a TLS client
// without a certificate fails the handshake; with one it gets in; Krake's
// own in-process parts still reach the API (the base roles get created,
// the controllers list without errors).
func TestTLS_requireClientCert(t *testing.T) {
	certs := framework.NewTLSFiles(t)
	krake := framework.StartKrakeTLS(t, certs, "--client-ca", certs.CA, "--require-client-cert", "--log-level", "debug")
	if _, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(t, false)}}).Get(krake.URL + "/readyz"); err == nil {
		t.Error("a client without a certificate got an answer")
	}
	resp, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: certs.ClientTLS(t, true)}}).Get(krake.URL + "/me")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"user":"client"`) {
		t.Errorf("with a certificate: %d %s", resp.StatusCode, body)
	}
	if log := krake.Process.Output(); !strings.Contains(log, "base roles in place") || strings.Contains(log, "informer list failed") {
		t.Errorf("Krake's own parts could not reach the API:\n%s", log)
	}
}

// TestExposure: beyond loopback, krakectl refuses to start without TLS
// or with requests that need no credentials, unless --insecure.
func TestExposure(t *testing.T) {
	certs := framework.NewTLSFiles(t)
	bin := filepath.Join(framework.Binaries(t), "krakectl")
	port := strings.Split(framework.FreeAddr(t), ":")[1]
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:" + port}, "without TLS"},
		{[]string{"--listen", "0.0.0.0:" + port, "--tls-cert", certs.ServerCert, "--tls-key", certs.ServerKey}, "need no credentials"},
		{[]string{"--listen", "0.0.0.0:" + port, "--tls-cert", certs.ServerCert, "--tls-key", certs.ServerKey, "--client-ca", certs.CA, "--allow-anonymous"}, "need no credentials"},
	} {
		cmd := exec.Command(bin, append([]string{"serve", "--data-dir", framework.ShortTempDir(t)}, tc.args...)...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tc.want) || !strings.Contains(string(out), "--insecure") {
			t.Errorf("krakectl serve %v: %v\n%s\nwant a refusal saying %q", tc.args, err, out, tc.want)
		}
	}
}
