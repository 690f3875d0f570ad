package watchcache_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/apiserver/store/storetest"
	"github.com/krake-go/krake/apiserver/store/watchcache"
)

var apps = api.MustKind("kubernetes", "Application")

type env struct {
	t     *testing.T
	etcd  *clientv3.Client
	st    *store.Store
	cache *watchcache.Cache
}

func start(t *testing.T, opts watchcache.Options) *env {
	t.Helper()
	etcd := storetest.RunEtcd(t)
	st := store.New(etcd, store.Options{})
	cache := watchcache.New(st, opts)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cache.Start(ctx)
	return &env{t: t, etcd: etcd, st: st, cache: cache}
}

// create stores an app and returns its revision.
func (e *env) create(ns, name string) int64 {
	e.t.Helper()
	app := apps.New().(*api.Application)
	app.Metadata.Namespace, app.Metadata.Name = ns, name
	app.Spec.Manifest = api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}})
	api.Normalize(apps, app)
	item, err := e.st.Create(e.t.Context(), apps, app)
	if err != nil {
		e.t.Fatal(err)
	}
	return item.Revision
}

// next reads the next event within 5 s.
func next(t *testing.T, events <-chan store.Event) store.Event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the watch closed")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return store.Event{}
}

// TestFanOut: many watchers of one kind share one etcd watch and each
// gets every event, in order, filtered by namespace.
func TestFanOut(t *testing.T) {
	e := start(t, watchcache.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	from := e.create("warmup", "w")
	const watchers, events = 200, 30
	streams := make([]<-chan store.Event, watchers)
	for i := range streams {
		ns := "" // every other watcher follows one namespace only
		if i%2 == 1 {
			ns = "a"
		}
		streams[i] = e.cache.Watch(ctx, apps, ns, from)
	}
	for i := range events {
		e.create([]string{"a", "b"}[i%2], fmt.Sprintf("app-%02d", i))
	}
	var wg sync.WaitGroup
	for i, events := range streams {
		want := 30
		if i%2 == 1 {
			want = 15
		}
		wg.Go(func() {
			last := int64(0)
			for range want {
				ev := next(t, events)
				if ev.Err != nil || ev.Type != api.Added || ev.Revision <= last {
					t.Errorf("watcher %d: event %+v after revision %d", i, ev, last)
					return
				}
				if i%2 == 1 && ev.Namespace != "a" {
					t.Errorf("watcher %d of namespace a got %s", i, ev.Namespace)
				}
				if obj, err := ev.Object(); err != nil || obj.GetMetadata().Namespace != ev.Namespace || obj.GetMetadata().Name != ev.Name {
					t.Errorf("watcher %d: event of %q/%q decodes to %v (%v)", i, ev.Namespace, ev.Name, obj, err)
				}
				if len(ev.Data) == 0 {
					t.Errorf("watcher %d: event without its stored JSON", i)
				}
				last = ev.Revision
			}
		})
	}
	wg.Wait()
}

// TestResume_fromTheRingAfterCompaction: a watch resuming from a revision
// the ring holds is served from memory even when etcd has compacted that
// history; one from before the ring goes to etcd and gets ErrCompacted.
func TestResume_fromTheRingAfterCompaction(t *testing.T) {
	e := start(t, watchcache.Options{Events: 10})
	first := e.create("ns", "first") // wait until the cache follows
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	probe := e.cache.Watch(ctx, apps, "ns", first)
	var revs []int64
	for i := range 15 {
		revs = append(revs, e.create("ns", fmt.Sprintf("app-%02d", i)))
	}
	for range 15 {
		next(t, probe) // the cache has seen them all
	}
	if _, err := e.etcd.Compact(t.Context(), revs[len(revs)-1]); err != nil {
		t.Fatal(err)
	}
	// The ring (10 events) holds everything after revs[4].
	if !e.cache.Remembers(apps, revs[6]) {
		t.Errorf("Remembers(%d) = false, want the ring to cover it", revs[6])
	}
	events := e.cache.Watch(ctx, apps, "ns", revs[6])
	for _, want := range revs[7:] {
		if ev := next(t, events); ev.Err != nil || ev.Revision != want {
			t.Fatalf("resume from the ring: %+v, want revision %d", ev, want)
		}
	}
	if e.cache.Remembers(apps, first) {
		t.Errorf("Remembers(%d) = true for a revision before the ring", first)
	}
	old := e.cache.Watch(ctx, apps, "ns", first)
	if ev := next(t, old); !errors.Is(ev.Err, store.ErrCompacted) {
		t.Errorf("resume from before the ring after compaction: %+v, want ErrCompacted", ev)
	}
}

// TestSlowWatcher: a watcher that does not read is ended with
// ErrTooSlow once its buffer fills; the others are not held up.
func TestSlowWatcher(t *testing.T) {
	e := start(t, watchcache.Options{Buffer: 4})
	from := e.create("ns", "first")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	slowCtx, stopSlow := context.WithCancel(ctx)
	defer stopSlow()
	slow := e.cache.Watch(slowCtx, apps, "", from)
	fast := e.cache.Watch(ctx, apps, "", from)
	for i := range 20 {
		e.create("ns", fmt.Sprintf("app-%02d", i))
		next(t, fast) // the fast one keeps up
	}
	var ended bool
	for range 10 {
		ev := next(t, slow)
		if ev.Err != nil {
			if !errors.Is(ev.Err, store.ErrTooSlow) {
				t.Fatalf("slow watcher ended with %v, want ErrTooSlow", ev.Err)
			}
			ended = true
			break
		}
	}
	if !ended {
		t.Fatal("a watcher 20 events behind with a buffer of 4 was not ended")
	}
}

// TestAheadOfTheCache: a watcher resuming from a revision the cache has
// not delivered yet (it listed at a newer revision) gets only what comes
// after that revision.
func TestAheadOfTheCache(t *testing.T) {
	e := start(t, watchcache.Options{})
	e.create("ns", "first")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rev := e.create("ns", "listed")
	events := e.cache.Watch(ctx, apps, "ns", rev)
	after := e.create("ns", "after")
	if ev := next(t, events); ev.Err != nil || ev.Revision != after || ev.Name != "after" {
		t.Errorf("first event = %+v, want only the object created after revision %d", ev, rev)
	}
}
