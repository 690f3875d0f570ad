//go:build e2e

package e2e

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/e2e/framework"
)

// TestOIDC: Krake accepts ID tokens of a real OpenID provider (zitadel/oidc's
// op, started on 127.0.0.1 over HTTPS, trusted through --oidc-ca-file):
// the user is the sub claim, the groups claim feeds RBAC, and expired,
// wrong-audience, wrong-issuer and tampered tokens get 401. A provider
// restart with a new signing key is picked up on the first token that
// names the new key; tokens of the old key stop working. No token reaches
// Krake's log.
func TestOIDC(t *testing.T) {
	certs := framework.NewTLSFiles(t)
	users := []framework.OIDCUser{
		{ID: "alice", Password: "pw-alice", Groups: []string{"team-a"}},
		{ID: "bob", Password: "pw-bob", Groups: []string{"team-b"}},
	}
	krakeClient := framework.OIDCClient{ID: "krake", Secret: "krake-secret"}
	shortClient := framework.OIDCClient{ID: "krake-short", Secret: "short-secret", IDTokenLifetimeSeconds: 3}
	otherClient := framework.OIDCClient{ID: "grafana", Secret: "grafana-secret"}
	clients := []framework.OIDCClient{krakeClient, shortClient, otherClient}
	opAddr := framework.FreeAddr(t)
	op := framework.StartOIDCProvider(t, opAddr, &certs, users, clients)

	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("tok-root,root,0,\"system:masters\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// krake-short is a second audience of the same provider: Krake accepts
	// only --oidc-client-id's, so the expiry case uses its own Krake.
	krake := framework.StartKrakeTLS(t, certs, "--token-auth-file", tokens, "--controllers=",
		"--oidc-issuer-url", op.Issuer, "--oidc-client-id", "krake", "--oidc-ca-file", certs.CA, "--log-level", "debug")
	target := krake // which Krake call talks to
	call := func(method, path, token, body string) (int, string) {
		t.Helper()
		return target.Do(t, method, path, framework.Bearer(token), body)
	}

	alice := op.IDToken(t, krakeClient, "alice", "pw-alice", "groups")
	bob := op.IDToken(t, krakeClient, "bob", "pw-bob", "groups")
	if code, body := call("GET", "/me", alice, ""); code != 200 || !strings.Contains(body, `"user":"alice"`) || !strings.Contains(body, `"team-a"`) {
		t.Fatalf("/me with alice's ID token = %d %s, want alice in team-a", code, body)
	}

	// The groups claim is what RBAC binds: team-a may list in namespace a.
	for _, doc := range []string{
		`{"api":"core","kind":"Role","metadata":{"name":"a-viewer"},"rules":[{"api":"kubernetes","resources":["applications"],"namespaces":["a"],"verbs":["list","get"]}]}`,
		`{"api":"core","kind":"RoleBinding","metadata":{"name":"a-viewers"},"groups":["team-a"],"users":[],"roles":["a-viewer"]}`,
	} {
		path := "/core/roles"
		if strings.Contains(doc, "RoleBinding") {
			path = "/core/rolebindings"
		}
		if code, body := call("POST", path, "tok-root", doc); code != 200 {
			t.Fatalf("POST %s = %d %s", path, code, body)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body := call("GET", "/kubernetes/namespaces/a/applications", alice, "")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice (team-a by her ID token) lists namespace a: %d %s, want 200", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := call("GET", "/kubernetes/namespaces/a/applications", bob, ""); code != 403 {
		t.Errorf("bob (team-b) lists namespace a: %d, want 403", code)
	}

	// Tokens that must not get in, each with the reason Krake gives.
	other := framework.StartOIDCProvider(t, "", nil, users, clients)
	parts := strings.Split(alice, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := strings.Replace(string(payload), `"sub":"alice"`, `"sub":"root"`, 1)
	if forged == string(payload) {
		t.Fatalf("the ID token's payload has no sub alice: %s", payload)
	}
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]
	bad := []struct{ name, token, reason string }{
		{"wrong audience", op.IDToken(t, otherClient, "alice", "pw-alice", "groups"), "audience"},
		{"wrong issuer", other.IDToken(t, krakeClient, "alice", "pw-alice", "groups"), "no valid credentials"},
		{"tampered", tampered, "signature"},
		{"not a JWT", "not-a-token", "no valid credentials"},
	}
	for _, tt := range bad {
		if code, body := call("GET", "/me", tt.token, ""); code != 401 || !strings.Contains(body, tt.reason) {
			t.Errorf("%s: /me = %d %s, want 401 naming %q", tt.name, code, body, tt.reason)
		}
	}

	// A signing-key rotation: the provider restarts on the same address
	// with a new key. New tokens work (the unknown kid makes Krake fetch
	// the JWKS again); tokens signed by the old key no longer do.
	_ = op.Process.Stop(5 * time.Second) // its exit status is SIGTERM's
	op = framework.StartOIDCProvider(t, opAddr, &certs, users, clients)
	rotated := op.IDToken(t, krakeClient, "alice", "pw-alice", "groups")
	if code, body := call("GET", "/me", rotated, ""); code != 200 || !strings.Contains(body, `"user":"alice"`) {
		t.Errorf("a token of the rotated key: /me = %d %s, want alice", code, body)
	}
	if code, body := call("GET", "/me", alice, ""); code != 401 || !strings.Contains(body, "signature") {
		t.Errorf("a token of the retired key: /me = %d %s, want 401 (signature)", code, body)
	}

	// Expiry: a second Krake for the short-lived client's audience takes
	// its token at once and refuses it once it has expired.
	shortKrake := framework.StartKrakeTLS(t, certs, "--token-auth-file", tokens, "--controllers=",
		"--oidc-issuer-url", op.Issuer, "--oidc-client-id", shortClient.ID, "--oidc-ca-file", certs.CA)
	short := op.IDToken(t, shortClient, "alice", "pw-alice")
	target = shortKrake
	if code, body := call("GET", "/me", short, ""); code != 200 {
		t.Errorf("a fresh short-lived token: /me = %d %s, want 200", code, body)
	}
	deadline = time.Now().Add(15 * time.Second)
	for {
		code, body := call("GET", "/me", short, "")
		if code == 401 && strings.Contains(body, "expired") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a token past its 3 s lifetime: /me = %d %s, want 401 (expired)", code, body)
		}
		time.Sleep(250 * time.Millisecond)
	}
	target = krake

	// No token, whole or as its signature, is in Krake's log.
	for _, token := range []string{alice, bob, rotated, short, tampered} {
		sig := token[strings.LastIndex(token, ".")+1:]
		for _, k := range []*framework.Krake{krake, shortKrake} {
			if strings.Contains(k.Process.Output(), sig) {
				t.Errorf("an ID token's signature is in Krake's log")
			}
		}
	}
}
