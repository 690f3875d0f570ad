// Package gc is the garbage collector of the finalizer flow: when an
// object marked deleted still holds the cascade_deletion finalizer, it
// deletes the object's dependents (objects naming it in metadata.owners)
// and releases the finalizer once none is left. It covers applications
// and clusters, the kinds with owners today.
package gc

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/controllers/runtime"
)

// Controller collects garbage.
type Controller struct {
	api      *client.Client
	apps     *informer.Informer[*api.Application]
	clusters *informer.Informer[*api.Cluster]
	appLoop  *runtime.Controller
	clLoop   *runtime.Controller
	log      *slog.Logger
}

// New returns the garbage collector for all namespaces.
func New(c *client.Client, log *slog.Logger, inf *runtime.Informers) *Controller {
	g := &Controller{api: c, apps: inf.Apps, clusters: inf.Clusters, log: log}
	g.appLoop = runtime.New("gc-applications", reconcilerFunc(g.reconcileApp), 2, log)
	g.clLoop = runtime.New("gc-clusters", reconcilerFunc(g.reconcileCluster), 2, log)
	g.apps.AddHandler(func(typ string, app *api.Application) {
		if app.Metadata.Deleted != nil {
			g.appLoop.Enqueue(runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name})
		}
		// A dependent that went away may release its owners.
		for _, owner := range app.Metadata.Owners {
			if owner.Kind == "Cluster" {
				g.clLoop.Enqueue(runtime.Key{Namespace: owner.Namespace, Name: owner.Name})
			}
		}
	})
	g.clusters.AddHandler(func(typ string, cl *api.Cluster) {
		if cl.Metadata.Deleted != nil {
			g.clLoop.Enqueue(runtime.Key{Namespace: cl.Metadata.Namespace, Name: cl.Metadata.Name})
		}
	})
	return g
}

type reconcilerFunc func(ctx context.Context, key runtime.Key) (runtime.Result, error)

func (f reconcilerFunc) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	return f(ctx, key)
}

// Start runs until ctx ends (the shared informers are started by the caller).
func (g *Controller) Start(ctx context.Context) error {
	go func() { _ = g.clLoop.Start(ctx) }()
	return g.appLoop.Start(ctx)
}

// reconcileApp releases a deleted application: it has no dependents.
func (g *Controller) reconcileApp(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	app, ok := g.apps.Get(key.Namespace, key.Name)
	if !ok || app.Metadata.Deleted == nil || !slices.Contains(app.Metadata.Finalizers, api.FinalizerCascadeDeletion) {
		return runtime.Result{}, nil
	}
	return runtime.Result{}, release(ctx, g.api.Applications(key.Namespace), key.Name)
}

// reconcileCluster deletes the applications bound to a deleted cluster,
// then releases it.
func (g *Controller) reconcileCluster(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	cl, ok := g.clusters.Get(key.Namespace, key.Name)
	if !ok || cl.Metadata.Deleted == nil || !slices.Contains(cl.Metadata.Finalizers, api.FinalizerCascadeDeletion) {
		return runtime.Result{}, nil
	}
	<-g.apps.Synced()
	ref := api.Ref(cl)
	dependents := 0
	for _, app := range g.apps.List() {
		if !slices.Contains(app.Metadata.Owners, ref) {
			continue
		}
		dependents++
		if app.Metadata.Deleted == nil {
			if _, err := g.api.Applications(app.Metadata.Namespace).Delete(ctx, app.Metadata.Name, client.WriteOptions{}); err != nil && !client.IsNotFound(err) {
				return runtime.Result{}, fmt.Errorf("delete dependent %s: %w", app.Metadata.Name, err)
			}
		}
	}
	if dependents > 0 {
		return runtime.Result{}, nil // the dependents' removal enqueues us again
	}
	return runtime.Result{}, release(ctx, g.api.Clusters(key.Namespace), key.Name)
}

// release removes cascade_deletion, with the object's resource_version so
// a concurrent change is not undone.
func release[T api.Object](ctx context.Context, r *client.Resource[T], name string) error {
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
