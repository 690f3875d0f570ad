package auth

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/krake-go/krake/apiserver/api"
)

// MastersGroup is always allowed everything (as in Kubernetes): how the
// first roles get in, and the group of Krake's own controllers.
const MastersGroup = "system:masters"

// DenyAll refuses every request (--authorization always-deny).
type DenyAll struct{}

var _ Authorizer = DenyAll{}

// Authorize refuses.
func (DenyAll) Authorize(_ context.Context, a Attributes) error {
	return fmt.Errorf("%w: the server allows nothing (--authorization always-deny)", ErrForbidden)
}

// ChangeNotifier is implemented by authorizers whose decisions change
// (RBAC as roles and bindings change): the channel is closed at the next
// change, so a long-lived stream can decide again then, and only then.
type ChangeNotifier interface {
	Changed() <-chan struct{}
}

// NamespaceFilter is implemented by authorizers that can say in which
// namespaces a user may do something, for lists and watches across
// namespaces: only objects of those namespaces are shown.
type NamespaceFilter interface {
	// Namespaces returns all = true when the user may act in every
	// namespace, else the namespaces it may act in (none: forbidden).
	Namespaces(a Attributes) (all bool, namespaces map[string]bool)
}

// RBAC decides over Roles and RoleBindings in the original's format: a
// rule allows its verbs on its resources of its API in its namespaces, ""
// or "all" matching any; watch is allowed by list; subresources
// (applications/status, clusters/credentials, ...) are resources of their
// own. Bindings give roles to users and groups. Update replaces what it
// knows (from a watch of the store), so no request reads etcd.
type RBAC struct {
	mu       sync.RWMutex
	byUser   map[string][]api.RoleRule
	byGroup  map[string][]api.RoleRule
	bindings map[string]bool // names of the bindings in the index
	changed  chan struct{}   // closed, and replaced, by each Update
}

var (
	_ Authorizer      = (*RBAC)(nil)
	_ NamespaceFilter = (*RBAC)(nil)
	_ ChangeNotifier  = (*RBAC)(nil)
)

// NewRBAC returns an RBAC that knows no role yet (only system:masters).
func NewRBAC() *RBAC {
	return &RBAC{byUser: map[string][]api.RoleRule{}, byGroup: map[string][]api.RoleRule{}, changed: make(chan struct{})}
}

// Update compiles roles and bindings into the index.
func (a *RBAC) Update(roles []*api.Role, bindings []*api.RoleBinding) {
	rules := make(map[string][]api.RoleRule, len(roles))
	for _, r := range roles {
		if r.Metadata.Deleted == nil {
			rules[r.Metadata.Name] = r.Rules
		}
	}
	byUser, byGroup, names := map[string][]api.RoleRule{}, map[string][]api.RoleRule{}, map[string]bool{}
	for _, b := range bindings {
		if b.Metadata.Deleted != nil {
			continue
		}
		names[b.Metadata.Name] = true
		var granted []api.RoleRule
		for _, role := range b.Roles {
			granted = append(granted, rules[role]...)
		}
		for _, u := range b.Users {
			byUser[u] = append(byUser[u], granted...)
		}
		for _, g := range b.Groups {
			byGroup[g] = append(byGroup[g], granted...)
		}
	}
	a.mu.Lock()
	a.byUser, a.byGroup, a.bindings = byUser, byGroup, names
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
}

// Changed is closed by the next Update: streams re-check their right then.
func (a *RBAC) Changed() <-chan struct{} {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.changed
}

// HasBindings reports whether the index holds bindings of all these names.
func (a *RBAC) HasBindings(names ...string) bool {
	a.mu.RLock()
	defer a.mu.RUnlock()
	for _, n := range names {
		if !a.bindings[n] {
			return false
		}
	}
	return true
}

func wildcard(v string) bool { return v == "" || v == "all" }

func matches(values []string, v string) bool {
	return slices.ContainsFunc(values, func(x string) bool { return wildcard(x) || x == v })
}

// ruleVerb is the verb a rule must hold: watch is granted by list.
func ruleVerb(verb string) string {
	if verb == "watch" {
		return "list"
	}
	return verb
}

// rulesOf are the user's rules (its own and its groups'); masters is true
// for system:masters.
func (a *RBAC) rulesOf(u User) (rules []api.RoleRule, masters bool) {
	if slices.Contains(u.Groups, MastersGroup) {
		return nil, true
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	rules = append(rules, a.byUser[u.Name]...)
	for _, g := range u.Groups {
		rules = append(rules, a.byGroup[g]...)
	}
	return rules, false
}

// grants reports whether a rule allows the request apart from its namespace.
func grants(r api.RoleRule, at Attributes) bool {
	return (wildcard(r.API) || r.API == at.API) && matches(r.Resources, at.Resource) &&
		(matches(r.Verbs, ruleVerb(at.Verb)) || matches(r.Verbs, at.Verb))
}

// Authorize allows the request when a rule of the user's roles does.
func (a *RBAC) Authorize(_ context.Context, at Attributes) error {
	rules, masters := a.rulesOf(at.User)
	if masters {
		return nil
	}
	for _, r := range rules {
		if grants(r, at) && matches(r.Namespaces, at.Namespace) {
			return nil
		}
	}
	where := "globally"
	if at.Namespace != "" {
		where = fmt.Sprintf("in namespace %q", at.Namespace)
	}
	return fmt.Errorf("%w: user %q may not %s %s/%s %s; a RoleBinding to a Role allowing it is needed",
		ErrForbidden, at.User.Name, at.Verb, at.API, at.Resource, where)
}

// Namespaces says where the user may do what at asks, whatever at's
// namespace.
func (a *RBAC) Namespaces(at Attributes) (bool, map[string]bool) {
	rules, masters := a.rulesOf(at.User)
	if masters {
		return true, nil
	}
	namespaces := map[string]bool{}
	for _, r := range rules {
		if !grants(r, at) {
			continue
		}
		for _, ns := range r.Namespaces {
			if wildcard(ns) {
				return true, nil
			}
			namespaces[ns] = true
		}
	}
	return false, namespaces
}
