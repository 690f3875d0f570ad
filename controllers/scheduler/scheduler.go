// Package scheduler binds pending applications to the best cluster of
// their namespace, as decided by package placement: label, custom-resource
// and metric constraints filter, metrics score. It fetches the metrics a
// decision needs (and only then), records in each cluster's status what
// they gave (FAILING_METRICS with reasons, or ONLINE), retries apps that
// find no cluster with their back-off, and weighs a running app again
// reschedule_after after it settled, re-binding it to a better cluster.
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

	json "github.com/go-json-experiment/json/v1"

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
	api      writer
	apps     appCache
	clusters clusterLister
	values   metricValues // what a cluster's metrics give now
	run      func(ctx context.Context)
	synced   []<-chan struct{}
	now      func() time.Time
	attempts map[runtime.Key]attempt        // guarded by mu
	settled  map[runtime.Key]settled        // guarded by mu
	homes    map[string]string              // cluster key -> what placement reads of it; guarded by mu
	clouds   *cloudScheduler                // binds the clusters Krake creates; nil in table tests
	started  map[runtime.Key]startedCluster // app -> the cluster made for it, until bound; guarded by mu
	opts     Options
	loop     *runtime.Controller
	log      *slog.Logger
}

// Options tune the scheduler.
type Options struct {
	// RescheduleAfter is how often a running app is weighed again against
	// the other clusters (default 60s).
	RescheduleAfter time.Duration
	// Stickiness is the weight of the "runs here" term in the score of
	// the cluster an app runs on (default placement.DefaultStickiness;
	// negative means none).
	Stickiness float64
	// AutoClusterTemplate is the TOSCA template of the clusters made for
	// apps with auto_cluster_create (nil: none are made).
	AutoClusterTemplate map[string]any
	// AutoClusterRetention is how long a made cluster that no app uses is
	// kept (default 10m).
	AutoClusterRetention time.Duration
	// Now and Rand replace the clock and the tie-break randomness (tests).
	Now  func() time.Time
	Rand *rand.Rand
}

// New returns the scheduler for all namespaces.
func New(c *client.Client, log *slog.Logger, opts Options, inf *runtime.Informers) *Controller {
	if opts.RescheduleAfter == 0 {
		opts.RescheduleAfter = time.Minute
	}
	if opts.AutoClusterRetention == 0 {
		opts.AutoClusterRetention = 10 * time.Minute
	}
	opts.Stickiness = placement.EffectiveStickiness(opts.Stickiness)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x6b72616b65))
	}
	metrics := newMetricSource(c, log)
	s := newController(apiWriter{c}, inf.Apps, inf.Clusters, metrics, opts, log)
	clouds := cloudInformers{clouds: informer.New(c.Clouds(""), log), global: informer.New(c.GlobalClouds(), log)}
	s.clouds = newCloudScheduler(apiWriter{c}, inf.Clusters, clouds, metrics, opts, log)
	s.clouds.apps = inf.Apps
	s.run = func(ctx context.Context) {
		var wg sync.WaitGroup
		wg.Go(func() { metrics.run(ctx) })
		wg.Go(func() { clouds.run(ctx) })
		wg.Wait()
	}
	s.synced = append(append(metrics.synced(), clouds.synced()...), inf.Apps.Synced(), inf.Clusters.Synced())
	// Clusters Krake creates wait for a cloud; a new or changed cloud may
	// be the one they need.
	onCloud := func(string, *api.Cloud) { s.clouds.retryAll() }
	clouds.clouds.AddHandler(onCloud)
	clouds.global.AddHandler(onCloud)
	inf.Apps.AddHandler(func(typ string, app *api.Application) {
		key := runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name}
		if typ == api.Deleted {
			s.forget(key)
			s.setStarted(key, "")
			return
		}
		s.loop.Enqueue(key)
	})
	// A new or changed cluster may be the home a waiting app needs.
	// Only what placement reads counts (labels, custom resources, metrics,
	// state): a status write of metric values or nodes is not a new home.
	inf.Clusters.AddHandler(func(typ string, cl *api.Cluster) {
		if typ != api.Deleted && cl.Created() && (waiting(cl) || cl.Metadata.InheritLabels || cl.Spec.InheritMetrics) {
			s.clouds.loop.Enqueue(runtime.Key{Namespace: cl.Metadata.Namespace, Name: cl.Metadata.Name})
		}
		if !s.homeChanged(typ, cl) {
			return
		}
		for _, app := range inf.Apps.List() {
			if app.Metadata.Namespace == cl.Metadata.Namespace && app.Status.ScheduledTo == nil {
				key := runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name}
				s.forget(key) // try at once, whatever the back-off said
				s.loop.Enqueue(key)
			}
		}
	})
	return s
}

