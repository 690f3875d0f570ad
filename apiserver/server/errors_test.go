package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/embedetcd"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/apiserver/store"
)

// TestErrors covers every error code the API answers with, and checks each
// is problem+json naming the cause.
func TestErrors(t *testing.T) {
	ns := namespace(t)
	apps := "/kubernetes/namespaces/" + ns + "/applications"
	mustStatus(t, doJSON(t, http.MethodPost, apps, appBody("exists")), http.StatusOK)
	stale := doJSON(t, http.MethodGet, apps+"/exists", "").json(t)["metadata"].(map[string]any)["resource_version"].(string)
	mustStatus(t, do(t, http.MethodPatch, apps+"/exists", "application/merge-patch+json", `{"metadata":{"labels":{"v":"1"}}}`), http.StatusOK)
	clouds := "/infrastructure/namespaces/" + ns + "/clouds"
	mustStatus(t, doJSON(t, http.MethodPost, clouds, fixture("Cloud", "same")), http.StatusOK)

	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantDetail  string
		wantTitle   string // when not the status's own
	}{
		{"malformed JSON", "POST", apps, "application/json", `{"metadata":`, 400, "not valid JSON", ""},
		{"not an object", "POST", apps, "application/json", `[1,2]`, 400, "must be a JSON object", ""},
		{"wrong field type", "POST", apps, "application/json", `{"metadata":{"name":"x"},"spec":{"backoff":"fast"}}`, 400, "spec.backoff: expected a number", ""},
		{"fraction for a whole number", "POST", apps, "application/json", `{"metadata":{"name":"x"},"spec":{"shutdown_grace_time":1.5}}`, 400, "spec.shutdown_grace_time: expected a whole number (64-bit), got JSON number 1.5", ""},
		{"whole number out of range", "POST", apps, "application/json", `{"metadata":{"name":"x"},"spec":{"backoff_limit":99999999999999999999}}`, 400, "spec.backoff_limit: expected a whole number (64-bit), got JSON number 99999999999999999999", ""},
		{"empty body", "POST", apps, "application/json", ``, 400, "empty", ""},
		{"malformed YAML", "POST", apps, "application/yaml", "metadata: [\n", 400, "not valid YAML", ""},
		{"bad query boolean", "POST", apps + "?dry_run=perhaps", "application/json", appBody("x"), 400, "dry_run", ""},
		{"bad label selector", "GET", apps + "?label_selector=a%20~%20b", "", "", 400, "label_selector", ""},
		{"bad limit", "GET", apps + "?limit=-3", "", "", 400, "limit", ""},
		{"bad continue token", "GET", apps + "?continue=xyz", "", "", 400, "continue token", ""},
		{"bad resource_version", "GET", apps + "?watch=true&resource_version=abc", "", "", 400, "resource_version", ""},
		{"bad heartbeat", "GET", apps + "?watch=true&heartbeat=-1", "", "", 400, "heartbeat", ""},
		{"bad blocking timeout", "POST", apps + "?blocking=RUNNING&timeout=0", "application/json", appBody("y"), 400, "timeout", ""},
		{"blocking on a kind without state", "POST", "/core/namespaces/" + ns + "/metrics?blocking=READY", "application/json", fixture("Metric", "m"), 400, "no state", ""},
		{"missing object", "GET", apps + "/nothing", "", "", 404, `application "nothing" in namespace "` + ns + `" not found`, ""},
		{"missing object on delete", "DELETE", apps + "/nothing", "", "", 404, "not found", ""},
		{"unknown route", "GET", "/kubernetes/widgets", "", "", 404, "no route", ""},
		{"method not allowed", "DELETE", apps, "", "", 405, "not allowed", ""},
		{"already exists", "POST", apps, "application/json", appBody("exists"), 409, "already exists", "RESOURCE_ALREADY_EXISTS"},
		{"stale resource_version", "PUT", apps + "/exists", "application/json",
			strings.Replace(appBody("exists"), `"name":"exists"`, `"name":"exists","resource_version":"`+stale+`"`, 1), 409, "modified after resource_version", ""},
		{"retry a pending app", "PUT", apps + "/exists/retry", "application/json", `{}`, 409, "only FAILED or DEGRADED", "INVALID_STATE"},
		{"body too large", "POST", apps, "application/json", `{"metadata":{"name":"big"},"x":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "larger than", ""},
		{"form content type", "POST", apps, "application/x-www-form-urlencoded", appBody("z"), 415, "application/json", ""},
		{"patch as text", "PATCH", apps + "/exists", "text/plain", `{}`, 415, "merge-patch", ""},
		{"validation", "POST", apps, "application/json", `{"metadata":{"name":"bad-"},"spec":{"manifest":[]}}`, 422, "metadata.name", ""},
		{"namespace mismatch", "POST", apps, "application/json", `{"metadata":{"name":"a","namespace":"other"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]}}`, 422, "does not match the namespace", ""},
		{"rename on update", "PUT", apps + "/exists", "application/json", appBody("renamed"), 422, "immutable", ""},
		{"bad binding", "PUT", apps + "/exists/binding", "application/json", `{"cluster":{"api":"core","kind":"Role","name":"r"}}`, 422, "kubernetes/Cluster", ""},
		{"complete without hook", "PUT", apps + "/exists/complete", "application/json", `{"token":"x"}`, 401, "not enabled", ""},
		{"infrastructure update that changes nothing", "PUT", clouds + "/same", "application/json", fixture("Cloud", "same"), 400, "changes nothing", "UPDATE_ERROR"},
		{"status with unknown state", "PUT", apps + "/exists/status", "application/json", `{"status":{"state":"SLEEPING"}}`, 422, "unknown state", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, tt.method, tt.path, tt.contentType, tt.body)
			mustStatus(t, r, tt.wantStatus)
			if r.contentType != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", r.contentType)
			}
			p := r.json(t)
			wantTitle := map[int]string{400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND_ERROR", 405: "METHOD_NOT_ALLOWED",
				409: "TRANSACTION_ERROR", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 422: "VALIDATION_ERROR"}[tt.wantStatus]
			if tt.wantTitle != "" {
				wantTitle = tt.wantTitle
			}
			wantType := "urn:krake:problem/" + strings.ToLower(strings.ReplaceAll(wantTitle, "_", "-"))
			if int(p["status"].(float64)) != tt.wantStatus || p["title"] != wantTitle || p["type"] != wantType {
				t.Errorf("problem = %v, want status %d, title %s, type %s", p, tt.wantStatus, wantTitle, wantType)
			}
			if detail, _ := p["detail"].(string); !strings.Contains(detail, tt.wantDetail) {
				t.Errorf("detail = %q, want it to contain %q", detail, tt.wantDetail)
			}
		})
	}
}

func TestErrors_validationNamesEveryField(t *testing.T) {
	ns := namespace(t)
	r := doJSON(t, http.MethodPost, "/kubernetes/namespaces/"+ns+"/applications",
		`{"metadata":{"name":"a"},"spec":{"manifest":[{"kind":"Service"}],"hooks":["x"]}}`)
	mustStatus(t, r, http.StatusUnprocessableEntity)
	errs := r.json(t)["errors"].([]any)
	fields := map[string]bool{}
	for _, e := range errs {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	for _, want := range []string{"spec.manifest[0].apiVersion", "spec.manifest[0].metadata.name", "spec.hooks[0]"} {
		if !fields[want] {
			t.Errorf("errors %v lack field %s", errs, want)
		}
	}
}

// TestErrors_storeUnavailable: with etcd gone the API answers 503, not
// 500, and /readyz says it is not ready.
func TestErrors_storeUnavailable(t *testing.T) {
	dir, err := os.MkdirTemp("", "krake-down-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	e, err := embedetcd.Start(embedetcd.Options{Dir: dir, UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	etcd := e.Client()
	srv := server.New(server.Options{Store: store.New(etcd, store.Options{}),
		Ready: func(ctx context.Context) error { return embedetcd.Ready(ctx, etcd) }})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	e.Close()

	for _, path := range []string{"/kubernetes/namespaces/a/applications", "/kubernetes/namespaces/a/applications/x", "/readyz"} {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+path, nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET %s with etcd down = %d, want 503", path, resp.StatusCode)
		}
	}
}

// TestErrors_problemBaseURL: problem types are <base>/<kebab-case title>
// under the operator's base URL (the original's docs.problem_base_url).
func TestErrors_problemBaseURL(t *testing.T) {
	dir := t.TempDir()
	e, err := embedetcd.Start(embedetcd.Options{Dir: dir, UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	srv := server.New(server.Options{Store: store.New(e.Client(), store.Options{}), ProblemBaseURL: "https://docs.example.org/problems/"})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/kubernetes/namespaces/a/applications/missing")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p server.Problem
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "https://docs.example.org/problems/not-found-error" || p.Title != "NOT_FOUND_ERROR" || p.Status != 404 {
		t.Errorf("problem = %+v, want type https://docs.example.org/problems/not-found-error", p)
	}
}

// TestErrors_storeOutOfSpace: with etcd's quota reached, writes answer 507
// INSUFFICIENT_STORAGE saying what to do, reads keep working, and the
// refusal is logged.
func TestErrors_storeOutOfSpace(t *testing.T) {
	e, err := embedetcd.Start(embedetcd.Options{Dir: t.TempDir(), UnsafeNoFsync: true, QuotaBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var logs strings.Builder
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) }), nil))
	srv := server.New(server.Options{Store: store.New(e.Client(), store.Options{}), Logger: logger})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	post := func(name string) (int, server.Problem) {
		body := strings.Replace(fixture("Application", name), `"metadata":{"name":"echo"}`,
			`"metadata":{"name":"echo","annotations":{"pad":"`+strings.Repeat("x", 200<<10)+`"}}`, 1)
		resp, err := http.Post(ts.URL+"/kubernetes/namespaces/full/applications", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p server.Problem
		_ = json.NewDecoder(resp.Body).Decode(&p)
		return resp.StatusCode, p
	}
	status, p := 200, server.Problem{}
	for i := 0; i < 40 && status == http.StatusOK; i++ {
		status, p = post(fmt.Sprintf("app-%d", i))
	}
	if status != http.StatusInsufficientStorage || p.Title != "INSUFFICIENT_STORAGE" || !strings.Contains(p.Detail, "--etcd-quota-bytes") {
		t.Fatalf("writing past the quota ended with %d %+v, want 507 INSUFFICIENT_STORAGE", status, p)
	}
	resp, err := http.Get(ts.URL + "/kubernetes/namespaces/full/applications/app-0")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a read while out of space = %d, want 200", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), "etcd is out of space") {
		t.Errorf("no log line for the refused write:\n%s", logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
