package auth_test

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
)

func role(name string, rules ...api.RoleRule) *api.Role {
	r := &api.Role{Rules: rules}
	r.Metadata.Name = name
	return r
}

func binding(name string, users, groups, roles []string) *api.RoleBinding {
	b := &api.RoleBinding{Users: users, Groups: groups, Roles: roles}
	b.Metadata.Name = name
	return b
}

// TestRBAC_matrix: three users, every verb, three namespaces, a
// namespaced and a global kind: each decision as the roles say.
func TestRBAC_matrix(t *testing.T) {
	a := auth.NewRBAC()
	a.Update([]*api.Role{
		role("app-admin", api.RoleRule{API: "kubernetes", Resources: []string{"applications"}, Namespaces: []string{"team-a"}, Verbs: []string{"get", "list", "create", "update", "delete"}}),
		role("viewer", api.RoleRule{API: "", Resources: []string{""}, Namespaces: []string{"all"}, Verbs: []string{"get", "list"}}),
		role("status-writer", api.RoleRule{API: "kubernetes", Resources: []string{"applications/status"}, Namespaces: []string{"team-b"}, Verbs: []string{"update"}}),
		role("empty"),
	}, []*api.RoleBinding{
		binding("alice-admin", []string{"alice"}, nil, []string{"app-admin", "empty"}),
		binding("viewers", nil, []string{"auditors"}, []string{"viewer"}),
		binding("bob-status", []string{"bob"}, nil, []string{"status-writer", "missing-role"}),
	})
	alice := auth.User{Name: "alice", Groups: []string{}}
	bob := auth.User{Name: "bob", Groups: []string{}}
	carol := auth.User{Name: "carol", Groups: []string{"auditors"}}
	admin := auth.User{Name: "root", Groups: []string{"system:masters"}}
	allowed := func(u auth.User, verb, apiName, resource, ns string) bool {
		return a.Authorize(t.Context(), auth.Attributes{User: u, Verb: verb, API: apiName, Resource: resource, Namespace: ns}) == nil
	}
	for _, verb := range api.Verbs {
		for _, ns := range []string{"team-a", "team-b", "team-c"} {
			apps := allowed(alice, verb, "kubernetes", "applications", ns)
			wantApps := ns == "team-a" // every verb of the role; watch comes with list
			if apps != wantApps {
				t.Errorf("alice %s applications in %s = %v, want %v", verb, ns, apps, wantApps)
			}
			if allowed(alice, verb, "kubernetes", "clusters", ns) {
				t.Errorf("alice may %s clusters in %s", verb, ns)
			}
			if allowed(alice, verb, "kubernetes", "applications/status", ns) {
				t.Errorf("alice may %s applications/status in %s: a subresource is its own resource", verb, ns)
			}
			status := allowed(bob, verb, "kubernetes", "applications/status", ns)
			if want := verb == "update" && ns == "team-b"; status != want {
				t.Errorf("bob %s applications/status in %s = %v, want %v", verb, ns, status, want)
			}
			reads := verb == "get" || verb == "list" || verb == "watch"
			if got := allowed(carol, verb, "kubernetes", "clusters", ns); got != reads {
				t.Errorf("carol (auditors) %s clusters in %s = %v, want %v", verb, ns, got, reads)
			}
			if !allowed(admin, verb, "kubernetes", "clusters", ns) {
				t.Errorf("system:masters refused %s in %s", verb, ns)
			}
		}
		// A global kind: its namespace is "", matched only by a wildcard.
		if allowed(alice, verb, "core", "roles", "") {
			t.Errorf("alice may %s roles", verb)
		}
		if got, want := allowed(carol, verb, "core", "roles", ""), verb == "get" || verb == "list" || verb == "watch"; got != want {
			t.Errorf("carol %s roles = %v, want %v", verb, got, want)
		}
	}
	err := a.Authorize(t.Context(), auth.Attributes{User: bob, Verb: "delete", API: "kubernetes", Resource: "applications", Namespace: "team-b"})
	if !errors.Is(err, auth.ErrForbidden) || err.Error() != `forbidden: user "bob" may not delete kubernetes/applications in namespace "team-b"; a RoleBinding to a Role allowing it is needed` {
		t.Errorf("refusal = %v", err)
	}
	// Across namespaces: where each may list.
	for _, tc := range []struct {
		user    auth.User
		wantAll bool
		want    []string
	}{{alice, false, []string{"team-a"}}, {bob, false, nil}, {carol, true, nil}, {admin, true, nil}} {
		all, namespaces := a.Namespaces(auth.Attributes{User: tc.user, Verb: "watch", API: "kubernetes", Resource: "applications"})
		got := slices.Sorted(maps.Keys(namespaces))
		if all != tc.wantAll || fmt.Sprint(got) != fmt.Sprint(tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("Namespaces(%s) = %v %v, want %v %v", tc.user.Name, all, got, tc.wantAll, tc.want)
		}
	}
	// A removed binding takes effect at the next Update.
	a.Update(nil, nil)
	if allowed(alice, "get", "kubernetes", "applications", "team-a") {
		t.Error("alice still allowed after her binding went")
	}
}
