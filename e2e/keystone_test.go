//go:build e2e

package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/e2e/framework"
)

// TestKeystone: Krake validates tokens of Debian's real Keystone (sqlite,
// fernet tokens, on 127.0.0.1) with GET /v3/auth/tokens, in X-Auth-Token
// or as a bearer token: the user is the token's user, its roles and
// project are groups that RBAC binds; unknown and revoked tokens get 401;
// no token reaches Krake's log.
func TestKeystone(t *testing.T) {
	keystone := framework.StartKeystone(t)
	admin := keystone.Token(t, "admin", keystone.AdminPassword, "admin")
	keystone.CreateUser(t, admin, "alice", "alice-pw", "admin", "member")
	alice := keystone.Token(t, "alice", "alice-pw", "admin")

	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("tok-root,root,0,\"system:masters\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	krake := framework.StartKrake(t, "", "--token-auth-file", tokens, "--keystone-url", keystone.URL, "--controllers=", "--log-level", "debug")
	call := func(method, path string, header http.Header, body string) (int, string) {
		t.Helper()
		return krake.Do(t, method, path, header, body)
	}
	xAuth := func(token string) http.Header { return http.Header{"X-Auth-Token": {token}} }
	bearer := func(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

	code, body := call("GET", "/me", xAuth(admin), "")
	if code != 200 || !strings.Contains(body, `"user":"admin"`) || !strings.Contains(body, `"keystone:admin"`) || !strings.Contains(body, `"keystone:project:admin"`) {
		t.Fatalf("/me with admin's Keystone token in X-Auth-Token = %d %s, want admin with keystone:admin and keystone:project:admin", code, body)
	}
	if code, body := call("GET", "/me", bearer(alice), ""); code != 200 || !strings.Contains(body, `"user":"alice"`) || !strings.Contains(body, `"keystone:member"`) {
		t.Fatalf("/me with alice's token as a bearer = %d %s, want alice with keystone:member", code, body)
	}

	// Keystone roles are what RBAC binds: members may list in namespace a.
	root := bearer("tok-root")
	for path, doc := range map[string]string{
		"/core/roles":        `{"api":"core","kind":"Role","metadata":{"name":"a-viewer"},"rules":[{"api":"kubernetes","resources":["applications"],"namespaces":["a"],"verbs":["list"]}]}`,
		"/core/rolebindings": `{"api":"core","kind":"RoleBinding","metadata":{"name":"keystone-members"},"groups":["keystone:member"],"users":[],"roles":["a-viewer"]}`,
	} {
		if code, body := call("POST", path, root, doc); code != 200 {
			t.Fatalf("POST %s = %d %s", path, code, body)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body := call("GET", "/kubernetes/namespaces/a/applications", xAuth(alice), "")
		if code == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice (keystone:member) lists namespace a: %d %s, want 200", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _ := call("GET", "/kubernetes/namespaces/b/applications", xAuth(alice), ""); code != 403 {
		t.Errorf("alice lists namespace b: %d, want 403", code)
	}

	// A revoked token, never seen before, and a made-up one are refused.
	revoked := keystone.Token(t, "alice", "alice-pw", "admin")
	keystone.Revoke(t, admin, revoked)
	for name, token := range map[string]string{"revoked": revoked, "made up": "gAAAAABmadeuptokenthatkeystonedoesnotknow"} {
		if code, body := call("GET", "/me", xAuth(token), ""); code != 401 || !strings.Contains(body, "UNAUTHORIZED") {
			t.Errorf("a %s token: /me = %d %s, want 401", name, code, body)
		}
	}
	for _, token := range []string{admin, alice, revoked} {
		if strings.Contains(krake.Process.Output(), token) {
			t.Error("a Keystone token is in Krake's log")
		}
	}
}
