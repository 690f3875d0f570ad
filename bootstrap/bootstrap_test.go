package bootstrap_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/server/servertest"
	"github.com/krake-go/krake/bootstrap"
)

// TestApply: against a real server (real etcd), the base roles load, a
// second load changes nothing, --force puts a changed spec back, and a
// namespaced object without a namespace lands in the given one.
func TestApply(t *testing.T) {
	srv, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(srv.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	base := bootstrap.BaseRoles()
	first, err := bootstrap.Apply(ctx, c, base, bootstrap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := bootstrap.Apply(ctx, c, bootstrap.BaseRoles(), bootstrap.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(base) || len(second) != len(base) {
		t.Fatalf("results %d, %d for %d objects", len(first), len(second), len(base))
	}
	for i := range base {
		if first[i].Outcome != bootstrap.Created || second[i].Outcome != bootstrap.Unchanged {
			t.Errorf("%s: first %s, second %s; want created, then exists", first[i], first[i].Outcome, second[i].Outcome)
		}
	}

	// Someone narrows the viewer role; a forced load puts it back.
	viewer, err := c.Roles().Get(ctx, "viewer")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprint(viewer.Rules)
	viewer.Rules = viewer.Rules[:1]
	if _, err := c.Roles().Update(ctx, viewer, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	forced, err := bootstrap.Apply(ctx, c, bootstrap.BaseRoles(), bootstrap.Options{Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if forced[1].Name != "viewer" || forced[1].Outcome != bootstrap.Replaced {
		t.Errorf("forced: %v", forced[1])
	}
	if viewer, err = c.Roles().Get(ctx, "viewer"); err != nil || fmt.Sprint(viewer.Rules) != want {
		t.Errorf("viewer after --force: %v %v, want %s", viewer.Rules, err, want)
	}

	objs, err := bootstrap.Parse([]byte("api: core\nkind: Metric\nmetadata: {name: heat}\nspec: {min: 0, max: 1, provider: {name: prom, metric: heat}}\n"), "heat.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := bootstrap.Apply(ctx, c, objs, bootstrap.Options{Namespace: "team-a"})
	if err != nil || res[0].Namespace != "team-a" {
		t.Fatalf("namespaced metric: %v %v", res, err)
	}
	if _, err := c.Metrics("team-a").Get(ctx, "heat"); err != nil {
		t.Error(err)
	}
}

// TestParse_errors: every bad document is refused with where it is and why.
func TestParse_errors(t *testing.T) {
	for doc, want := range map[string]string{
		"api: core\nkind: Role\nmetadata: {}\n":                  "document 1 (core/Role): metadata.name is required",
		"---\n# only a comment\n---\napi: core\nkind: Nope\n":    "document 3: unknown kind \"Nope\"",
		"api: core\nkind: Role\nmetadata: {name: a}\nrules: 5\n": "document 1 (core/Role)",
		"a: [\n":                "document 1",
		"- 1\n- 2\n":            "want an object with api and kind",
		"metadata: {name: a}\n": "api and kind are required",
	} {
		if _, err := bootstrap.Parse([]byte(doc), "f.yaml"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", doc, err, want)
		}
	}
}

// TestExpand: a template is filled in whole or refused.
func TestExpand(t *testing.T) {
	out, err := bootstrap.Expand([]byte("namespaces: [${TENANT}]\ngroups: [${TENANT}-admins]\n"), map[string]string{"TENANT": "team-a"})
	if err != nil || string(out) != "namespaces: [team-a]\ngroups: [team-a-admins]\n" {
		t.Errorf("Expand = %q %v", out, err)
	}
	if _, err := bootstrap.Expand([]byte("${TENANT}"), nil); err == nil || !strings.Contains(err.Error(), "--set TENANT=VALUE") {
		t.Errorf("Expand without a value = %v", err)
	}
}

// TestTenantTemplate: the shipped template fills in and parses.
func TestTenantTemplate(t *testing.T) {
	data, err := os.ReadFile("tenant-template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	filled, err := bootstrap.Expand(data, map[string]string{"TENANT": "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := bootstrap.Parse(filled, "tenant-template.yaml")
	if err != nil || len(objs) != 2 || objs[0].GetMetadata().Name != "tenant:team-a" {
		t.Fatalf("Parse = %d objects, %v", len(objs), err)
	}
}

// TestBaseRoles_leastPrivilege: compiled by the real RBAC, each
// controller may do its job and nothing beyond: the gc deletes every kind
// but reads no secret, the scheduler binds and deletes only the clusters
// it made, the viewer sees no credentials.
func TestBaseRoles_leastPrivilege(t *testing.T) {
	var roles []*api.Role
	var bindings []*api.RoleBinding
	for _, obj := range bootstrap.BaseRoles() {
		switch o := obj.(type) {
		case *api.Role:
			roles = append(roles, o)
		case *api.RoleBinding:
			bindings = append(bindings, o)
		}
	}
	viewerBinding := &api.RoleBinding{Users: []string{"vera"}, Roles: []string{"viewer"}}
	rbac := auth.NewRBAC()
	rbac.Update(roles, append(bindings, viewerBinding))
	allowed := func(user, verb, apiName, resource string) bool {
		return rbac.Authorize(t.Context(), auth.Attributes{User: auth.User{Name: user}, Verb: verb, API: apiName, Resource: resource, Namespace: "team-a"}) == nil
	}
	for _, k := range api.Kinds {
		for _, verb := range []string{"list", "watch", "get", "update", "delete"} {
			if !allowed("system:gc", verb, k.API, k.Plural) {
				t.Errorf("system:gc may not %s %s", verb, k.Plural)
			}
		}
		if allowed("system:gc", "create", k.API, k.Plural) {
			t.Errorf("system:gc may create %s", k.Plural)
		}
		if allowed("vera", "get", k.API, k.Plural+"/credentials") || allowed("system:gc", "get", k.API, k.Plural+"/credentials") ||
			allowed("system:scheduler", "get", k.API, k.Plural+"/credentials") {
			t.Errorf("a viewer, the gc or the scheduler may read %s credentials", k.Plural)
		}
		if !allowed("vera", "list", k.API, k.Plural) {
			t.Errorf("a viewer may not list %s", k.Plural)
		}
	}
	for _, tt := range []struct {
		user, verb, api, resource string
		want                      bool
	}{
		{"system:scheduler", "update", "kubernetes", "applications/binding", true},
		{"system:scheduler", "update", "kubernetes", "applications/status", true},
		{"system:scheduler", "list", "core", "globalmetricsproviders", true},
		{"system:scheduler", "delete", "kubernetes", "clusters", true}, // the unused ones it made
		{"system:scheduler", "delete", "kubernetes", "applications", false},
		{"system:scheduler", "update", "kubernetes", "applications", false},
		{"system:kubernetes-application", "get", "kubernetes", "clusters/credentials", true},
		{"system:kubernetes-application", "update", "kubernetes", "applications/status", true},
		{"system:kubernetes-application", "delete", "kubernetes", "applications", false},
		{"system:kubernetes-application", "update", "kubernetes", "applications/binding", false},
		{"system:kubernetes-cluster", "update", "kubernetes", "clusters/status", true},
		{"system:kubernetes-cluster", "update", "kubernetes", "applications/status", false},
		{"system:controller-informers", "watch", "kubernetes", "applications", true},
		{"system:controller-informers", "update", "kubernetes", "applications", false},
		{"vera", "update", "kubernetes", "applications", false},
		{"system:scheduler", "update", "kubernetes", "clusters/binding", true},
		{"system:scheduler", "update", "infrastructure", "clouds/status", true},
		{"system:scheduler", "update", "infrastructure", "clouds", false},
		{"system:infrastructure", "get", "infrastructure", "globalinfrastructureproviders/credentials", true},
		{"system:infrastructure", "get", "infrastructure", "clouds/credentials", true},
		{"system:infrastructure", "update", "kubernetes", "clusters", true},
		{"system:infrastructure", "update", "kubernetes", "clusters/status", true},
		{"system:infrastructure", "update", "kubernetes", "clusters/binding", false},
		{"system:infrastructure", "delete", "kubernetes", "clusters", false},
		{"system:infrastructure", "get", "kubernetes", "applications", false},
		{"system:infrastructure", "update", "infrastructure", "clouds", false},
	} {
		if got := allowed(tt.user, tt.verb, tt.api, tt.resource); got != tt.want {
			t.Errorf("%s %s %s/%s: allowed %v, want %v", tt.user, tt.verb, tt.api, tt.resource, got, tt.want)
		}
	}
	// Leader election: every controller identity (group system:controllers)
	// takes and renews leases, and may not delete them; others may not write.
	controller := auth.User{Name: "system:scheduler", Groups: []string{"system:controllers"}}
	for verb, want := range map[string]bool{"get": true, "create": true, "update": true, "delete": false} {
		err := rbac.Authorize(t.Context(), auth.Attributes{User: controller, Verb: verb, API: "core", Resource: "leases"})
		if (err == nil) != want {
			t.Errorf("a controller %s leases: allowed %v, want %v", verb, err == nil, want)
		}
	}
	if allowed("vera", "update", "core", "leases") {
		t.Error("a viewer may take a lease")
	}
}