// newController wires the scheduler to its dependencies (real ones in New,
// fakes in tests); opts must hold its defaults.
func newController(w writer, apps appCache, clusters clusterLister, values metricValues, opts Options, log *slog.Logger) *Controller {
	s := &Controller{api: w, apps: apps, clusters: clusters, values: values, log: log, rng: opts.Rand,
		now: opts.Now, attempts: map[runtime.Key]attempt{}, settled: map[runtime.Key]settled{}, homes: map[string]string{}, opts: opts,
		started: map[runtime.Key]startedCluster{}}
	s.run = func(context.Context) {}
	s.loop = runtime.New("scheduler", s, 2, log)
	return s
}

// homeChanged records what placement reads of a cluster and reports
// whether it differs from what was recorded (always for adds and deletes).
func (s *Controller) homeChanged(typ string, cl *api.Cluster) bool {
	key := informer.Key(cl)
	s.mu.Lock()
	defer s.mu.Unlock()
	if typ == api.Deleted {
		delete(s.homes, key)
		return true
	}
	data, _ := json.Marshal([]any{cl.Metadata.Labels, cl.Spec.CustomResources, cl.Spec.Metrics, cl.Status.State, cl.Metadata.Deleted != nil})
	if s.homes[key] == string(data) {
		return false
	}
	s.homes[key] = string(data)
	return true
}

// Start runs until ctx ends: the metric informers it owns, and the loop
// once every cache it reads has synced (the shared informers are run by
// the caller).
func (s *Controller) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { s.run(ctx) })
	if s.clouds != nil {
		wg.Go(func() { _ = s.clouds.loop.Start(ctx, s.synced...) })
	}
	return s.loop.Start(ctx, s.synced...)
}

// Reconcile binds one pending application.
func (s *Controller) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	app, ok := s.apps.Get(key.Namespace, key.Name)
	if !ok || app.Metadata.Deleted != nil || (app.Status.ScheduledTo == nil && (app.Status.State == api.StateFailed || app.Status.State == api.StateTranslating)) {
		s.forget(key)
		return runtime.Result{}, nil
	}
	if app.Status.ScheduledTo != nil {
		return s.reschedule(ctx, key, app)
	}
	decision := s.decide(ctx, app)
	if decision.Chosen == "" && app.Spec.AutoClusterCreate {
		return s.autoCluster(ctx, key, app, decision.Summary())
	}
	if decision.Chosen == "" {
		return s.noCandidate(ctx, key, app, decision.Summary())
	}
	s.forget(key)
	s.setStarted(key, "")
	ref := api.ClusterRef(key.Namespace, decision.Chosen)
	if err := s.api.Bind(ctx, key, ref); err != nil && !client.IsNotFound(err) {
		return runtime.Result{}, fmt.Errorf("bind: %w", err)
	}
	s.log.Info("bound application", "app", key.String(), "cluster", decision.Chosen)
	return runtime.Result{}, nil
}

