package framework

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"
)

// OIDCUser and OIDCClient configure the test OpenID provider.
type OIDCUser struct {
	ID       string   `json:"id"`
	Password string   `json:"password"`
	Groups   []string `json:"groups"`
}

type OIDCClient struct {
	ID                     string `json:"id"`
	Secret                 string `json:"secret"`
	IDTokenLifetimeSeconds int    `json:"idTokenLifetimeSeconds,omitempty"`
}

// OIDCProvider is a running e2e/tools/oidc-provider: a real OpenID
// provider (zitadel/oidc's op package) on 127.0.0.1.
type OIDCProvider struct {
	Issuer  string
	Process *Process
	client  *http.Client
}

// oidcRedirect is where the provider sends the code; nothing listens there:
// the test reads the code from the redirect and does not follow it.
const oidcRedirect = "http://127.0.0.1:1/callback"

var (
	oidcBuildOnce sync.Once
	oidcBin       string
	oidcBuildErr  error
)

// oidcProviderBinary builds the provider into ~/.cache/krake/tools, keyed
// by its sources, so later runs start at once.
func oidcProviderBinary(t testing.TB) string {
	t.Helper()
	oidcBuildOnce.Do(func() {
		src := filepath.Join(ModuleRoot(t), "e2e", "tools", "oidc-provider")
		h := sha256.New()
		for _, f := range []string{"main.go", "go.mod", "go.sum"} {
			b, err := os.ReadFile(filepath.Join(src, f))
			if err != nil {
				oidcBuildErr = err
				return
			}
			h.Write(b)
		}
		cache, err := os.UserCacheDir()
		if err != nil {
			oidcBuildErr = err
			return
		}
		oidcBin = filepath.Join(cache, "krake", "tools", "oidc-provider-"+hex.EncodeToString(h.Sum(nil))[:12])
		if _, err := os.Stat(oidcBin); err == nil {
			return
		}
		tmp := oidcBin + fmt.Sprintf(".%d", os.Getpid())
		build := exec.Command("go", "build", "-o", tmp, ".")
		build.Dir = src
		if out, err := build.CombinedOutput(); err != nil {
			oidcBuildErr = fmt.Errorf("build the OIDC provider: %v\n%s", err, out)
			return
		}
		oidcBuildErr = os.Rename(tmp, oidcBin)
	})
	if oidcBuildErr != nil {
		t.Fatal(oidcBuildErr)
	}
	return oidcBin
}

// StartOIDCProvider runs the provider on addr (FreeAddr when empty), over
// HTTPS with certs' server certificate when certs is not nil, and waits
// until its discovery document is served. Starting it again on the same
// address is a signing-key rotation (each start makes a new key).
func StartOIDCProvider(t testing.TB, addr string, certs *TLSFiles, users []OIDCUser, clients []OIDCClient) *OIDCProvider {
	t.Helper()
	if addr == "" {
		addr = FreeAddr(t)
	}
	type client struct {
		OIDCClient
		RedirectURI string `json:"redirectURI"`
	}
	cfg := struct {
		Users   []OIDCUser `json:"users"`
		Clients []client   `json:"clients"`
	}{Users: users}
	for _, c := range clients {
		cfg.Clients = append(cfg.Clients, client{OIDCClient: c, RedirectURI: oidcRedirect})
	}
	raw, _ := json.Marshal(cfg)
	file := filepath.Join(t.TempDir(), "oidc.json")
	if err := os.WriteFile(file, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--listen", addr, "--config", file}
	scheme := "http"
	httpClient := &http.Client{Timeout: 10 * time.Second}
	if certs != nil {
		args = append(args, "--tls-cert", certs.ServerCert, "--tls-key", certs.ServerKey)
		scheme = "https"
		httpClient.Transport = &http.Transport{TLSClientConfig: certs.ClientTLS(t, false)}
	}
	// The test reads codes from redirects; it never follows one off the provider.
	httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := &OIDCProvider{Issuer: scheme + "://" + addr + "/", client: httpClient,
		Process: StartProgram(t, oidcProviderBinary(t), args...)}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if p.Process.Exited() {
			t.Fatalf("the OIDC provider exited:\n%s", p.Process.Output())
		}
		resp, err := httpClient.Get(p.Issuer + ".well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the OIDC provider did not serve discovery within 30s:\n%s", p.Process.Output())
	return nil
}

// IDToken logs user in through the authorization-code flow, as a browser
// would (authorize, login form, callback), and returns the ID token.
func (p *OIDCProvider) IDToken(t testing.TB, client OIDCClient, user, password string, scopes ...string) string {
	t.Helper()
	token, err := p.idToken(client, user, password, append([]string{"openid"}, scopes...))
	if err != nil {
		t.Fatalf("OIDC login of %s: %v", user, err)
	}
	return token
}

func (p *OIDCProvider) idToken(client OIDCClient, user, password string, scopes []string) (string, error) {
	q := url.Values{"client_id": {client.ID}, "redirect_uri": {oidcRedirect}, "response_type": {"code"},
		"scope": {strings.Join(scopes, " ")}, "state": {"e2e"}}
	loginPage, err := p.redirect(p.client.Get(p.Issuer + "auth?" + q.Encode()))
	if err != nil {
		return "", fmt.Errorf("authorize: %w", err)
	}
	id := loginPage.Query().Get("authRequestID")
	callback, err := p.redirect(p.client.PostForm(p.Issuer+"login/username", url.Values{"username": {user}, "password": {password}, "id": {id}}))
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	done, err := p.redirect(p.client.Get(p.Issuer + strings.TrimPrefix(callback.RequestURI(), "/")))
	if err != nil {
		return "", fmt.Errorf("callback: %w", err)
	}
	code := done.Query().Get("code")
	if code == "" {
		return "", fmt.Errorf("no code in the redirect to %s", done.Redacted())
	}
	req, _ := http.NewRequest(http.MethodPost, p.Issuer+"oauth/token", strings.NewReader(url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {oidcRedirect}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(client.ID, client.Secret)
	resp, err := p.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token endpoint: %s: %s", resp.Status, body)
	}
	var tokens struct {
		IDToken string `json:"id_token"`
	}
	if err := json.Unmarshal(body, &tokens); err != nil || tokens.IDToken == "" {
		return "", fmt.Errorf("token endpoint answered no id_token: %s", body)
	}
	return tokens.IDToken, nil
}

// redirect is the Location of a 302 answer.
func (p *OIDCProvider) redirect(resp *http.Response, err error) (*url.URL, error) {
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return nil, fmt.Errorf("want a redirect, got %s: %s", resp.Status, body)
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, errors.New("redirect without Location")
	}
	return loc, nil
}
