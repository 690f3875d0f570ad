// Package watchcache fans one etcd watch per kind out to every API
// watcher, as kube-apiserver's cacher does: a watcher costs a buffered
// channel, not an etcd watch, so a thousand watchers closing at once cost
// etcd nothing. Recent events are kept in a ring per kind; a watch that
// resumes from a revision the ring covers is served from memory, an older
// one goes to etcd (which answers 410 when that history is compacted). A
// watcher that falls behind its buffer is ended with a retryable error
// event, so it resumes from its last resource_version instead of slowing
// anyone else.
package watchcache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/internal/backoff"
)

// Options size the cache.
type Options struct {
	// Events kept per kind for resumes (default 4096).
	Events int
	// Buffer of events per watcher before it counts as too slow (default 1024).
	Buffer int
	Logger *slog.Logger
}

// Cache serves watches of every kind from one etcd watch each.
type Cache struct {
	store *store.Store
	opts  Options
	log   *slog.Logger
	kinds map[kindKey]*kindCache
}

type kindKey struct{ api, kind string }

// New returns a cache over st; call Start before the first Watch.
func New(st *store.Store, opts Options) *Cache {
	if opts.Events <= 0 {
		opts.Events = 4096
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Cache{store: st, opts: opts, log: opts.Logger, kinds: map[kindKey]*kindCache{}}
	for _, k := range api.Kinds {
		c.kinds[kindKey{k.API, k.Kind}] = &kindCache{kind: k, cache: c, watchers: map[*watcher]struct{}{}, ready: make(chan struct{})}
	}
	return c
}

// Start follows every kind until ctx ends; it returns at once. Watch
// waits for a kind's first revision, so the two may race freely.
func (c *Cache) Start(ctx context.Context) {
	for _, kc := range c.kinds {
		go kc.run(ctx)
	}
}

// Remembers reports whether a watch after afterRev would be served from
// the ring (so there is no need to ask etcd whether afterRev is too old).
func (c *Cache) Remembers(k api.Kind, afterRev int64) bool {
	kc := c.kinds[kindKey{k.API, k.Kind}]
	if kc == nil {
		return false
	}
	select {
	case <-kc.ready:
	default:
		return false
	}
	kc.mu.Lock()
	defer kc.mu.Unlock()
	return kc.running && afterRev >= kc.from
}

// Watch streams changes of a kind (in one namespace, or all with "")
// after afterRev (0: from now), like store.Watch.
func (c *Cache) Watch(ctx context.Context, k api.Kind, namespace string, afterRev int64) <-chan store.Event {
	kc := c.kinds[kindKey{k.API, k.Kind}]
	if kc == nil {
		return c.store.Watch(ctx, k, namespace, afterRev)
	}
	select {
	case <-kc.ready:
	case <-ctx.Done():
		out := make(chan store.Event)
		close(out)
		return out
	}
	if afterRev == 0 {
		// "From now" is etcd's now, not the cache's: events the cache has
		// yet to deliver happened before the watch began.
		rev, err := c.store.Revision(ctx)
		if err != nil {
			return c.store.Watch(ctx, k, namespace, 0)
		}
		afterRev = rev
	}
	w, ok := kc.subscribe(namespace, afterRev, c.opts.Buffer)
	if !ok {
		return c.store.Watch(ctx, k, namespace, afterRev) // older than the ring: etcd decides
	}
	out := make(chan store.Event)
	go func() {
		defer close(out)
		defer kc.unsubscribe(w)
		for {
			select {
			case <-ctx.Done():
				return
			case ev, open := <-w.ch:
				if !open {
					return
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
				if ev.Err != nil {
					return
				}
			}
		}
	}()
	return out
}

// kindCache is one kind: its etcd watch, ring and watchers.
type kindCache struct {
	kind  api.Kind
	cache *Cache
	ready chan struct{} // closed once the first revision is known

	mu       sync.Mutex
	running  bool
	from     int64 // the ring holds every event after this revision
	ring     ring  // the latest opts.Events events
	head     int64 // the last revision delivered
	watchers map[*watcher]struct{}
}

type watcher struct {
	namespace string
	after     int64 // deliver only events after this revision
	ch        chan store.Event
	closed    bool
}

func (kc *kindCache) run(ctx context.Context) {
	once := sync.Once{}
	delay := backoff.New(100 * time.Millisecond)
	for ctx.Err() == nil {
		rev, err := kc.cache.store.Revision(ctx)
		if err != nil {
			if !delay.Wait(ctx) {
				return
			}
			continue
		}
		kc.mu.Lock()
		if !kc.running || kc.head == 0 {
			// A fresh start: the ring begins empty at rev.
			kc.from, kc.head = rev, rev
			kc.ring = ring{events: make([]store.Event, kc.cache.opts.Events)}
		}
		kc.running = true
		from := kc.head
		kc.mu.Unlock()
		once.Do(func() { close(kc.ready) })
		delay.Reset()
		err = kc.follow(ctx, from)
		if ctx.Err() != nil {
			break
		}
		kc.cache.log.Info("watch cache: etcd watch ended; following again", "kind", kc.kind.String(), "err", err)
		if errors.Is(err, store.ErrCompacted) {
			// Events after head are gone from etcd: every watcher must list
			// again, and the ring starts over.
			kc.endAll(store.ErrCompacted)
			kc.mu.Lock()
			kc.running, kc.head = false, 0
			kc.mu.Unlock()
		}
		if !delay.Wait(ctx) {
			break
		}
	}
	kc.endAll(store.ErrUnavailable)
}

// follow delivers the etcd watch's events after rev until it ends.
func (kc *kindCache) follow(ctx context.Context, rev int64) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for ev := range kc.cache.store.Watch(ctx, kc.kind, "", rev) {
		if ev.Err != nil {
			return ev.Err
		}
		kc.deliver(ev)
	}
	return fmt.Errorf("watch closed")
}

// deliver adds ev to the ring and hands it to every matching watcher;
// a watcher whose buffer is full is ended (too slow), never waited for.
func (kc *kindCache) deliver(ev store.Event) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if evicted, ok := kc.ring.push(ev); ok {
		kc.from = evicted.Revision
	}
	kc.head = ev.Revision
	for w := range kc.watchers {
		if ev.Revision <= w.after || (w.namespace != "" && w.namespace != ev.Namespace) {
			continue // a watcher that listed ahead of the cache has these
		}
		kc.offer(w, ev)
	}
}