// decide runs the placement over the clusters of the app's namespace,
// with the metrics fetched for it, and records in each cluster's status
// what they gave: a metric the decision could not get puts an ONLINE
// cluster in FAILING_METRICS (out of this race) with metrics_reasons, and
// metrics that can be read again bring it back to ONLINE (into the race).
func (s *Controller) decide(ctx context.Context, app *api.Application) placement.Explanation {
	var candidates []placement.Candidate
	for _, cl := range s.clusters.List() {
		if cl.Metadata.Namespace != app.Metadata.Namespace { // tenants never see each other's clusters
			continue
		}
		values := s.values.of(ctx, cl)
		candidates = append(candidates, placement.Candidate{Cluster: s.recordMetrics(ctx, cl, values), Metrics: values})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return placement.Explain(app, candidates, s.opts.Stickiness, s.rng)
}

// recordMetrics writes what a cluster's metrics gave into its status when
// that changed, and returns the cluster as the decision should see it.
func (s *Controller) recordMetrics(ctx context.Context, cached *api.Cluster, values []placement.MetricValue) *api.Cluster {
	if len(cached.Spec.Metrics) == 0 && len(cached.Status.MetricsReasons) == 0 && len(cached.Status.MetricValues) == 0 &&
		cached.Status.State != api.StateFailingMetrics {
		return cached
	}
	reasons, metricValues := map[string]api.Reason{}, map[string]float64{}
	for _, v := range values {
		if v.Err != nil {
			reasons[v.Name] = placement.ReasonFor(v.Err)
		} else {
			metricValues[v.Name] = v.Value
		}
	}
	state := cached.Status.State
	switch {
	case len(reasons) > 0 && state == api.StateOnline:
		state = api.StateFailingMetrics
	case len(reasons) == 0 && state == api.StateFailingMetrics:
		state = api.StateOnline
	}
	if state == cached.Status.State && maps.Equal(reasons, cached.Status.MetricsReasons) && maps.Equal(metricValues, cached.Status.MetricValues) {
		return cached
	}
	cl := api.DeepCopy(cached)
	cl.Status.State, cl.Status.MetricsReasons, cl.Status.MetricValues = state, reasons, metricValues
	if err := s.api.UpdateClusterStatus(ctx, cl); err != nil && !client.IsNotFound(err) {
		// The decision still uses what was found; the next one writes again.
		s.log.Info("record cluster metrics", "cluster", informer.Key(cl), "err", err)
	}
	if state != cached.Status.State {
		s.log.Info("cluster metrics", "cluster", informer.Key(cl), "state", state, "failing", len(reasons))
	}
	return cl
}

// settled is what the scheduler knows of a bound app between decisions:
// the cluster it settled on (RUNNING there) and since when, when it is
// weighed next, and the constraints the last decision was about.
type settled struct {
	cluster     string
	since       time.Time // zero until the app is RUNNING on cluster
	next        time.Time
	constraints string
}

// constraintsOf is a comparable form of what the app asks of a cluster.
func constraintsOf(app *api.Application) string {
	data, _ := json.Marshal(app.Spec.Constraints)
	return string(data)
}

// reschedule weighs a bound app against the other clusters
// reschedule_after after it settled on its cluster, then every
// reschedule_after; an app event (a status write, a label change) does not
// bring that forward, but a change of the app's own constraints does. A
// better cluster re-binds it (if the app allows migration), and the
// application controller moves it without downtime.
func (s *Controller) reschedule(ctx context.Context, key runtime.Key, app *api.Application) (runtime.Result, error) {
	if !app.Spec.Constraints.Migration {
		s.forgetSettled(key)
		return runtime.Result{}, nil
	}
	now, current, constraints := s.now(), app.Status.ScheduledTo, constraintsOf(app)
	s.mu.Lock()
	st, known := s.settled[key]
	if !known || st.cluster != current.Name {
		st = settled{cluster: current.Name, constraints: constraints}
	}
	running := app.Status.State == api.StateRunning && app.Status.RunningOn != nil && app.Status.RunningOn.Name == current.Name
	if running && st.since.IsZero() {
		st.since, st.next = now, now.Add(s.opts.RescheduleAfter)
	}
	changed := st.constraints != constraints
	due := running && (changed || !now.Before(st.next))
	if due {
		st.constraints, st.next = constraints, now.Add(s.opts.RescheduleAfter)
	}
	s.settled[key] = st
	s.mu.Unlock()
	if !running {
		return runtime.Result{}, nil // not while creating, migrating or failing: its RUNNING event brings it back
	}
	if !due {
		return runtime.Result{RequeueAfter: st.next.Sub(now)}, nil
	}
	decision := s.decide(ctx, app)
	if decision.Chosen == "" || decision.Chosen == current.Name {
		return runtime.Result{RequeueAfter: s.opts.RescheduleAfter}, nil
	}
	ref := api.ClusterRef(key.Namespace, decision.Chosen)
	if err := s.api.Bind(ctx, key, ref); err != nil && !client.IsNotFound(err) {
		return runtime.Result{}, fmt.Errorf("re-bind: %w", err)
	}
	s.log.Info("rescheduled application", "app", key.String(), "from", current.Name, "to", decision.Chosen, "constraints_changed", changed)
	return runtime.Result{}, nil // the new cluster's RUNNING event starts the next period
}

// attempt is when an app without a cluster may be tried again, what that
// attempt was about (the version of its spec, and the retry that last
// triggered it: the API's /retry sets kube_controller_triggered), and the
// retries counted so far (which the status holds only as of its last
// write).
type attempt struct {
	next      time.Time
	modified  api.Time
	triggered time.Time
	retries   int
}

// triggeredAt is when the app was last asked to start over, zero if never.
func triggeredAt(app *api.Application) time.Time {
	if t := app.Status.KubeControllerTriggered; t != nil {
		return t.Time
	}
	return time.Time{}
}

// noCandidate records why the app waits and retries with its back-off:
// DEGRADED while retries remain, FAILED when they are spent. An event
// before the next attempt (such as this very status update) does not
// count as a retry; a changed app or cluster does. With no retry limit,
// an attempt that ends as the last one did writes nothing: 10,000 apps
// waiting for a cluster cost no writes once they have said why.
func (s *Controller) noCandidate(ctx context.Context, key runtime.Key, app *api.Application, msg string) (runtime.Result, error) {
	now := s.now()
	s.mu.Lock()
	a, waiting := s.attempts[key]
	s.mu.Unlock()
	if waiting && !a.triggered.Equal(triggeredAt(app)) {
		// A retry since: start over now, counting from the status (which
		// the retry reset), rather than wait out the old back-off.
		waiting = false
	}
	if waiting && now.Before(a.next) && a.modified.Equal(app.Metadata.Modified.Time) {
		return runtime.Result{RequeueAfter: a.next.Sub(now)}, nil
	}
	sofar := app.Status.Retries
	if waiting && a.retries > sofar {
		sofar = a.retries
	}
	state, retries, delay := backoff(app.Spec, sofar)
	reason := api.Reason{Code: api.ReasonNoSuitableResource, Message: msg}
	unchanged := app.Status.State == state && app.Status.Reason != nil && *app.Status.Reason == reason
	if !unchanged || app.Spec.BackoffLimit >= 0 {
		updated := api.DeepCopy(app)
		updated.Status.State, updated.Status.Retries, updated.Status.Reason = state, retries, &reason
		if err := s.api.UpdateAppStatus(ctx, updated); err != nil {
			if client.IsNotFound(err) {
				return runtime.Result{}, nil
			}
			return runtime.Result{}, err
		}
	}
	if state == api.StateFailed {
		s.forget(key)
		return runtime.Result{}, nil // retries spent: `rok kube app retry` starts over
	}
	s.mu.Lock()
	s.attempts[key] = attempt{next: now.Add(delay), modified: app.Metadata.Modified, triggered: triggeredAt(app), retries: retries}
	s.mu.Unlock()
	return runtime.Result{RequeueAfter: delay}, nil
}

// maxBackoff caps the pause between attempts to place an app.
const maxBackoff = 5 * time.Minute

// backoff counts one more retry after sofar: the state it leaves the app
// in, the retries then, and the pause before the next: backoff_delay,
// growing by the factor backoff but at least doubling (a factor of 1
// would retry every app every second forever), at most maxBackoff.
func backoff(spec api.ApplicationSpec, sofar int) (state string, retries int, delay time.Duration) {
	retries = sofar + 1
	state = api.StateDegraded
	if limit := spec.BackoffLimit; limit >= 0 && retries >= limit {
		state = api.StateFailed
	}
	factor := math.Max(spec.Backoff, 2)
	seconds := spec.BackoffDelay * math.Pow(factor, float64(min(retries-1, 64)))
	delay = time.Duration(math.Min(seconds, maxBackoff.Seconds()) * float64(time.Second))
	return state, retries, max(delay, 100*time.Millisecond)
}

func (s *Controller) forget(key runtime.Key) {
	s.mu.Lock()
	delete(s.attempts, key)
	delete(s.settled, key)
	s.mu.Unlock()
}

func (s *Controller) forgetSettled(key runtime.Key) {
	s.mu.Lock()
	delete(s.settled, key)
	s.mu.Unlock()
}
