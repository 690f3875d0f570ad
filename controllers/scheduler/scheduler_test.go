package scheduler_test

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/server/servertest"
	"github.com/krake-go/krake/controllers/runtime"
	"github.com/krake-go/krake/controllers/scheduler"
)

// clock is the real time plus an offset the test moves forward, so
// back-offs still pass while the reschedule period can be skipped.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func newClock() *clock                   { return &clock{} }
func key(ns, name string) runtime.Key    { return runtime.Key{Namespace: ns, Name: name} }
func ref(ns, name string) *api.ResourceRef {
	return &api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: ns, Name: name}
}

// env is a real API with a scheduler running against it; no cluster or
// application controller, so the test plays their part in the status.
type env struct {
	t     *testing.T
	c     *client.Client
	inf   *runtime.Informers
	sched *scheduler.Controller
	clock *clock
}

const rescheduleAfter = time.Hour

// newEnv starts the API; run starts the scheduler (after the test has
// created what its first lists should hold).
func newEnv(t *testing.T) *env {
	t.Helper()
	srv, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, client.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, c: c, clock: newClock()}
}

func (e *env) run() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	quiet := slog.New(slog.DiscardHandler)
	e.inf = runtime.NewInformers(e.c, quiet)
	e.sched = scheduler.New(e.c, quiet, scheduler.Options{RescheduleAfter: rescheduleAfter, Stickiness: 0.1,
		Now: e.clock.now, Rand: rand.New(rand.NewPCG(1, 2))}, e.inf)
	informers, done := make(chan struct{}), make(chan struct{})
	go func() { e.inf.Run(ctx); close(informers) }()
	go func() { _ = e.sched.Start(ctx); close(done) }()
	e.t.Cleanup(func() { cancel(); <-done; <-informers })
}

// staticMetrics creates (or replaces) the global static provider "levels"
// and a global metric per value, bounded 0..1.
func (e *env) staticMetrics(values map[string]float64) {
	e.t.Helper()
	ctx := e.t.Context()
	gmp := api.MustKind("core", "GlobalMetricsProvider").New().(*api.MetricsProvider)
	gmp.Metadata.Name = "levels"
	gmp.Spec = api.MetricsProviderSpec{Type: "static", Static: &api.StaticSpec{Metrics: values}}
	if existing, err := e.c.GlobalMetricsProviders().Get(ctx, "levels"); err == nil {
		existing.Spec = gmp.Spec
		if _, err := e.c.GlobalMetricsProviders().Update(ctx, existing, client.WriteOptions{}); err != nil {
			e.t.Fatal(err)
		}
	} else if _, err := e.c.GlobalMetricsProviders().Create(ctx, gmp, client.WriteOptions{}); err != nil {
		e.t.Fatal(err)
	}
	lo, hi := 0.0, 1.0
	for name := range values {
		gm := api.MustKind("core", "GlobalMetric").New().(*api.Metric)
		gm.Metadata.Name = name
		gm.Spec.Min, gm.Spec.Max, gm.Spec.Provider = &lo, &hi, api.MetricSpecProvider{Name: "levels", Metric: name}
		if _, err := e.c.GlobalMetrics().Create(ctx, gm, client.WriteOptions{}); err != nil && !client.IsConflict(err) {
			e.t.Fatal(err)
		}
	}
}

