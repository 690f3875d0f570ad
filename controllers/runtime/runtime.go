// Package runtime is the controllers' shared loop: keys go into a
// rate-limited work queue, N workers call a Reconciler, and the runtime
// decides about retries (sample-controller / controller-runtime semantics:
// level-based, Forget on success, back-off on error, RequeueAfter to poll).
package runtime

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
)

// Key names one object.
type Key struct{ Namespace, Name string }

func (k Key) String() string {
	if k.Namespace == "" {
		return k.Name
	}
	return k.Namespace + "/" + k.Name
}

// Result asks for another pass after a while (e.g. a periodic probe).
type Result struct{ RequeueAfter time.Duration }

// Reconciler brings one object towards its declared state.
type Reconciler interface {
	Reconcile(ctx context.Context, key Key) (Result, error)
}

// ReconcilerFunc is a function as a Reconciler.
type ReconcilerFunc func(ctx context.Context, key Key) (Result, error)

// Reconcile calls f.
func (f ReconcilerFunc) Reconcile(ctx context.Context, key Key) (Result, error) { return f(ctx, key) }

// WaitForSync blocks until every channel is closed (the caches they stand
// for are filled) or ctx ends; it reports whether all synced.
func WaitForSync(ctx context.Context, synced ...<-chan struct{}) bool {
	for _, ch := range synced {
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// terminalError is not retried.
type terminalError struct{ err error }

func (e terminalError) Error() string { return e.err.Error() }
func (e terminalError) Unwrap() error { return e.err }

// Terminal marks an error that retrying cannot fix.
func Terminal(err error) error { return terminalError{err} }

// Controller runs a Reconciler over a queue of keys.
type Controller struct {
	name       string
	queue      workqueue.TypedRateLimitingInterface[Key]
	reconciler Reconciler
	workers    int
	log        *slog.Logger
}

// New returns a controller with workers goroutines.
func New(name string, r Reconciler, workers int, log *slog.Logger) *Controller {
	if workers < 1 {
		workers = 1
	}
	limiter := workqueue.NewTypedMaxOfRateLimiter[Key](
		workqueue.NewTypedItemExponentialFailureRateLimiter[Key](100*time.Millisecond, 30*time.Second),
		&workqueue.TypedBucketRateLimiter[Key]{Limiter: newBucket()},
	)
	return &Controller{
		name:       name,
		queue:      workqueue.NewTypedRateLimitingQueueWithConfig(limiter, workqueue.TypedRateLimitingQueueConfig[Key]{Name: name}),
		reconciler: r,
		workers:    workers,
		log:        log.With("controller", name),
	}
}

// Enqueue asks for a reconcile of key.
func (c *Controller) Enqueue(key Key) { c.queue.Add(key) }

// Start waits until the caches the Reconciler reads have synced (so no
// Reconcile sees a half-filled cache), then runs the workers until ctx
// ends; it returns once they have stopped.
func (c *Controller) Start(ctx context.Context, synced ...<-chan struct{}) error {
	if !WaitForSync(ctx, synced...) {
		c.queue.ShutDown()
		return nil
	}
	var wg sync.WaitGroup
	for range c.workers {
		wg.Go(func() {
			for c.next(ctx) {
			}
		})
	}
	<-ctx.Done()
	c.queue.ShutDown()
	wg.Wait()
	return nil
}

func (c *Controller) next(ctx context.Context) bool {
	key, shutdown := c.queue.Get()
	if shutdown {
		return false
	}
	defer c.queue.Done(key)
	result, err := c.reconciler.Reconcile(ctx, key)
	var terminal terminalError
	switch {
	case err != nil && errors.As(err, &terminal):
		c.log.Warn("reconcile failed for good", "key", key.String(), "err", err)
		c.queue.Forget(key)
	case err != nil:
		if ctx.Err() == nil {
			c.log.Info("reconcile failed; retrying", "key", key.String(), "err", err)
		}
		c.queue.AddRateLimited(key)
	case result.RequeueAfter > 0:
		c.queue.Forget(key)
		c.queue.AddAfter(key, result.RequeueAfter)
	default:
		c.queue.Forget(key)
	}
	return true
}
