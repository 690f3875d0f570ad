package application

import (
	"context"
	"log/slog"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/krake-go/krake/controllers/runtime"
)

// observer watches, on their clusters, the objects applications applied,
// and enqueues an application when one of its objects changes or goes
// away: drift is reverted and health follows without polling.
type observer struct {
	enqueue func(runtime.Key)
	log     *slog.Logger
	running sync.WaitGroup // the watches; wait returns once all ended

	mu      sync.Mutex
	watches map[runtime.Key]map[string]context.CancelFunc // app -> object -> its watch
}

func newObserver(enqueue func(runtime.Key), log *slog.Logger) *observer {
	return &observer{enqueue: enqueue, log: log, watches: map[runtime.Key]map[string]context.CancelFunc{}}
}

// ensure watches one object of app (identified by id) unless already; the
// watch lasts until ctx (the controller's) ends or the object is retained
// no more.
func (o *observer) ensure(ctx context.Context, app runtime.Key, id string, res dynamic.ResourceInterface, name string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	objects := o.watches[app]
	if objects == nil {
		objects = map[string]context.CancelFunc{}
		o.watches[app] = objects
	}
	if _, ok := objects[id]; ok {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	objects[id] = cancel
	o.running.Go(func() { o.watch(ctx, app, res, name) })
}

// watch follows one object until ctx ends, reconnecting as needed.
func (o *observer) watch(ctx context.Context, app runtime.Key, res dynamic.ResourceInterface, name string) {
	for ctx.Err() == nil {
		w, err := res.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if err != nil {
			// The cluster is away; the cluster controller reports that.
			select {
			case <-ctx.Done():
				return
			case <-time.After(2 * time.Second):
			}
			continue
		}
		o.follow(ctx, app, w)
		w.Stop()
	}
}

// retain stops the app's watches whose ids are not in keep.
func (o *observer) retain(app runtime.Key, keep map[string]bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for id, cancel := range o.watches[app] {
		if !keep[id] {
			cancel()
			delete(o.watches[app], id)
		}
	}
}

// forget stops every watch of app.
func (o *observer) forget(app runtime.Key) { o.retain(app, nil) }

// wait returns once every watch has ended (their contexts end with the
// controller's).
func (o *observer) wait() { o.running.Wait() }

// follow enqueues app for each event until the watch ends or ctx does
// (not every watch closes its channel when its context ends).
func (o *observer) follow(ctx context.Context, app runtime.Key, w watch.Interface) {
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-w.ResultChan():
			if !ok {
				return
			}
			o.enqueue(app)
		}
	}
}
