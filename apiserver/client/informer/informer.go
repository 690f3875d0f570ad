// Package informer keeps a local cache of one kind from list + watch, and
// tells handlers which objects changed. Controllers and the TUI use it so
// they read from memory and hear about changes without polling.
package informer

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/internal/backoff"
)

// Handler hears about changes; it must not block (controllers enqueue).
type Handler[T api.Object] func(eventType string, obj T)

// Informer caches a kind, in one namespace or all.
type Informer[T api.Object] struct {
	resource *client.Resource[T]
	log      *slog.Logger

	mu       sync.RWMutex
	items    map[string]T
	synced   chan struct{}
	once     sync.Once
	handlers []Handler[T]
}

// New returns an informer over resource.
func New[T api.Object](resource *client.Resource[T], log *slog.Logger) *Informer[T] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Informer[T]{resource: resource, log: log, items: map[string]T{}, synced: make(chan struct{})}
}

// Kind is the kind the informer caches.
func (i *Informer[T]) Kind() api.Kind { return i.resource.Kind() }

// AddHandler registers h; add handlers before Start.
func (i *Informer[T]) AddHandler(h Handler[T]) { i.handlers = append(i.handlers, h) }

// Key is the cache key of an object: namespace/name.
func Key(obj api.Object) string {
	m := obj.GetMetadata()
	return m.Namespace + "/" + m.Name
}

// Get returns the cached object; callers must not modify it.
func (i *Informer[T]) Get(namespace, name string) (T, bool) {
	i.mu.RLock()
	defer i.mu.RUnlock()
	obj, ok := i.items[namespace+"/"+name]
	return obj, ok
}

// List returns the cached objects; callers must not modify them.
func (i *Informer[T]) List() []T {
	i.mu.RLock()
	defer i.mu.RUnlock()
	out := make([]T, 0, len(i.items))
	for _, obj := range i.items {
		out = append(out, obj)
	}
	return out
}

// Synced closes once the first list is in the cache.
func (i *Informer[T]) Synced() <-chan struct{} { return i.synced }

// Start lists, then watches, until ctx ends; a watch that cannot resume
// (history compacted) leads to a new list, and handlers hear about every
// difference.
func (i *Informer[T]) Start(ctx context.Context) error {
	delay := backoff.New(100 * time.Millisecond)
	for ctx.Err() == nil {
		list, err := i.resource.ListAll(ctx, client.ListOptions{Limit: 500})
		if err != nil {
			i.log.Debug("informer list failed", "kind", i.resource.Kind().Kind, "err", err)
			if !delay.Wait(ctx) {
				return nil
			}
			continue
		}
		delay.Reset()
		i.replace(list.Items)
		i.once.Do(func() { close(i.synced) })
		for ev := range i.resource.Watch(ctx, client.WatchOptions{ResourceVersion: list.Metadata.ResourceVersion}) {
			if ev.Err != nil {
				i.log.Debug("informer watch ended; listing again", "kind", i.resource.Kind().Kind, "err", ev.Err)
				break
			}
			i.apply(ev.Type, ev.Object)
		}
	}
	return nil
}

func (i *Informer[T]) replace(items []T) {
	fresh := make(map[string]T, len(items))
	for _, obj := range items {
		fresh[Key(obj)] = obj
	}
	i.mu.Lock()
	old := i.items
	i.items = fresh
	i.mu.Unlock()
	for key, obj := range old {
		if _, ok := fresh[key]; !ok {
			i.notify(api.Deleted, obj)
		}
	}
	for key, obj := range fresh {
		if prev, ok := old[key]; !ok {
			i.notify(api.Added, obj)
		} else if prev.GetMetadata().ResourceVersion != obj.GetMetadata().ResourceVersion {
			i.notify(api.Modified, obj)
		}
	}
}

func (i *Informer[T]) apply(typ string, obj T) {
	key := Key(obj)
	i.mu.Lock()
	if typ == api.Deleted {
		delete(i.items, key)
	} else {
		i.items[key] = obj
	}
	i.mu.Unlock()
	i.notify(typ, obj)
}

func (i *Informer[T]) notify(typ string, obj T) {
	for _, h := range i.handlers {
		h(typ, obj)
	}
}