// offer queues ev for w, or ends w when its buffer is full. Called with mu.
func (kc *kindCache) offer(w *watcher, ev store.Event) {
	if w.closed {
		return
	}
	select {
	case w.ch <- ev:
	default:
		kc.end(w, store.ErrTooSlow)
	}
}

// end closes w with a last error event. Called with mu.
func (kc *kindCache) end(w *watcher, err error) {
	if w.closed {
		return
	}
	w.closed = true
	// Make room for the error event: what it replaces is lost anyway.
	select {
	case w.ch <- store.Event{Err: err}:
	default:
		select {
		case <-w.ch:
		default:
		}
		w.ch <- store.Event{Err: err}
	}
	close(w.ch)
	delete(kc.watchers, w)
}

func (kc *kindCache) endAll(err error) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	for w := range kc.watchers {
		kc.end(w, err)
	}
}

// subscribe registers a watcher after afterRev, replaying what the ring
// holds after it; false when the ring does not reach back that far.
func (kc *kindCache) subscribe(namespace string, afterRev int64, buffer int) (*watcher, bool) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if !kc.running || (afterRev > 0 && afterRev < kc.from) {
		return nil, false
	}
	w := &watcher{namespace: namespace, after: afterRev, ch: make(chan store.Event, buffer)}
	kc.watchers[w] = struct{}{}
	if afterRev > 0 {
		kc.ring.each(func(ev store.Event) {
			if ev.Revision > afterRev && (namespace == "" || namespace == ev.Namespace) {
				kc.offer(w, ev)
			}
		})
	}
	return w, true
}

func (kc *kindCache) unsubscribe(w *watcher) {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	delete(kc.watchers, w)
	w.closed = true
}

// ring is a fixed-size circular buffer of events, oldest first.
type ring struct {
	events []store.Event
	start  int // index of the oldest
	n      int
}

// push appends ev, returning the event it pushed out when full.
func (r *ring) push(ev store.Event) (evicted store.Event, ok bool) {
	if len(r.events) == 0 {
		return ev, true // no room at all: ev itself is gone at once
	}
	if r.n == len(r.events) {
		evicted, ok = r.events[r.start], true
		r.events[r.start] = ev
		r.start = (r.start + 1) % len(r.events)
		return evicted, ok
	}
	r.events[(r.start+r.n)%len(r.events)] = ev
	r.n++
	return store.Event{}, false
}

// each calls fn on the events, oldest first.
func (r *ring) each(fn func(store.Event)) {
	for i := range r.n {
		fn(r.events[(r.start+i)%len(r.events)])
	}
}
