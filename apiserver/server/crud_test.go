package server_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// paths returns the collection, the across-namespaces collection and the
// item path of kind k.
func paths(k api.Kind, ns, name string) (collection, all, item string) {
	all = "/" + k.API + "/" + k.Plural
	collection = all
	if k.Namespaced {
		collection = "/" + k.API + "/namespaces/" + ns + "/" + k.Plural
	}
	return collection, all, collection + "/" + name
}

// TestCRUD_everyKind drives every route of every kind through its life:
// create, get, list (per namespace and across), PUT, PATCH, delete with the
// finalizer flow, finalizer removal, and force delete.
func TestCRUD_everyKind(t *testing.T) {
	for _, k := range api.Kinds {
		t.Run(k.Kind, func(t *testing.T) {
			ns := namespace(t)
			name := "obj-" + ns
			collection, all, item := paths(k, ns, name)

			r := doJSON(t, http.MethodPost, collection, fixture(k.Kind, name))
			mustStatus(t, r, http.StatusOK)
			created := r.json(t)
			meta := created["metadata"].(map[string]any)
			if meta["created"] == nil || meta["resource_version"] == "" {
				t.Errorf("created metadata lacks server fields: %v", meta)
			}
			if uid, _ := meta["uid"].(string); !uuidV4.MatchString(uid) {
				t.Errorf("metadata.uid = %q, want a random (version 4) UUID", uid)
			}
			if k.Namespaced && meta["namespace"] != ns {
				t.Errorf("metadata.namespace = %v, want %s from the URL", meta["namespace"], ns)
			}
			if created["api"] != k.API || created["kind"] != k.Kind {
				t.Errorf("api/kind = %v/%v", created["api"], created["kind"])
			}

			mustStatus(t, do(t, http.MethodGet, item, "", ""), http.StatusOK)

			list := do(t, http.MethodGet, collection, "", "")
			mustStatus(t, list, http.StatusOK)
			doc := list.json(t)
			if doc["kind"] != k.Kind+"List" || len(doc["items"].([]any)) == 0 {
				t.Errorf("list = kind %v with %d items, want %sList with our object", doc["kind"], len(doc["items"].([]any)), k.Kind)
			}
			if k.Namespaced {
				mustStatus(t, do(t, http.MethodGet, all, "", ""), http.StatusOK)
			}

			// PUT: labels change, server fields stay.
			body := strings.Replace(fixture(k.Kind, name), `"metadata":{`, `"metadata":{"labels":{"tier":"gold"},`, 1)
			r = doJSON(t, http.MethodPut, item, body)
			mustStatus(t, r, http.StatusOK)
			updated := r.json(t)["metadata"].(map[string]any)
			if updated["labels"].(map[string]any)["tier"] != "gold" || updated["uid"] != meta["uid"] || updated["created"] != meta["created"] {
				t.Errorf("after PUT metadata = %v; want label tier=gold and unchanged uid/created", updated)
			}

			// PATCH: null removes a label, a new one is added.
			r = do(t, http.MethodPatch, item, "application/merge-patch+json", `{"metadata":{"labels":{"tier":null,"zone":"a"}}}`)
			mustStatus(t, r, http.StatusOK)
			labels := r.json(t)["metadata"].(map[string]any)["labels"].(map[string]any)
			if _, ok := labels["tier"]; ok || labels["zone"] != "a" {
				t.Errorf("after PATCH labels = %v, want only zone=a", labels)
			}

			// DELETE marks the object and adds the cascade_deletion finalizer.
			r = do(t, http.MethodDelete, item, "", "")
			mustStatus(t, r, http.StatusOK)
			deleted := r.json(t)["metadata"].(map[string]any)
			if deleted["deleted"] == nil || fmt.Sprint(deleted["finalizers"]) != "[cascade_deletion]" {
				t.Errorf("after DELETE metadata = %v; want deleted set and finalizers [cascade_deletion]", deleted)
			}
			mustStatus(t, do(t, http.MethodGet, item, "", ""), http.StatusOK)

			// Removing the last finalizer removes the record.
			r = do(t, http.MethodPatch, item, "application/merge-patch+json", `{"metadata":{"finalizers":[]}}`)
			mustStatus(t, r, http.StatusOK)
			mustStatus(t, do(t, http.MethodGet, item, "", ""), http.StatusNotFound)

			// Force delete removes at once.
			mustStatus(t, doJSON(t, http.MethodPost, collection, fixture(k.Kind, name)), http.StatusOK)
			mustStatus(t, do(t, http.MethodDelete, item+"?force=True", "", ""), http.StatusOK)
			mustStatus(t, do(t, http.MethodGet, item, "", ""), http.StatusNotFound)
		})
	}
}

