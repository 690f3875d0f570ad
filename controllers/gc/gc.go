// Package gc is the garbage collector of the finalizer flow: when an
// object of any kind is marked deleted and still holds the
// cascade_deletion finalizer, it deletes the object's dependents (objects
// of any kind naming it in metadata.owners) and releases the finalizer once
// none is left, so the API removes the record.
package gc

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/controllers/runtime"
)

// cache is what the collector reads of one kind's informer.
type cache interface {
	Get(namespace, name string) (api.Object, bool)
	List() []api.Object
	Synced() <-chan struct{}
}

// kindKey identifies a kind in owner references.
type kindKey struct{ api, kind string }

// source is one kind the collector follows.
type source struct {
	kind     api.Kind
	cache    cache
	resource *client.Resource[api.Object] // across namespaces; scoped per call
	loop     *runtime.Controller
	start    func(ctx context.Context) // the kind's own informer; nil when shared
}

// writer is every API call the collector makes.
type writer interface {
	// Delete marks a dependent deleted (gone already is no error).
	Delete(ctx context.Context, k api.Kind, namespace, name string) error
	// Release removes cascade_deletion from an object (gone already is no error).
	Release(ctx context.Context, k api.Kind, namespace, name string) error
	// Dependents lists, from the API itself, the objects of every kind
	// that name owner in metadata.owners.
	Dependents(ctx context.Context, owner api.ResourceRef) ([]Dependent, error)
}

// Dependent is an object that names an owner, as the API has it.
type Dependent struct {
	Kind      api.Kind
	Namespace string
	Name      string
	Deleted   bool
}

// apiWriter writes through the Krake API.
type apiWriter struct{ c *client.Client }

func (w apiWriter) Delete(ctx context.Context, k api.Kind, namespace, name string) error {
	_, err := scoped(w.c, k, namespace).Delete(ctx, name, client.WriteOptions{})
	if client.IsNotFound(err) {
		return nil
	}
	return err
}

func (w apiWriter) Release(ctx context.Context, k api.Kind, namespace, name string) error {
	return release(ctx, scoped(w.c, k, namespace), name)
}

// Dependents lists every kind: in the owner's namespace for a namespaced
// owner (its dependents live there), everywhere for a global one.
func (w apiWriter) Dependents(ctx context.Context, owner api.ResourceRef) ([]Dependent, error) {
	var out []Dependent
	for _, k := range api.Kinds {
		r := scoped(w.c, k, "")
		if owner.Namespace != "" && k.Namespaced {
			r = scoped(w.c, k, owner.Namespace)
		}
		list, err := r.ListAll(ctx, client.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", k.Plural, err)
		}
		for _, obj := range list.Items {
			if m := obj.GetMetadata(); slices.Contains(m.Owners, owner) {
				out = append(out, Dependent{Kind: k, Namespace: m.Namespace, Name: m.Name, Deleted: m.Deleted != nil})
			}
		}
	}
	return out, nil
}

// Controller collects garbage of every kind of the registry.
type Controller struct {
	api     writer
	sources map[kindKey]*source
	order   []*source // api.Kinds order, for stable iteration
	log     *slog.Logger
}

// New returns the garbage collector for all namespaces. Applications and
// clusters come from the process's shared informers; the other kinds get
// informers of their own, started by Start.
func New(c *client.Client, log *slog.Logger, inf *runtime.Informers) *Controller {
	g := &Controller{api: apiWriter{c}, sources: map[kindKey]*source{}, log: log}
	for _, k := range api.Kinds {
		src := &source{kind: k, resource: client.For[api.Object](c, k, "")}
		shared, ok := inf.Shared(k)
		if !ok {
			own := informer.New(src.resource, log)
			shared = runtime.Generic(own)
			src.start = func(ctx context.Context) { _ = own.Start(ctx) }
		}
		shared.AddHandler(func(_ string, obj api.Object) { g.changed(obj) })
		src.cache = shared
		kind := k
		src.loop = runtime.New("gc-"+k.Plural, runtime.ReconcilerFunc(func(ctx context.Context, key runtime.Key) (runtime.Result, error) {
			return g.reconcile(ctx, kind, key)
		}), 2, log)
		g.sources[kindKey{k.API, k.Kind}] = src
		g.order = append(g.order, src)
	}
	return g
}

