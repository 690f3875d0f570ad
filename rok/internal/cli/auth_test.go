package cli_test

import (
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/server/servertest"
)

// TestToken: a context's --token (or ROK_TOKEN) is sent as a bearer
// token; whoami shows the user; config view never shows the token; a
// request without it fails with the 401 and a hint.
func TestToken(t *testing.T) {
	srv, err := servertest.StartWith(servertest.Options{Authenticator: auth.Chain{
		auth.NewTokens(map[string]auth.User{"tok-alice": {Name: "alice", Groups: []string{"team-a"}}})}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r := newRunner(t)
	delete(r.env, "ROK_API_URL")
	r.must("config", "set-context", "secure", "--api-url", srv.URL, "--token", "tok-alice", "--use")
	if out := r.must("whoami").stdout; out != "user:   alice\ngroups: team-a\n" {
		t.Errorf("whoami = %q", out)
	}
	view := r.must("config", "view").stdout
	if strings.Contains(view, "tok-alice") || !strings.Contains(view, "token: REDACTED") || !strings.Contains(view, "a bearer token (from context secure)") {
		t.Errorf("config view shows or loses the token:\n%s", view)
	}
	r.must("config", "set-context", "nocreds", "--api-url", srv.URL, "--use")
	res := r.run("kube", "app", "list")
	if res.code != 1 || !strings.Contains(res.stderr, "401 UNAUTHORIZED") || !strings.Contains(res.stderr, "rok sent no credentials") ||
		!strings.Contains(res.stderr, "rok config view") {
		t.Errorf("without a token: exit %d, stderr %q", res.code, res.stderr)
	}
	r.must("config", "set-context", "wrong", "--api-url", srv.URL, "--token", "tok-mallory", "--use")
	if res := r.run("kube", "app", "list"); res.code != 1 || !strings.Contains(res.stderr, "rok sent a bearer token (from context wrong)") ||
		strings.Contains(res.stderr, "tok-mallory") {
		t.Errorf("with a wrong token: exit %d, stderr %q, want what rok sent, never the token", res.code, res.stderr)
	}
	r.env["ROK_TOKEN"] = "tok-alice"
	if out := r.must("whoami").stdout; !strings.Contains(out, "alice") {
		t.Errorf("whoami with ROK_TOKEN = %q", out)
	}
}