func TestCreate_readOnlyFieldsAreIgnored(t *testing.T) {
	ns := namespace(t)
	body := `{"metadata":{"name":"echo","uid":"mine","created":"2000-01-01T00:00:00.000000+00:00","deleted":"2000-01-01T00:00:00.000000+00:00","resource_version":"77"},
	 "spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]},
	 "status":{"state":"RUNNING","scheduled_to":{"api":"kubernetes","kind":"Cluster","namespace":"x","name":"y"}},
	 "unknown_field":true}`
	r := doJSON(t, http.MethodPost, "/kubernetes/namespaces/"+ns+"/applications", body)
	mustStatus(t, r, http.StatusOK)
	doc := r.json(t)
	meta, status := doc["metadata"].(map[string]any), doc["status"].(map[string]any)
	if meta["uid"] == "mine" || meta["deleted"] != nil || strings.HasPrefix(meta["created"].(string), "2000") {
		t.Errorf("read-only metadata taken from input: %v", meta)
	}
	if status["state"] != "PENDING" || status["scheduled_to"] != nil {
		t.Errorf("status taken from input: %v", status)
	}
}

func TestCreate_yamlBody(t *testing.T) {
	ns := namespace(t)
	body := `
metadata:
  name: echo
spec:
  manifest:
  - apiVersion: v1
    kind: Service
    metadata:
      name: echo
`
	r := do(t, http.MethodPost, "/kubernetes/namespaces/"+ns+"/applications", "application/yaml", body)
	mustStatus(t, r, http.StatusOK)
	if name := r.json(t)["metadata"].(map[string]any)["name"]; name != "echo" {
		t.Errorf("name = %v, want echo", name)
	}
}

// TestCreate_yamlBodyKeepsOrder: a manifest in the usual block style is
// converted in one pass and keeps its key order, as the original (PyYAML
// into ordered dicts) does; YAML 1.1 scalars resolve as there.
func TestCreate_yamlBodyKeepsOrder(t *testing.T) {
	ns := namespace(t)
	body := `
metadata:
  name: ordered
spec:
  manifest:
  - kind: ConfigMap
    apiVersion: v1
    metadata: {name: cm}
    data:
      zeta: "1"
      alpha: "2"
  - kind: Service
    apiVersion: v1
    metadata:
      name: ordered
    spec:
      ports:
      - port: 0x50
`
	r := do(t, http.MethodPost, "/kubernetes/namespaces/"+ns+"/applications", "application/yaml", body)
	mustStatus(t, r, http.StatusOK)
	for _, want := range []string{`{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm"},"data":{"zeta":"1","alpha":"2"}}`, `"ports":[{"port":80}]`} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("answer lacks %s: %s", want, r.body)
		}
	}
}

