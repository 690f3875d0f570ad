package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
)

// serve runs one request through the handler in-process.
func serve(method, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	return rec
}

// checkNoServerError fails on a 5xx, and on a 4xx that is not a problem.
func checkNoServerError(t *testing.T, rec *httptest.ResponseRecorder, body string) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body.String())
	}
	if rec.Code >= 400 {
		var p map[string]any
		if rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p["detail"] == "" {
			t.Fatalf("status %d without a problem document: %s", rec.Code, rec.Body.String())
		}
	}
}

var contentTypes = []string{"application/json", "application/yaml", "", "application/merge-patch+json"}

// FuzzCreate: whatever the body, decode + validate answer 2xx or a 4xx
// problem, never a panic or a 500. It fuzzes every kind, JSON and YAML.
func FuzzCreate(f *testing.F) {
	for _, k := range api.Kinds {
		f.Add(k.Kind, uint8(0), fixture(k.Kind, "fuzz"))
	}
	f.Add("Application", uint8(1), "metadata:\n  name: x\nspec:\n  manifest: [{kind: Pod}]\n")
	f.Add("Cluster", uint8(0), `{"metadata":{"name":"c"},"spec":{"kubeconfig":{"contexts":[{"context":null}],"clusters":[1]}}}`)
	f.Add("Application", uint8(0), `{"metadata":{"name":"a","labels":{"a/b/c":"d"}},"spec":{"constraints":{"cluster":{"labels":["x in (,"]}}}}`)
	f.Add("GlobalMetric", uint8(0), `{"metadata":{"name":"m"},"spec":{"min":"1","max":null}}`)
	f.Fuzz(func(t *testing.T, kind string, ct uint8, body string) {
		var k api.Kind
		found := false
		for _, candidate := range api.Kinds {
			if candidate.Kind == kind {
				k, found = candidate, true
			}
		}
		if !found {
			k = api.Kinds[int(ct)%len(api.Kinds)]
		}
		collection, _, _ := paths(k, "fuzz", "x")
		rec := serve(http.MethodPost, collection+"?dry_run=true", contentTypes[int(ct)%len(contentTypes)], body)
		checkNoServerError(t, rec, body)
	})
}

// FuzzPatch: merge patches against a stored object never crash the server.
func FuzzPatch(f *testing.F) {
	f.Add(`{"metadata":{"labels":{"a":"b"}}}`)
	f.Add(`{"spec":{"manifest":null}}`)
	f.Add(`{"metadata":{"name":"other","finalizers":[1]}}`)
	f.Add(`{"metadata":{"resource_version":"x"}}`)
	f.Add(`{"status":{"state":"RUNNING"},"spec":{"constraints":{"migration":"yes"}}}`)
	created := false
	f.Fuzz(func(t *testing.T, patch string) {
		if !created {
			rec := serve(http.MethodPost, "/kubernetes/namespaces/fuzzpatch/applications", "application/json", appBody("target"))
			if rec.Code != http.StatusOK && rec.Code != http.StatusConflict {
				t.Fatalf("seed object: %d %s", rec.Code, rec.Body.String())
			}
			created = true
		}
		rec := serve(http.MethodPatch, "/kubernetes/namespaces/fuzzpatch/applications/target?dry_run=true", "application/merge-patch+json", patch)
		checkNoServerError(t, rec, patch)
	})
}

var fuzzMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, http.MethodHead, "BREW"}

// FuzzHandler: any method, path, query, headers and body through the
// whole handler (guard, limits, routes) gets an answer, never a panic or
// a 500; an error is a problem document. Watches and blocking waits end
// with the request's short deadline. The only 5xx allowed are 503 and 504
// with a blocking wait (the write happened; the wait ran out) — no other.
func FuzzHandler(f *testing.F) {
	f.Add(uint8(1), "/kubernetes/namespaces/fz/applications", "", "application/json", "", appBody("a"))
	f.Add(uint8(0), "/kubernetes/namespaces/fz/applications", "watch=true&heartbeat=NaN", "", "", "")
	f.Add(uint8(4), "/kubernetes/namespaces/fz/applications/..%2F..%2Fx", "force=True", "", "", "")
	f.Add(uint8(0), "/kubernetes/namespaces//applications", "label_selector=a%20in%20(b", "", "", "")
	f.Add(uint8(1), "/core/globalmetrics", "blocking=true&timeout=1e309", "application/yaml", "https://evil.example", "metadata: {name: m}\n")
	f.Add(uint8(5), "/kubernetes/applications", "", "", "https://evil.example", "")
	f.Add(uint8(2), "/kubernetes/namespaces/fz/applications/a/status", "dry_run=perhaps", "application/json", "", `{"status":{"state":"RUNNING"}}`)
	f.Add(uint8(0), "/kubernetes/namespaces/fz/applications/a/placement", "limit=-1&continue=%%", "", "", "")
	f.Fuzz(func(t *testing.T, method uint8, path, query, contentType, origin, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		req := (&http.Request{
			Method: fuzzMethods[int(method)%len(fuzzMethods)],
			URL:    &url.URL{Path: path, RawQuery: query},
			Header: http.Header{}, Host: "127.0.0.1", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
		}).WithContext(ctx)
		req.RequestURI = req.URL.RequestURI()
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		start := time.Now()
		handler.ServeHTTP(rec, req)
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("%s %s?%s took %s, past its 200 ms deadline", req.Method, path, query, took)
		}
		blocking := strings.Contains(query, "blocking")
		switch {
		case rec.Code == http.StatusInternalServerError:
			t.Fatalf("%s %s?%s: 500 %s", req.Method, path, query, rec.Body.String())
		case rec.Code >= 500 && !(blocking && (rec.Code == http.StatusServiceUnavailable || rec.Code == http.StatusGatewayTimeout)):
			t.Fatalf("%s %s?%s: %d %s", req.Method, path, query, rec.Code, rec.Body.String())
		case rec.Code >= 400 && req.Method != http.MethodHead:
			var p map[string]any
			if rec.Header().Get("Content-Type") != "application/problem+json" || json.Unmarshal(rec.Body.Bytes(), &p) != nil || p["title"] == "" {
				t.Fatalf("%s %s?%s: %d without a problem document: %q", req.Method, path, query, rec.Code, rec.Body.String())
			}
		}
	})
}
