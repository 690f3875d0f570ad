// Package scheduler binds pending applications to the best cluster of
// their namespace, as decided by package placement: label, custom-resource
// and metric constraints filter, metrics score. Still to come (issue 5):
// fetching metric values from providers, rescheduling and migration,
// back-off on NO_SUITABLE_RESOURCE, and the explain API.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/controllers/runtime"
)

// Controller binds applications.
type Controller struct {
	mu       sync.Mutex
	rng      *rand.Rand // tie-breaks; guarded by mu
	api      *client.Client
	apps     *informer.Informer[*api.Application]
	clusters *informer.Informer[*api.Cluster]
	metrics  *metricSource
	// metricsLoop keeps clusters' metrics_reasons and FAILING_METRICS current.
	metricsLoop *runtime.Controller
	now         func() time.Time
	attempts    map[runtime.Key]attempt // guarded by mu
	opts        Options
	loop        *runtime.Controller
	log         *slog.Logger
}

// Options tune the scheduler.
type Options struct {
	// RescheduleAfter is how often a running app is weighed again against
	// the other clusters (default 60s).
	RescheduleAfter time.Duration
	// Stickiness is the score bonus of the cluster an app runs on
	// (default placement.DefaultStickiness; negative means none).
	Stickiness float64
}

// New returns the scheduler for all namespaces.
func New(c *client.Client, log *slog.Logger, opts Options, inf *runtime.Informers) *Controller {
	if opts.RescheduleAfter == 0 {
		opts.RescheduleAfter = time.Minute
	}
	switch {
	case opts.Stickiness == 0:
		opts.Stickiness = placement.DefaultStickiness
	case opts.Stickiness < 0:
		opts.Stickiness = 0
	}
	s := &Controller{api: c, apps: inf.Apps, clusters: inf.Clusters, log: log,
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x6b72616b65))}
	s.metrics = newMetricSource(c, log)
	s.now, s.attempts, s.opts = time.Now, map[runtime.Key]attempt{}, opts
	s.loop = runtime.New("scheduler", s, 2, log)
	s.metricsLoop = runtime.New("scheduler-metrics", reconcilerFunc(s.checkMetrics), 1, log)
	s.apps.AddHandler(func(typ string, app *api.Application) {
		if typ != api.Deleted {
			s.loop.Enqueue(runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name})
		}
	})
	// A new or changed cluster may be the home a waiting app needs.
	s.clusters.AddHandler(func(typ string, cl *api.Cluster) {
		if typ != api.Deleted {
			s.metricsLoop.Enqueue(runtime.Key{Namespace: cl.Metadata.Namespace, Name: cl.Metadata.Name})
		}
		for _, app := range s.apps.List() {
			if app.Metadata.Namespace == cl.Metadata.Namespace && app.Status.ScheduledTo == nil {
				key := runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name}
				s.forget(key) // try at once, whatever the back-off said
				s.loop.Enqueue(key)
			}
		}
	})
	return s
}

// Start runs until ctx ends (the shared informers are started by the caller).
func (s *Controller) Start(ctx context.Context) error {
	s.metrics.start(ctx)
	go func() { _ = s.metricsLoop.Start(ctx) }()
	return s.loop.Start(ctx)
}

// Reconcile binds one pending application.
func (s *Controller) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	app, ok := s.apps.Get(key.Namespace, key.Name)
	if !ok || app.Metadata.Deleted != nil || (app.Status.ScheduledTo == nil && app.Status.State == api.StateFailed) {
		s.forget(key)
		return runtime.Result{}, nil
	}
	if app.Status.ScheduledTo != nil {
		return s.reschedule(ctx, key, app)
	}
	decision := s.decide(ctx, app)
	if decision.Chosen == "" {
		return s.noCandidate(ctx, key, app, decision.Summary())
	}
	s.forget(key)
	ref := api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: key.Namespace, Name: decision.Chosen}
	_, err := s.api.Applications(key.Namespace).Subresource(ctx, key.Name, api.SubBinding,
		api.Binding{API: "kubernetes", Kind: "ClusterBinding", Cluster: ref})
	if err != nil && !client.IsNotFound(err) {
		return runtime.Result{}, fmt.Errorf("bind: %w", err)
	}
	s.log.Info("bound application", "app", key.String(), "cluster", decision.Chosen)
	return runtime.Result{}, nil
}

type reconcilerFunc func(ctx context.Context, key runtime.Key) (runtime.Result, error)

func (f reconcilerFunc) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	return f(ctx, key)
}

// metricsCheckEvery is how often a cluster's metrics are fetched for its
// status (the values are shared with the placements of the same moment).
const metricsCheckEvery = 5 * time.Second

