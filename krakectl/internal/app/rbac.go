package app

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/apiserver/store/watchcache"
	"github.com/krake-go/krake/bootstrap"
)

var (
	roleKind    = api.MustKind("core", "Role")
	bindingKind = api.MustKind("core", "RoleBinding")
)

// rbacFeed keeps an RBAC index current with the stored roles and
// bindings: a list, then the watch cache's events; no request reads etcd.
type rbacFeed struct {
	store *store.Store
	cache *watchcache.Cache
	rbac  *auth.RBAC
	log   *slog.Logger

	roles    map[string]*api.Role
	bindings map[string]*api.RoleBinding
}

// sync lists both kinds and hands them to the index; it returns the
// revision to watch from.
func (f *rbacFeed) sync(ctx context.Context) (int64, error) {
	roles, err := f.store.List(ctx, roleKind, "", store.ListOptions{})
	if err != nil {
		return 0, err
	}
	bindings, err := f.store.List(ctx, bindingKind, "", store.ListOptions{Continue: ""})
	if err != nil {
		return 0, err
	}
	f.roles, f.bindings = map[string]*api.Role{}, map[string]*api.RoleBinding{}
	for _, it := range roles.Items {
		obj, err := it.Decode(roleKind)
		if err != nil {
			return 0, err
		}
		f.roles[obj.GetMetadata().Name] = obj.(*api.Role)
	}
	for _, it := range bindings.Items {
		obj, err := it.Decode(bindingKind)
		if err != nil {
			return 0, err
		}
		f.bindings[obj.GetMetadata().Name] = obj.(*api.RoleBinding)
	}
	f.publish()
	return min(roles.Revision, bindings.Revision), nil
}

func (f *rbacFeed) publish() {
	f.rbac.Update(slices.Collect(maps.Values(f.roles)), slices.Collect(maps.Values(f.bindings)))
}

// run follows changes until ctx ends, listing again when a watch ends.
func (f *rbacFeed) run(ctx context.Context, rev int64) {
	for ctx.Err() == nil {
		if err := f.follow(ctx, rev); err != nil && ctx.Err() == nil {
			f.log.Info("rbac: watch ended; listing roles again", "err", err)
		}
		for ctx.Err() == nil {
			var err error
			if rev, err = f.sync(ctx); err == nil {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

func (f *rbacFeed) follow(ctx context.Context, rev int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	roles := f.cache.Watch(ctx, roleKind, "", rev)
	bindings := f.cache.Watch(ctx, bindingKind, "", rev)
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-roles:
			if !ok || ev.Err != nil {
				return fmt.Errorf("roles: %v", ev.Err)
			}
			if ev.Type == api.Deleted {
				delete(f.roles, ev.Name)
			} else if obj, err := ev.Object(); err == nil {
				f.roles[ev.Name] = obj.(*api.Role)
			}
		case ev, ok := <-bindings:
			if !ok || ev.Err != nil {
				return fmt.Errorf("role bindings: %v", ev.Err)
			}
			if ev.Type == api.Deleted {
				delete(f.bindings, ev.Name)
			} else if obj, err := ev.Object(); err == nil {
				f.bindings[ev.Name] = obj.(*api.RoleBinding)
			}
		}
		f.publish()
	}
}

// ensureBaseRoles creates the base roles and the controllers' bindings
// that are missing (bootstrap/base-roles.yaml), as the API server's own
// identity, and returns once the RBAC index holds them; existing ones are
// left as an operator changed them. Several API servers starting at once
// are fine: a role another created counts.
func ensureBaseRoles(ctx context.Context, c *client.Client, rbac *auth.RBAC, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	base := bootstrap.BaseRoles()
	var bindings []string
	for _, obj := range base {
		if _, ok := obj.(*api.RoleBinding); ok {
			bindings = append(bindings, obj.GetMetadata().Name)
		}
	}
	for {
		results, err := bootstrap.Apply(ctx, c, base, bootstrap.Options{})
		for err == nil && !rbac.HasBindings(bindings...) {
			select { // the role feed follows the store's watch
			case <-ctx.Done():
				err = ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
		if err == nil {
			created := 0
			for _, r := range results {
				if r.Outcome == bootstrap.Created {
					created++
				}
			}
			log.Info("rbac: base roles in place", "created", created, "total", len(results))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("rbac: create the base roles: %w", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