// TestCreate_yamlBodyWithAnchors: YAML outside the one-pass subset (here
// anchors and a merge key) still converts, through the tree converter.
func TestCreate_yamlBodyWithAnchors(t *testing.T) {
	ns := namespace(t)
	body := `
metadata:
  name: anchored
  labels: &common {team: blue}
spec:
  manifest:
  - apiVersion: v1
    kind: ConfigMap
    metadata:
      name: cm
      labels:
        <<: *common
        tier: web
`
	r := do(t, http.MethodPost, "/kubernetes/namespaces/"+ns+"/applications", "application/yaml", body)
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"labels":{"team":"blue","tier":"web"}`) {
		t.Errorf("merge key not applied: %s", r.body)
	}
	if labels := r.json(t)["metadata"].(map[string]any)["labels"]; fmt.Sprint(labels) != "map[team:blue]" {
		t.Errorf("labels = %v, want the anchor's", labels)
	}
}

func TestUpdate_noChangeDoesNotWrite(t *testing.T) {
	ns := namespace(t)
	path := "/kubernetes/namespaces/" + ns + "/applications"
	r := doJSON(t, http.MethodPost, path, appBody("echo"))
	mustStatus(t, r, http.StatusOK)
	before := r.json(t)["metadata"].(map[string]any)["resource_version"]
	r = doJSON(t, http.MethodPut, path+"/echo", appBody("echo"))
	mustStatus(t, r, http.StatusOK)
	if after := r.json(t)["metadata"].(map[string]any)["resource_version"]; after != before {
		t.Errorf("resource_version %v -> %v after a PUT that changed nothing; want no write", before, after)
	}
}

func TestUpdate_deletingObjectRefusesNewFinalizers(t *testing.T) {
	ns := namespace(t)
	path := "/kubernetes/namespaces/" + ns + "/applications/echo"
	mustStatus(t, doJSON(t, http.MethodPost, "/kubernetes/namespaces/"+ns+"/applications", appBody("echo")), http.StatusOK)
	mustStatus(t, do(t, http.MethodDelete, path, "", ""), http.StatusOK)
	r := do(t, http.MethodPatch, path, "application/merge-patch+json", `{"metadata":{"finalizers":["cascade_deletion","mine"]}}`)
	mustStatus(t, r, http.StatusConflict)
	// Deleting again is a no-op that answers the object.
	r = do(t, http.MethodDelete, path, "", "")
	mustStatus(t, r, http.StatusOK)
	if f := r.json(t)["metadata"].(map[string]any)["finalizers"]; fmt.Sprint(f) != "[cascade_deletion]" {
		t.Errorf("finalizers after a second DELETE = %v, want [cascade_deletion] once", f)
	}
}

func TestDryRun_writesNothing(t *testing.T) {
	ns := namespace(t)
	collection := "/kubernetes/namespaces/" + ns + "/applications"
	mustStatus(t, doJSON(t, http.MethodPost, collection+"?dry_run=true", appBody("ghost")), http.StatusOK)
	mustStatus(t, do(t, http.MethodGet, collection+"/ghost", "", ""), http.StatusNotFound)
	// Invalid input still fails a dry run.
	mustStatus(t, doJSON(t, http.MethodPost, collection+"?dry_run=true", `{"metadata":{"name":"x"},"spec":{"manifest":[]}}`), http.StatusUnprocessableEntity)

	mustStatus(t, doJSON(t, http.MethodPost, collection, appBody("echo")), http.StatusOK)
	r := do(t, http.MethodPatch, collection+"/echo?dry_run=true", "application/merge-patch+json", `{"metadata":{"labels":{"a":"b"}}}`)
	mustStatus(t, r, http.StatusOK)
	if r.json(t)["metadata"].(map[string]any)["labels"].(map[string]any)["a"] != "b" {
		t.Error("dry-run PATCH did not answer the would-be object")
	}
	r = do(t, http.MethodDelete, collection+"/echo?dry_run=true", "", "")
	mustStatus(t, r, http.StatusOK)
	stored := do(t, http.MethodGet, collection+"/echo", "", "").json(t)["metadata"].(map[string]any)
	if len(stored["labels"].(map[string]any)) != 0 || stored["deleted"] != nil {
		t.Errorf("dry runs changed the stored object: %v", stored)
	}
}

func TestList_labelSelectorAndPaging(t *testing.T) {
	ns := namespace(t)
	c := newClient(t)
	apps := c.Applications(ns)
	for i := range 7 {
		app := api.MustKind("kubernetes", "Application").New().(*api.Application)
		app.Metadata.Name = fmt.Sprintf("app-%d", i)
		app.Metadata.Labels = map[string]string{"tier": []string{"gold", "silver"}[i%2]}
		app.Spec.Manifest = api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"}})
		if _, err := apps.Create(t.Context(), app, clientWrite()); err != nil {
			t.Fatal(err)
		}
	}
	page, err := apps.List(t.Context(), clientList("", 3, ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 || page.Metadata.Continue == "" {
		t.Fatalf("first page: %d items, continue %q", len(page.Items), page.Metadata.Continue)
	}
	all, err := apps.ListAll(t.Context(), clientList("", 3, ""))
	if err != nil || len(all.Items) != 7 {
		t.Fatalf("ListAll = %d items, %v; want 7", len(all.Items), err)
	}
	gold, err := apps.ListAll(t.Context(), clientList("tier=gold", 2, ""))
	if err != nil || len(gold.Items) != 4 {
		t.Fatalf("tier=gold = %d items, %v; want 4", len(gold.Items), err)
	}
	for _, app := range gold.Items {
		if app.Metadata.Labels["tier"] != "gold" {
			t.Errorf("selector returned %s with tier %s", app.Metadata.Name, app.Metadata.Labels["tier"])
		}
	}
	notGold, err := apps.ListAll(t.Context(), clientList("tier notin (gold)", 0, ""))
	if err == nil {
		t.Errorf("a malformed selector answered %d items, want a 400", len(notGold.Items))
	}
}

// TestCreate_largeBodyWithinLimit: a body just under the 2 MiB limit is
// stored (etcd's own request limit must not turn it into an error).
func TestCreate_largeBodyWithinLimit(t *testing.T) {
	ns := namespace(t)
	big := strings.Repeat("x", 1900<<10)
	body := `{"metadata":{"name":"big"},"spec":{"manifest":[{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"blob":"` + big + `"}}]}}`
	mustStatus(t, doJSON(t, http.MethodPost, "/kubernetes/namespaces/"+ns+"/applications", body), http.StatusOK)
	r := do(t, http.MethodGet, "/kubernetes/namespaces/"+ns+"/applications/big", "", "")
	mustStatus(t, r, http.StatusOK)
	if len(r.body) < 1900<<10 {
		t.Errorf("stored object is %d bytes, want the whole manifest back", len(r.body))
	}
}

// TestList_wholeListInPages: a list without a limit holds every object
// (as the original's clients expect) though the server reads and writes
// it a page at a time, all at one revision.
func TestList_wholeListInPages(t *testing.T) {
	const n = 1234 // more than two pages
	ns := namespace(t)
	c := newClient(t)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			mustStatus(t, doJSON(t, http.MethodPost, "/core/namespaces/"+ns+"/metrics", fixture("Metric", fmt.Sprintf("m-%04d", i))), http.StatusOK)
		})
	}
	wg.Wait()
	r := do(t, http.MethodGet, "/core/namespaces/"+ns+"/metrics", "", "")
	mustStatus(t, r, http.StatusOK)
	doc := r.json(t)
	items := doc["items"].([]any)
	if len(items) != n || doc["kind"] != "MetricList" {
		t.Fatalf("whole list has %d items (kind %v), want %d", len(items), doc["kind"], n)
	}
	meta := doc["metadata"].(map[string]any)
	if meta["resource_version"] == "" || meta["continue"] != nil {
		t.Errorf("whole list metadata = %v, want a resource_version and no continue", meta)
	}
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.(map[string]any)["metadata"].(map[string]any)["name"].(string)] = true
	}
	if len(seen) != n {
		t.Errorf("whole list has %d distinct names, want %d", len(seen), n)
	}
	paged, err := client.For[*api.Metric](c, api.MustKind("core", "Metric"), ns).ListAll(t.Context(), client.ListOptions{Limit: 100})
	if err != nil || len(paged.Items) != n {
		t.Errorf("paged list: %d items, %v", len(paged.Items), err)
	}
}

// TestList_limitIsCapped: a ?limit= above the server's page cap gets a
// page of the cap and a continue token, which the client follows.
func TestList_limitIsCapped(t *testing.T) {
	ns := namespace(t)
	for i := range 520 {
		mustStatus(t, doJSON(t, http.MethodPost, "/core/namespaces/"+ns+"/metrics", fixture("Metric", fmt.Sprintf("m-%04d", i))), http.StatusOK)
	}
	doc := do(t, http.MethodGet, "/core/namespaces/"+ns+"/metrics?limit=100000", "", "").json(t)
	if n := len(doc["items"].([]any)); n != 500 || doc["metadata"].(map[string]any)["continue"] == nil {
		t.Errorf("limit=100000: %d items, metadata %v; want 500 and a continue token", n, doc["metadata"])
	}
	all, err := client.For[*api.Metric](newClient(t), api.MustKind("core", "Metric"), ns).ListAll(t.Context(), client.ListOptions{Limit: 100000})
	if err != nil || len(all.Items) != 520 {
		t.Errorf("ListAll with a large limit: %d items, %v; want 520", len(all.Items), err)
	}
}