// changed enqueues obj when it is being deleted, and its owners: a
// dependent that changed or went away may release them.
func (g *Controller) changed(obj api.Object) {
	m := obj.GetMetadata()
	if m.Deleted != nil {
		if src := g.sources[kindKey{obj.GetAPI(), obj.GetKind()}]; src != nil {
			src.loop.Enqueue(runtime.Key{Namespace: m.Namespace, Name: m.Name})
		}
	}
	for _, owner := range m.Owners {
		if src := g.sources[kindKey{owner.API, owner.Kind}]; src != nil {
			src.loop.Enqueue(runtime.Key{Namespace: owner.Namespace, Name: owner.Name})
		}
	}
}

// Start runs until ctx ends. It starts the informers it owns, waits until
// every kind's cache is filled (a dependent missing from an unsynced cache
// would let an owner go too early), then runs a loop per kind. The shared
// informers are started by the caller.
func (g *Controller) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, src := range g.order {
		if src.start != nil {
			wg.Go(func() { src.start(ctx) })
		}
	}
	synced := make([]<-chan struct{}, 0, len(g.order))
	for _, src := range g.order {
		synced = append(synced, src.cache.Synced())
	}
	for _, src := range g.order {
		wg.Go(func() { _ = src.loop.Start(ctx, synced...) })
	}
	<-ctx.Done()
	return nil
}

// reconcile deletes the dependents of a deleted object, then releases it.
func (g *Controller) reconcile(ctx context.Context, k api.Kind, key runtime.Key) (runtime.Result, error) {
	src := g.sources[kindKey{k.API, k.Kind}]
	obj, ok := src.cache.Get(key.Namespace, key.Name)
	if !ok || obj.GetMetadata().Deleted == nil || !slices.Contains(obj.GetMetadata().Finalizers, api.FinalizerCascadeDeletion) {
		return runtime.Result{}, nil
	}
	ref := api.Ref(obj)
	dependents := 0
	for _, dep := range g.order {
		for _, d := range dep.cache.List() {
			m := d.GetMetadata()
			if !slices.Contains(m.Owners, ref) {
				continue
			}
			dependents++
			if m.Deleted != nil {
				continue // on its way out
			}
			if err := g.api.Delete(ctx, dep.kind, m.Namespace, m.Name); err != nil {
				return runtime.Result{}, fmt.Errorf("delete dependent %s %s: %w", dep.kind.Kind, m.Name, err)
			}
		}
	}
	if dependents > 0 {
		return runtime.Result{}, nil // the dependents' removal enqueues us again
	}
	// Each kind's cache follows its own watch: a dependent created just
	// before the owner's delete may not have reached its cache yet. The
	// API itself has the last word before the owner goes.
	live, err := g.api.Dependents(ctx, ref)
	if err != nil {
		return runtime.Result{}, fmt.Errorf("check dependents: %w", err)
	}
	for _, d := range live {
		if d.Deleted {
			continue
		}
		if err := g.api.Delete(ctx, d.Kind, d.Namespace, d.Name); err != nil {
			return runtime.Result{}, fmt.Errorf("delete dependent %s %s: %w", d.Kind.Kind, d.Name, err)
		}
	}
	if len(live) > 0 {
		// Their events enqueue us again once the caches see them; the
		// requeue covers an event that came before this pass.
		return runtime.Result{RequeueAfter: time.Second}, nil
	}
	return runtime.Result{}, g.api.Release(ctx, k, key.Namespace, key.Name)
}

func scoped(c *client.Client, k api.Kind, namespace string) *client.Resource[api.Object] {
	return client.For[api.Object](c, k, namespace)
}

// release removes cascade_deletion, with the object's resource_version so
// a concurrent change is not undone.
func release(ctx context.Context, r *client.Resource[api.Object], name string) error {
	obj, err := r.Get(ctx, name)
	if client.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	m := obj.GetMetadata()
	m.Finalizers = slices.DeleteFunc(slices.Clone(m.Finalizers), func(f string) bool { return f == api.FinalizerCascadeDeletion })
	_, err = r.Update(ctx, obj, client.WriteOptions{})
	if client.IsNotFound(err) {
		return nil
	}
	return err
}
