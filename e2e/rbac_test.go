//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/e2e/framework"
)

// TestRBAC_revokedMidWatch: through the real binary, its etcd and its
// role feed, a RoleBinding deleted with the API while alice watches ends
// her watch of that namespace (an ERROR event, then the end of the stream)
// without any event arriving, and her watch across namespaces stops
// showing that namespace while it goes on showing the one she keeps.
func TestRBAC_revokedMidWatch(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("tok-root,root,0,\"system:masters\"\ntok-alice,alice,1,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	krake := framework.StartKrake(t, "", "--token-auth-file", tokens, "--controllers=")
	call := func(token, method, path, body string) (int, string) {
		t.Helper()
		return krake.Do(t, method, path, framework.Bearer(token), body)
	}
	mustRoot := func(method, path, body string) {
		t.Helper()
		if code, b := call("tok-root", method, path, body); code != 200 {
			t.Fatalf("%s %s = %d %s", method, path, code, b)
		}
	}
	for _, ns := range []string{"team-a", "team-c"} {
		mustRoot("POST", "/core/roles", fmt.Sprintf(`{"metadata":{"name":"%s-viewer"},"rules":[{"api":"kubernetes","resources":["applications"],"namespaces":["%s"],"verbs":["list","get"]}]}`, ns, ns))
		mustRoot("POST", "/core/rolebindings", fmt.Sprintf(`{"metadata":{"name":"alice-%s"},"users":["alice"],"roles":["%s-viewer"]}`, ns, ns))
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		a, _ := call("tok-alice", "GET", "/kubernetes/namespaces/team-a/applications", "")
		c, _ := call("tok-alice", "GET", "/kubernetes/namespaces/team-c/applications", "")
		if a == 200 && c == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice's bindings did not take effect: %d %d", a, c)
		}
		time.Sleep(50 * time.Millisecond)
	}

	// watch streams alice's events as "TYPE namespace/name" (ERROR: title).
	watch := func(path string) <-chan string {
		ctx, cancel := context.WithCancel(t.Context())
		t.Cleanup(cancel)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, krake.URL+path+"?watch=true", nil)
		req.Header.Set("Authorization", "Bearer tok-alice")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("watch %s: %v %v", path, err, resp)
		}
		lines := make(chan string, 100)
		go func() {
			defer close(lines)
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				var ev struct {
					Type   string `json:"type"`
					Object struct {
						Metadata struct{ Namespace, Name string } `json:"metadata"`
						Title    string                           `json:"title"`
					} `json:"object"`
				}
				if len(strings.TrimSpace(sc.Text())) == 0 || json.Unmarshal(sc.Bytes(), &ev) != nil {
					continue
				}
				if ev.Type == "ERROR" {
					lines <- "ERROR " + ev.Object.Title
				} else {
					lines <- ev.Type + " " + ev.Object.Metadata.Namespace + "/" + ev.Object.Metadata.Name
				}
			}
		}()
		return lines
	}
	next := func(lines <-chan string, what string) (string, bool) {
		t.Helper()
		select {
		case l, ok := <-lines:
			return l, ok
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s within 10s", what)
			return "", false
		}
	}
	nsWatch := watch("/kubernetes/namespaces/team-a/applications")
	allWatch := watch("/kubernetes/applications")
	app := func(ns, name string) {
		mustRoot("POST", "/kubernetes/namespaces/"+ns+"/applications",
			`{"metadata":{"name":"`+name+`"},"spec":{"manifest":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}]}}`)
	}
	app("team-b", "b1") // never alice's
	app("team-a", "a1")
	if l, _ := next(nsWatch, "event on the namespace watch"); l != "ADDED team-a/a1" {
		t.Fatalf("namespace watch: %q, want ADDED team-a/a1", l)
	}
	if l, _ := next(allWatch, "event on the watch across namespaces"); l != "ADDED team-a/a1" {
		t.Fatalf("watch across namespaces: %q, want ADDED team-a/a1 (never team-b's)", l)
	}

	mustRoot("DELETE", "/core/rolebindings/alice-team-a", "")
	start := time.Now()
	if l, _ := next(nsWatch, "end of the revoked namespace watch"); !strings.HasPrefix(l, "ERROR FORBIDDEN") {
		t.Fatalf("the revoked namespace watch: %q, want an ERROR FORBIDDEN event", l)
	}
	if l, open := next(nsWatch, "close of the revoked watch"); open {
		t.Fatalf("the revoked namespace watch goes on: %q", l)
	}
	t.Logf("the namespace watch ended %s after the binding's delete, with no event in between", time.Since(start).Round(time.Millisecond))

	// The stream is ordered: when c1 arrives, a2 (created before it) would
	// have arrived first had it been shown.
	app("team-a", "a2")
	app("team-c", "c1")
	for {
		l, open := next(allWatch, "c1 on the watch across namespaces")
		if !open {
			t.Fatal("the watch across namespaces ended; it should go on for team-c")
		}
		if strings.Contains(l, "team-a/") || strings.Contains(l, "team-b/") {
			t.Fatalf("after the revoke, the watch across namespaces showed %q", l)
		}
		if l == "ADDED team-c/c1" {
			break
		}
	}
}