// cluster registers an ONLINE cluster weighed by the global metrics given.
func (e *env) cluster(ns, name string, labels map[string]string, metrics ...string) {
	e.t.Helper()
	cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
	cl.Metadata.Name, cl.Metadata.Labels = name, labels
	cl.Spec.Kubeconfig = map[string]any{"apiVersion": "v1", "kind": "Config", "current-context": "x",
		"clusters": []any{map[string]any{"name": "x", "cluster": map[string]any{"server": "https://127.0.0.1:1"}}},
		"users":    []any{map[string]any{"name": "u", "user": map[string]any{"token": "t"}}},
		"contexts": []any{map[string]any{"name": "x", "context": map[string]any{"cluster": "x", "user": "u"}}}}
	for _, m := range metrics {
		cl.Spec.Metrics = append(cl.Spec.Metrics, api.MetricRef{Name: m, Weight: 1})
	}
	created, err := e.c.Clusters(ns).Create(e.t.Context(), cl, client.WriteOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	created.Status.State = api.StateOnline
	if _, err := e.c.Clusters(ns).UpdateStatus(e.t.Context(), created); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) app(ns, name string, labelConstraints ...string) {
	e.t.Helper()
	a := api.MustKind("kubernetes", "Application").New().(*api.Application)
	a.Metadata.Name = name
	a.Spec.Manifest = api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}})
	a.Spec.Constraints.Cluster.Labels = labelConstraints
	a.Spec.BackoffDelay = 0.2
	if _, err := e.c.Applications(ns).Create(e.t.Context(), a, client.WriteOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) get(ns, name string) *api.Application {
	e.t.Helper()
	a, err := e.c.Applications(ns).Get(e.t.Context(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func (e *env) getCluster(ns, name string) *api.Cluster {
	e.t.Helper()
	cl, err := e.c.Clusters(ns).Get(e.t.Context(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	return cl
}

// eventually polls cond for up to 10 s.
func (e *env) eventually(what string, cond func() (bool, string)) {
	e.t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
	}
	e.t.Fatalf("%s: still %s after 10s", what, last)
}

func scheduledTo(a *api.Application) string {
	if a.Status.ScheduledTo == nil {
		return "nowhere"
	}
	return a.Status.ScheduledTo.Name
}

// runOn plays the application controller: the app is RUNNING on the
// cluster it is bound to. It returns once the scheduler's cache has it.
func (e *env) runOn(ns, name string) {
	e.t.Helper()
	a := e.get(ns, name)
	a.Status.State, a.Status.RunningOn = api.StateRunning, a.Status.ScheduledTo
	updated, err := e.c.Applications(ns).UpdateStatus(e.t.Context(), a)
	if err != nil {
		e.t.Fatal(err)
	}
	e.cached(ns, name, updated.Metadata.ResourceVersion)
}

// cached waits until the scheduler's cache holds the app at rv or later.
func (e *env) cached(ns, name, rv string) {
	e.t.Helper()
	e.eventually("the informer has "+name+"@"+rv, func() (bool, string) {
		a, ok := e.inf.Apps.Get(ns, name)
		if !ok {
			return false, "absent"
		}
		have, _ := strconv.ParseInt(a.Metadata.ResourceVersion, 10, 64)
		want, _ := strconv.ParseInt(rv, 10, 64)
		return have >= want, a.Metadata.ResourceVersion
	})
}

// reconcile runs the scheduler's decision for the app now, as its queue would.
func (e *env) reconcile(ns, name string) runtime.Result {
	e.t.Helper()
	res, err := e.sched.Reconcile(e.t.Context(), key(ns, name))
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// TestReschedule_afterSettling: a bound app is weighed again
// reschedule_after after it is RUNNING on its cluster, never earlier: not
// on its status writes, not on a label change, even when another cluster
// has become much better; a change of its own constraints re-decides at
// once.
func TestReschedule_afterSettling(t *testing.T) {
	e := newEnv(t)
	ns := "resched"
	e.staticMetrics(map[string]float64{"level-a": 0.9, "level-b": 0.2})
	e.cluster(ns, "a", map[string]string{"location": "DE"}, "level-a")
	e.cluster(ns, "b", map[string]string{"location": "FR"}, "level-b")
	e.run()
	e.app(ns, "mover")
	e.eventually("mover bound to a (0.9 against 0.2)", func() (bool, string) {
		a := e.get(ns, "mover")
		return scheduledTo(a) == "a", scheduledTo(a)
	})
	e.runOn(ns, "mover")

	// b is now far better, by more than stickiness holds.
	e.staticMetrics(map[string]float64{"level-a": 0.2, "level-b": 0.9})
	if res := e.reconcile(ns, "mover"); res.RequeueAfter < rescheduleAfter-time.Minute {
		t.Errorf("right after settling the next weighing is in %s, want about %s", res.RequeueAfter, rescheduleAfter)
	}
	// A status write and a label change are app events, not reasons to move.
	e.runOn(ns, "mover")
	labelled, err := e.c.Applications(ns).Patch(t.Context(), "mover", map[string]any{"metadata": map[string]any{"labels": map[string]string{"tier": "gold"}}}, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.cached(ns, "mover", labelled.Metadata.ResourceVersion)
	e.clock.advance(rescheduleAfter - time.Minute)
	e.reconcile(ns, "mover")
	if got := scheduledTo(e.get(ns, "mover")); got != "a" {
		t.Fatalf("mover moved to %s before reschedule_after had passed since it settled", got)
	}

	// One reschedule_after after settling, the better cluster wins. (The
	// scheduler's cache of the provider may lag the update by a moment; a
	// later period then decides, so try a few.)
	e.clock.advance(2 * time.Minute)
	for period := 0; ; period++ {
		e.reconcile(ns, "mover")
		if scheduledTo(e.get(ns, "mover")) == "b" {
			break
		}
		if period == 5 {
			t.Fatalf("after reschedule_after mover is still bound to %s, want b", scheduledTo(e.get(ns, "mover")))
		}
		time.Sleep(100 * time.Millisecond)
		e.clock.advance(rescheduleAfter)
	}

	// Settled on b, a change of its own constraints re-decides at once.
	e.runOn(ns, "mover")
	if res := e.reconcile(ns, "mover"); res.RequeueAfter < rescheduleAfter-time.Minute {
		t.Errorf("after settling on b the next weighing is in %s, want about %s", res.RequeueAfter, rescheduleAfter)
	}
	updated := e.get(ns, "mover")
	updated.Spec.Constraints.Cluster.Labels = []string{"location=DE"}
	written, err := e.c.Applications(ns).Update(t.Context(), updated, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.cached(ns, "mover", written.Metadata.ResourceVersion)
	// The clock stands still: only the changed constraints can move it.
	// (The scheduler's own queue may take the change before this call.)
	e.reconcile(ns, "mover")
	e.eventually("mover re-bound to a at once after its constraints changed to location=DE", func() (bool, string) {
		got := e.get(ns, "mover")
		return scheduledTo(got) == "a", scheduledTo(got)
	})
}

// TestFailingMetrics_onlyWhenNeeded: a cluster whose metric cannot be
// fetched stays ONLINE until a decision needs that metric; the decision
// puts it in FAILING_METRICS with the reason (and out of the race), and
// a later decision that can read the metric brings it back.
func TestFailingMetrics_onlyWhenNeeded(t *testing.T) {
	e := newEnv(t)
	ns := "fm"
	ctx := t.Context()
	dead := api.MustKind("core", "GlobalMetricsProvider").New().(*api.MetricsProvider)
	dead.Metadata.Name = "flaky"
	dead.Spec = api.MetricsProviderSpec{Type: "prometheus", Prometheus: &api.PrometheusSpec{URL: "127.0.0.1:1"}}
	if _, err := e.c.GlobalMetricsProviders().Create(ctx, dead, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	lo, hi := 0.0, 1.0
	gm := api.MustKind("core", "GlobalMetric").New().(*api.Metric)
	gm.Metadata.Name = "latency"
	gm.Spec.Min, gm.Spec.Max, gm.Spec.Provider = &lo, &hi, api.MetricSpecProvider{Name: "flaky", Metric: "latency"}
	if _, err := e.c.GlobalMetrics().Create(ctx, gm, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.cluster(ns, "edge", nil, "latency")
	e.run()
	// A decision elsewhere shows the scheduler is at work; edge's metric
	// is not needed by it, so edge is left alone.
	e.cluster("other", "plain", nil)
	e.app("other", "elsewhere")
	e.eventually("an app of another namespace bound", func() (bool, string) {
		a := e.get("other", "elsewhere")
		return scheduledTo(a) == "plain", scheduledTo(a)
	})
	if cl := e.getCluster(ns, "edge"); cl.Status.State != api.StateOnline || len(cl.Status.MetricsReasons) != 0 {
		t.Fatalf("before any decision needs its metric edge is %s with %v, want ONLINE and no reasons", cl.Status.State, cl.Status.MetricsReasons)
	}

	e.app(ns, "needs-edge")
	e.eventually("edge FAILING_METRICS with UNREACHABLE_METRICS_PROVIDER", func() (bool, string) {
		cl := e.getCluster(ns, "edge")
		r := cl.Status.MetricsReasons["latency"]
		return cl.Status.State == api.StateFailingMetrics && r.Code == api.ReasonUnreachableMetricsProvider, cl.Status.State
	})
	e.eventually("needs-edge waits, saying edge is FAILING_METRICS", func() (bool, string) {
		a := e.get(ns, "needs-edge")
		if a.Status.Reason == nil {
			return false, a.Status.State
		}
		return a.Status.Reason.Code == api.ReasonNoSuitableResource && strings.Contains(a.Status.Reason.Message, "edge: cluster is FAILING_METRICS"), a.Status.Reason.Message
	})

	// The provider answers again (now a static one): the app's next retry
	// reads the metric, edge is ONLINE again and takes the app.
	fixed, err := e.c.GlobalMetricsProviders().Get(ctx, "flaky")
	if err != nil {
		t.Fatal(err)
	}
	fixed.Spec = api.MetricsProviderSpec{Type: "static", Static: &api.StaticSpec{Metrics: map[string]float64{"latency": 0.3}}}
	if _, err := e.c.GlobalMetricsProviders().Update(ctx, fixed, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	e.eventually("edge ONLINE again and needs-edge bound to it", func() (bool, string) {
		cl, a := e.getCluster(ns, "edge"), e.get(ns, "needs-edge")
		return cl.Status.State == api.StateOnline && len(cl.Status.MetricsReasons) == 0 && scheduledTo(a) == "edge", cl.Status.State + "/" + scheduledTo(a)
	})
}
