package server_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/embedetcd"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/apiserver/store/watchcache"
)

type rbacEnv struct {
	t    *testing.T
	url  string
	rbac *auth.RBAC
}

func startRBAC(t *testing.T) *rbacEnv { return startRBACGated(t, nil) }

// startRBACGated is startRBAC with Options.AuthorizerReady.
func startRBACGated(t *testing.T, ready <-chan struct{}) *rbacEnv {
	t.Helper()
	e, err := embedetcd.Start(embedetcd.Options{Dir: t.TempDir(), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	st := store.New(e.Client(), store.Options{})
	cache := watchcache.New(st, watchcache.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cache.Start(ctx)
	rbac := auth.NewRBAC()
	tokens := auth.NewTokens(map[string]auth.User{
		"root":  {Name: "root", Groups: []string{auth.MastersGroup}},
		"alice": {Name: "alice", Groups: []string{}}, "bob": {Name: "bob", Groups: []string{}}, "carol": {Name: "carol", Groups: []string{}},
	})
	srv := server.New(server.Options{Store: st, Watcher: cache, Authenticator: auth.Chain{tokens}, Authorizer: rbac, AuthorizerReady: ready})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(srv.StopStreams)
	return &rbacEnv{t: t, url: ts.URL, rbac: rbac}
}

func (e *rbacEnv) do(token, method, path, body string) (int, []byte) {
	e.t.Helper()
	contentType := ""
	if body != "" {
		contentType = "application/json"
	}
	return e.send(token, method, path, contentType, body)
}

func (e *rbacEnv) send(token, method, path, contentType, body string) (int, []byte) {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(e.t.Context(), method, e.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func (e *rbacEnv) patch(token, path, body string) (int, []byte) {
	e.t.Helper()
	return e.send(token, http.MethodPatch, path, "application/merge-patch+json", body)
}

// watch opens a watch and returns its lines.
func (e *rbacEnv) watch(ctx context.Context, token, path string) (int, <-chan string) {
	e.t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		defer resp.Body.Close()
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if line := sc.Text(); line != "" {
				lines <- line
			}
		}
	}()
	return resp.StatusCode, lines
}

func nextLine(t *testing.T, lines <-chan string) (string, bool) {
	t.Helper()
	select {
	case l, ok := <-lines:
		return l, ok
	case <-time.After(5 * time.Second):
		t.Fatal("no watch line within 5s")
	}
	return "", false
}

// TestRBAC_tenants: three users, every verb, three namespaces: each
// answer as the roles say; lists and watches across namespaces show only
// what the user may list; a binding removed mid-watch ends a namespace's
// watch and filters a watch across namespaces at the next event.
func TestRBAC_tenants(t *testing.T) {
	e := startRBAC(t)
	grant := func(alice bool) {
		roles := []*api.Role{
			{Metadata: api.Metadata{Name: "team-a-admin"}, Rules: []api.RoleRule{{API: "kubernetes", Resources: []string{"applications"}, Namespaces: []string{"team-a"}, Verbs: []string{"get", "list", "create", "update", "delete"}}}},
			{Metadata: api.Metadata{Name: "team-b-viewer"}, Rules: []api.RoleRule{{API: "kubernetes", Resources: []string{"applications"}, Namespaces: []string{"team-b"}, Verbs: []string{"get", "list"}}}},
		}
		bindings := []*api.RoleBinding{{Metadata: api.Metadata{Name: "bob"}, Users: []string{"bob"}, Roles: []string{"team-b-viewer"}}}
		if alice {
			bindings = append(bindings, &api.RoleBinding{Metadata: api.Metadata{Name: "alice"}, Users: []string{"alice", "bob"}, Roles: []string{"team-a-admin"}})
		}
		e.rbac.Update(roles, bindings)
	}
	grant(true)
	namespaces := []string{"team-a", "team-b", "team-c"}
	for _, ns := range namespaces {
		if code, body := e.do("root", "POST", "/kubernetes/namespaces/"+ns+"/applications", appBody("app-"+ns)); code != 200 {
			t.Fatalf("root create in %s: %d %s", ns, code, body)
		}
	}
	type verbCase struct {
		verb, method, path, body string
	}
	cases := func(ns string) []verbCase {
		apps := "/kubernetes/namespaces/" + ns + "/applications"
		return []verbCase{
			{"get", "GET", apps + "/app-" + ns, ""},
			{"list", "GET", apps, ""},
			{"create", "POST", apps + "?dry_run=true", appBody("new")},
			{"update", "PATCH", apps + "/app-" + ns + "?dry_run=true", `{"metadata":{"labels":{"x":"y"}}}`},
			{"delete", "DELETE", apps + "/app-" + ns + "?dry_run=true", ""},
		}
	}
	allowed := map[string]map[string][]string{ // user -> namespace -> verbs
		"alice": {"team-a": {"get", "list", "create", "update", "delete"}},
		"bob":   {"team-a": {"get", "list", "create", "update", "delete"}, "team-b": {"get", "list"}},
		"carol": {},
	}
	for user, grants := range allowed {
		for _, ns := range namespaces {
			for _, c := range cases(ns) {
				want := 403
				for _, v := range grants[ns] {
					if v == c.verb {
						want = 200
					}
				}
				var code int
				var body []byte
				if c.method == http.MethodPatch {
					code, body = e.patch(user, c.path, c.body)
				} else {
					code, body = e.do(user, c.method, c.path, c.body)
				}
				if code != want {
					t.Errorf("%s %s in %s = %d, want %d: %s", user, c.verb, ns, code, want, body)
				}
			}
		}
	}
	// Across namespaces: only what each may list; none is 403.
	for user, want := range map[string]string{"alice": "team-a", "bob": "team-a,team-b"} {
		code, body := e.do(user, "GET", "/kubernetes/applications", "")
		var list struct {
			Items []api.Application `json:"items"`
		}
		if code != 200 || json.Unmarshal(body, &list) != nil {
			t.Fatalf("%s list across namespaces = %d %s", user, code, body)
		}
		var seen []string
		for _, a := range list.Items {
			seen = append(seen, a.Metadata.Namespace)
		}
		if strings.Join(seen, ",") != want {
			t.Errorf("%s sees namespaces %v across namespaces, want %s", user, seen, want)
		}
	}
	if code, _ := e.do("carol", "GET", "/kubernetes/applications", ""); code != 403 {
		t.Errorf("carol's list across namespaces = %d, want 403", code)
	}
	if code, _ := e.do("carol", "GET", "/kubernetes/applications?watch=true", ""); code != 403 {
		t.Errorf("carol's watch across namespaces = %d, want 403", code)
	}

	// Watches: alice in team-a, and bob across namespaces.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	code, aliceLines := e.watch(ctx, "alice", "/kubernetes/namespaces/team-a/applications?watch=true")
	if code != 200 {
		t.Fatalf("alice's watch = %d", code)
	}
	code, bobLines := e.watch(ctx, "bob", "/kubernetes/applications?watch=true")
	if code != 200 {
		t.Fatalf("bob's watch across namespaces = %d", code)
	}
	time.Sleep(200 * time.Millisecond) // both streams are established
	for _, ns := range namespaces {
		e.do("root", "POST", "/kubernetes/namespaces/"+ns+"/applications", appBody("second-"+ns))
	}
	if line, _ := nextLine(t, aliceLines); !strings.Contains(line, `"name":"second-team-a"`) {
		t.Errorf("alice's first event = %s", line)
	}
	for _, want := range []string{"second-team-a", "second-team-b"} {
		if line, _ := nextLine(t, bobLines); !strings.Contains(line, `"name":"`+want+`"`) {
			t.Errorf("bob's event = %s, want %s (never team-c)", line, want)
		}
	}
	// The alice binding goes (it also gave bob team-a).
	grant(false)
	for _, ns := range namespaces {
		e.do("root", "POST", "/kubernetes/namespaces/"+ns+"/applications", appBody("third-"+ns))
	}
	if line, _ := nextLine(t, aliceLines); !strings.Contains(line, `"type":"ERROR"`) || !strings.Contains(line, "FORBIDDEN") {
		t.Errorf("alice's watch after her binding went: %s, want a FORBIDDEN error event", line)
	}
	if _, open := nextLine(t, aliceLines); open {
		t.Error("alice's watch goes on after the error")
	}
	if line, _ := nextLine(t, bobLines); !strings.Contains(line, `"name":"third-team-b"`) {
		t.Errorf("bob's next event = %s, want third-team-b only (team-a is no longer his)", line)
	}
}

// TestRBAC_credentials: every kind with a secret shows it only to users
// who may get its credentials subresource; others read REDACTED in gets,
// lists and watches; writing a redacted object back keeps the secret.
func TestRBAC_credentials(t *testing.T) {
	e := startRBAC(t)
	everything := api.RoleRule{API: "", Resources: []string{""}, Namespaces: []string{"all"}, Verbs: []string{"get", "list", "update"}}
	var credentials []string
	for _, k := range api.Kinds {
		if api.HasSecrets(k) {
			credentials = append(credentials, k.Plural+"/credentials")
		}
	}
	e.rbac.Update([]*api.Role{
		{Metadata: api.Metadata{Name: "editor"}, Rules: []api.RoleRule{{API: "", Resources: []string{"clusters", "infrastructureproviders", "globalinfrastructureproviders", "clouds", "globalclouds", "metricsproviders", "globalmetricsproviders"}, Namespaces: []string{"all"}, Verbs: []string{"get", "list", "update"}}}},
		{Metadata: api.Metadata{Name: "secrets"}, Rules: []api.RoleRule{everything, {API: "", Resources: credentials, Namespaces: []string{"all"}, Verbs: []string{"get"}}}},
	}, []*api.RoleBinding{
		{Metadata: api.Metadata{Name: "alice"}, Users: []string{"alice"}, Roles: []string{"editor"}},
		{Metadata: api.Metadata{Name: "bob"}, Users: []string{"bob"}, Roles: []string{"secrets"}},
	})
	influx := `{"metadata":{"name":"NAME"},"spec":{"type":"influx","influx":{"url":"http://127.0.0.1:8086","token":"influx-secret","org":"o","bucket":"b"}}}`
	secrets := map[string][]string{ // kind -> fixture's secret values
		"Cluster":                      {"secret"},
		"InfrastructureProvider":       {`"password":"p"`},
		"GlobalInfrastructureProvider": {`"token":"t"`},
		"Cloud":                        {`"password":"p"`},
		"GlobalCloud":                  {`"password":"p"`},
		"MetricsProvider":              {"influx-secret"},
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	for kind, values := range secrets {
		k := kindNamed(t, kind)
		collection, _, item := paths(k, "sec", "obj")
		body := fixture(kind, "obj")
		if kind == "MetricsProvider" {
			body = strings.Replace(influx, "NAME", "obj", 1)
		}
		_, watchLines := e.watch(ctx, "alice", collection+"?watch=true")
		time.Sleep(100 * time.Millisecond)
		if code, data := e.do("root", "POST", collection, body); code != 200 {
			t.Fatalf("%s: create %d %s", kind, code, data)
		}
		_, shown := e.do("alice", "GET", item, "")
		_, listed := e.do("alice", "GET", collection, "")
		watched, _ := nextLine(t, watchLines)
		_, full := e.do("bob", "GET", item, "")
		for _, v := range values {
			for what, data := range map[string]string{"get": string(shown), "list": string(listed), "watch": watched} {
				if strings.Contains(data, v) || !strings.Contains(data, api.Redacted) {
					t.Errorf("%s %s without credentials: shows %q or lacks REDACTED: %s", kind, what, v, data)
				}
			}
			if !strings.Contains(string(full), v) {
				t.Errorf("%s get with credentials lacks %q: %s", kind, v, full)
			}
		}
		// alice writes back what she saw (with a label): the secret stays.
		var doc map[string]any
		if err := json.Unmarshal(shown, &doc); err != nil {
			t.Fatal(err)
		}
		doc["metadata"].(map[string]any)["labels"] = map[string]any{"edited": "yes"}
		delete(doc["metadata"].(map[string]any), "resource_version")
		edited, _ := json.Marshal(doc)
		if code, data := e.put("alice", item, string(edited)); code != 200 {
			t.Fatalf("%s: alice's update %d %s", kind, code, data)
		}
		_, after := e.do("bob", "GET", item, "")
		for _, v := range values {
			if !strings.Contains(string(after), v) || !strings.Contains(string(after), `"edited":"yes"`) {
				t.Errorf("%s after a redacted write-back: %s, want %q kept and the label", kind, after, v)
			}
		}
	}
}

func (e *rbacEnv) put(token, path, body string) (int, []byte) {
	return e.do(token, "PUT", path, body)
}

func kindNamed(t *testing.T, name string) api.Kind {
	t.Helper()
	for _, k := range api.Kinds {
		if k.Kind == name {
			return k
		}
	}
	t.Fatalf("no kind %s", name)
	return api.Kind{}
}

// TestRBAC_startingGate: until the roles are loaded, users other than
// system:masters get 503 with Retry-After (a 403 then would be wrong, and
// clients retry a 503 that says when), masters are served (Krake's own
// start-up writes), and /readyz is 503; then RBAC decides as usual.
func TestRBAC_startingGate(t *testing.T) {
	ready := make(chan struct{})
	e := startRBACGated(t, ready)
	if code, body := e.do("alice", "GET", "/kubernetes/namespaces/a/applications", ""); code != 503 || !strings.Contains(string(body), "roles are loading") {
		t.Errorf("alice while starting: %d %s, want 503", code, body)
	}
	if code, body := e.do("root", "POST", "/core/roles", `{"metadata":{"name":"r"},"rules":[]}`); code != 200 {
		t.Errorf("system:masters while starting: %d %s, want 200", code, body)
	}
	if code, _ := e.do("", "GET", "/readyz", ""); code != 503 {
		t.Errorf("/readyz while starting: %d, want 503", code)
	}
	if code, _ := e.do("", "GET", "/healthz", ""); code != 200 {
		t.Errorf("/healthz while starting: %d, want 200 (alive)", code)
	}
	close(ready)
	if code, _ := e.do("alice", "GET", "/kubernetes/namespaces/a/applications", ""); code != 403 {
		t.Errorf("alice once started: %d, want 403 (no role)", code)
	}
	if code, _ := e.do("", "GET", "/readyz", ""); code != 200 {
		t.Errorf("/readyz once started: %d, want 200", code)
	}
}
