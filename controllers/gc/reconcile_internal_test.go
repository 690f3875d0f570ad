package gc

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/runtime"
)

// fakeCache is a seeded cache of one kind.
type fakeCache []api.Object

func (f fakeCache) Get(namespace, name string) (api.Object, bool) {
	for _, obj := range f {
		if m := obj.GetMetadata(); m.Namespace == namespace && m.Name == name {
			return obj, true
		}
	}
	return nil, false
}
func (f fakeCache) List() []api.Object { return f }
func (f fakeCache) Synced() <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// recorder records the collector's writes; live is what the API itself
// holds (by default, what the caches hold).
type recorder struct {
	writes []string
	live   []Dependent
}

func (r *recorder) Dependents(_ context.Context, owner api.ResourceRef) ([]Dependent, error) {
	return r.live, nil
}

func (r *recorder) Delete(_ context.Context, k api.Kind, namespace, name string) error {
	r.writes = append(r.writes, "delete "+k.Kind+" "+namespace+"/"+name)
	return nil
}

func (r *recorder) Release(_ context.Context, k api.Kind, namespace, name string) error {
	r.writes = append(r.writes, "release "+k.Kind+" "+namespace+"/"+name)
	return nil
}

func object(kind, name string, mutate func(*api.Metadata)) api.Object {
	k := api.MustKind(map[string]string{"Application": "kubernetes", "Cluster": "kubernetes", "Metric": "core"}[kind], kind)
	obj := k.New()
	m := obj.GetMetadata()
	m.Namespace, m.Name = "ns", name
	if mutate != nil {
		mutate(m)
	}
	return obj
}

// TestReconcile_table: a deleted owner with cascade_deletion has its
// dependents of any kind deleted first, waits while they go, and is
// released once none is left; anything else is left alone.
func TestReconcile_table(t *testing.T) {
	deleting := func(m *api.Metadata) {
		m.Deleted = api.NewTimePtr(time.Now())
		m.Finalizers = []string{api.FinalizerCascadeDeletion}
	}
	owner := api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: "ns", Name: "c1"}
	ownedBy := func(m *api.Metadata) { m.Owners = []api.ResourceRef{owner} }
	tests := []struct {
		name       string
		clusters   fakeCache
		apps       fakeCache
		metrics    fakeCache
		live       []Dependent // what the API holds beyond the caches
		wantWrites []string
	}{
		{name: "not deleted: left alone", clusters: fakeCache{object("Cluster", "c1", nil)},
			apps: fakeCache{object("Application", "a1", ownedBy)}},
		{name: "deleted without cascade_deletion: not the collector's",
			clusters: fakeCache{object("Cluster", "c1", func(m *api.Metadata) { m.Deleted = api.NewTimePtr(time.Now()) })}},
		{name: "deleted, no dependents: released", clusters: fakeCache{object("Cluster", "c1", deleting)},
			apps: fakeCache{object("Application", "other", nil)}, wantWrites: []string{"release Cluster ns/c1"}},
		{name: "deleted with dependents of two kinds: they go first", clusters: fakeCache{object("Cluster", "c1", deleting)},
			apps:       fakeCache{object("Application", "a1", ownedBy), object("Application", "free", nil)},
			metrics:    fakeCache{object("Metric", "m1", ownedBy)},
			wantWrites: []string{"delete Application ns/a1", "delete Metric ns/m1"}},
		{name: "a dependent on its way out: wait, no write", clusters: fakeCache{object("Cluster", "c1", deleting)},
			apps: fakeCache{object("Application", "a1", func(m *api.Metadata) { ownedBy(m); m.Deleted = api.NewTimePtr(time.Now()) })}},
		{name: "a dependent the cache has not seen yet: deleted, the owner waits", clusters: fakeCache{object("Cluster", "c1", deleting)},
			live:       []Dependent{{Kind: api.MustKind("kubernetes", "Application"), Namespace: "ns", Name: "new"}},
			wantWrites: []string{"delete Application ns/new"}},
		{name: "an unseen dependent on its way out: the owner waits, no write", clusters: fakeCache{object("Cluster", "c1", deleting)},
			live: []Dependent{{Kind: api.MustKind("kubernetes", "Application"), Namespace: "ns", Name: "new", Deleted: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &recorder{live: tt.live}
			g := &Controller{api: w, sources: map[kindKey]*source{}, log: slog.New(slog.DiscardHandler)}
			for kind, c := range map[string]fakeCache{"Application": tt.apps, "Cluster": tt.clusters, "Metric": tt.metrics} {
				k := api.MustKind(map[string]string{"Application": "kubernetes", "Cluster": "kubernetes", "Metric": "core"}[kind], kind)
				src := &source{kind: k, cache: c}
				g.sources[kindKey{k.API, k.Kind}] = src
			}
			for _, k := range api.Kinds { // the registry's order, as New keeps it
				if src := g.sources[kindKey{k.API, k.Kind}]; src != nil {
					g.order = append(g.order, src)
				}
			}
			cluster := api.MustKind("kubernetes", "Cluster")
			if _, err := g.reconcile(t.Context(), cluster, runtime.Key{Namespace: "ns", Name: "c1"}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(w.writes, tt.wantWrites) {
				t.Errorf("writes %q, want %q", w.writes, tt.wantWrites)
			}
		})
	}
}
