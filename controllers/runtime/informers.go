package runtime

import (
	"context"
	"log/slog"
	"sync"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
)

// Informers are the caches the controllers of one process share: one list
// + watch per kind, however many controllers follow it. Controllers add
// their handlers when built; the process starts the informers after.
type Informers struct {
	Apps     *informer.Informer[*api.Application]
	Clusters *informer.Informer[*api.Cluster]
}

// NewInformers returns unstarted informers for every namespace.
func NewInformers(c *client.Client, log *slog.Logger) *Informers {
	return &Informers{Apps: informer.New(c.Applications(""), log), Clusters: informer.New(c.Clusters(""), log)}
}

// Run runs the informers until ctx ends and returns once they stopped.
func (i *Informers) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { _ = i.Apps.Start(ctx) })
	wg.Go(func() { _ = i.Clusters.Start(ctx) })
	wg.Wait()
}

// Cache is a kind-generic view of an informer: what code written for
// every kind (the garbage collector) reads and follows.
type Cache interface {
	Get(namespace, name string) (api.Object, bool)
	List() []api.Object
	Synced() <-chan struct{}
	AddHandler(func(typ string, obj api.Object))
}

// Shared is the process's shared informer of kind k, as a Cache; false
// when k has none (then a controller runs its own).
func (i *Informers) Shared(k api.Kind) (Cache, bool) {
	switch k.String() {
	case i.Apps.Kind().String():
		return Generic(i.Apps), true
	case i.Clusters.Kind().String():
		return Generic(i.Clusters), true
	}
	return nil, false
}

// Generic views an informer of a concrete kind as a Cache.
func Generic[T api.Object](inf *informer.Informer[T]) Cache { return generic[T]{inf} }

type generic[T api.Object] struct{ inf *informer.Informer[T] }

func (g generic[T]) Get(namespace, name string) (api.Object, bool) { return g.inf.Get(namespace, name) }
func (g generic[T]) Synced() <-chan struct{}                       { return g.inf.Synced() }
func (g generic[T]) AddHandler(h func(typ string, obj api.Object)) {
	g.inf.AddHandler(func(typ string, obj T) { h(typ, obj) })
}
func (g generic[T]) List() []api.Object {
	items := g.inf.List()
	out := make([]api.Object, len(items))
	for i, obj := range items {
		out[i] = obj
	}
	return out
}
