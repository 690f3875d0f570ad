package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