// checkMetrics records which of a cluster's metrics fail: a failing metric
// puts an ONLINE cluster in FAILING_METRICS (out of the race) with
// metrics_reasons, and its recovery brings it back to ONLINE.
func (s *Controller) checkMetrics(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	cached, ok := s.clusters.Get(key.Namespace, key.Name)
	if !ok || cached.Metadata.Deleted != nil {
		return runtime.Result{}, nil
	}
	s.metrics.synced()
	reasons, values := map[string]api.Reason{}, map[string]float64{}
	for _, v := range s.metrics.of(ctx, cached) {
		if v.Err != nil {
			reasons[v.Name] = reasonFor(v.Err)
		} else {
			values[v.Name] = v.Value
		}
	}
	state := cached.Status.State
	switch {
	case len(reasons) > 0 && state == api.StateOnline:
		state = api.StateFailingMetrics
	case len(reasons) == 0 && state == api.StateFailingMetrics:
		state = api.StateOnline
	}
	if state != cached.Status.State || !maps.Equal(reasons, cached.Status.MetricsReasons) || !maps.Equal(values, cached.Status.MetricValues) {
		cl := api.DeepCopy(cached)
		cl.Status.State, cl.Status.MetricsReasons, cl.Status.MetricValues = state, reasons, values
		if _, err := s.api.Clusters(key.Namespace).UpdateStatus(ctx, cl); err != nil && !client.IsNotFound(err) {
			return runtime.Result{}, err
		}
		if state != cached.Status.State {
			s.log.Info("cluster metrics", "cluster", key.String(), "state", state, "failing", len(reasons))
		}
	}
	if len(cached.Spec.Metrics) == 0 {
		return runtime.Result{}, nil
	}
	return runtime.Result{RequeueAfter: metricsCheckEvery}, nil
}

// decide runs the placement over the clusters of the app's namespace.
func (s *Controller) decide(ctx context.Context, app *api.Application) placement.Explanation {
	<-s.clusters.Synced()
	s.metrics.synced()
	var candidates []placement.Candidate
	for _, cl := range s.clusters.List() {
		if cl.Metadata.Namespace == app.Metadata.Namespace { // tenants never see each other's clusters
			candidates = append(candidates, placement.Candidate{Cluster: cl, Metrics: s.metrics.of(ctx, cl)})
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return placement.Explain(app, candidates, s.opts.Stickiness, s.rng)
}

// reschedule weighs a running app against the other clusters; one better
// by more than the stickiness re-binds it (if the app allows migration),
// and the application controller moves it without downtime.
func (s *Controller) reschedule(ctx context.Context, key runtime.Key, app *api.Application) (runtime.Result, error) {
	if !app.Spec.Constraints.Migration {
		return runtime.Result{}, nil
	}
	if app.Status.State != api.StateRunning {
		return runtime.Result{RequeueAfter: s.opts.RescheduleAfter}, nil // not while creating, migrating or failing
	}
	decision := s.decide(ctx, app)
	current := app.Status.ScheduledTo
	if decision.Chosen == "" || decision.Chosen == current.Name {
		return runtime.Result{RequeueAfter: s.opts.RescheduleAfter}, nil
	}
	ref := api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: key.Namespace, Name: decision.Chosen}
	if _, err := s.api.Applications(key.Namespace).Subresource(ctx, key.Name, api.SubBinding,
		api.Binding{API: "kubernetes", Kind: "ClusterBinding", Cluster: ref}); err != nil && !client.IsNotFound(err) {
		return runtime.Result{}, fmt.Errorf("re-bind: %w", err)
	}
	s.log.Info("rescheduled application", "app", key.String(), "from", current.Name, "to", decision.Chosen)
	return runtime.Result{RequeueAfter: s.opts.RescheduleAfter}, nil
}

// attempt is when an app without a cluster may be tried again, and the
// version of its spec that attempt was about.
type attempt struct {
	next     time.Time
	modified api.Time
}

// noCandidate records why the app waits and retries with its back-off:
// DEGRADED while retries remain, FAILED when they are spent. An event
// before the next attempt (such as this very status update) does not
// count as a retry; a changed app or cluster does.
func (s *Controller) noCandidate(ctx context.Context, key runtime.Key, app *api.Application, msg string) (runtime.Result, error) {
	now := s.now()
	s.mu.Lock()
	a, waiting := s.attempts[key]
	s.mu.Unlock()
	if waiting && now.Before(a.next) && a.modified.Equal(app.Metadata.Modified.Time) {
		return runtime.Result{RequeueAfter: a.next.Sub(now)}, nil
	}
	state, retries, delay := backoff(app)
	updated := api.DeepCopy(app)
	updated.Status.State, updated.Status.Retries = state, retries
	updated.Status.Reason = &api.Reason{Code: api.ReasonNoSuitableResource, Message: msg}
	if _, err := s.api.Applications(app.Metadata.Namespace).UpdateStatus(ctx, updated); err != nil {
		if client.IsNotFound(err) {
			return runtime.Result{}, nil
		}
		return runtime.Result{}, err
	}
	if state == api.StateFailed {
		s.forget(key)
		return runtime.Result{}, nil // retries spent: `rok kube app retry` starts over
	}
	s.mu.Lock()
	s.attempts[key] = attempt{next: now.Add(delay), modified: app.Metadata.Modified}
	s.mu.Unlock()
	return runtime.Result{RequeueAfter: delay}, nil
}

// backoff counts one more retry: the state it leaves the app in, the
// retries so far, and the pause before the next (backoff_delay times
// backoff to the power of the retries before, at most 5 minutes).
func backoff(app *api.Application) (state string, retries int, delay time.Duration) {
	retries = app.Status.Retries + 1
	state = api.StateDegraded
	if limit := app.Spec.BackoffLimit; limit >= 0 && retries >= limit {
		state = api.StateFailed
	}
	seconds := app.Spec.BackoffDelay * math.Pow(math.Max(app.Spec.Backoff, 1), float64(retries-1))
	delay = min(time.Duration(seconds*float64(time.Second)), 5*time.Minute)
	return state, retries, max(delay, 100*time.Millisecond)
}

func (s *Controller) forget(key runtime.Key) {
	s.mu.Lock()
	delete(s.attempts, key)
	s.mu.Unlock()
}
