package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/controllers/runtime"
)

type fakeApps map[string]*api.Application

func (f fakeApps) Get(namespace, name string) (*api.Application, bool) {
	app, ok := f[namespace+"/"+name]
	return app, ok
}

type fakeClusters []*api.Cluster

func (f fakeClusters) List() []*api.Cluster { return f }

// fakeValues gives each cluster's metrics from a table: name -> value, or
// an error for the names in failing.
type fakeValues struct {
	values  map[string]float64
	failing map[string]bool
}

func (f fakeValues) of(_ context.Context, cl *api.Cluster) []placement.MetricValue {
	var out []placement.MetricValue
	for _, ref := range cl.Spec.Metrics {
		mv := placement.MetricValue{Name: ref.Name, Weight: ref.Weight, Min: 0, Max: 1}
		if f.failing[cl.Metadata.Name] {
			mv.Err = errors.New("provider down")
		} else {
			mv.Value = f.values[cl.Metadata.Name]
		}
		out = append(out, mv)
	}
	return out
}

// ofRefs gives a cloud's metrics by metric name: values[name], or an
// error for the names in failing.
func (f fakeValues) ofRefs(_ context.Context, _ string, refs []api.MetricRef) []placement.MetricValue {
	var out []placement.MetricValue
	for _, ref := range refs {
		mv := placement.MetricValue{Name: ref.Name, Weight: ref.Weight, Min: 0, Max: 1}
		if f.failing[ref.Name] {
			mv.Err = errors.New("provider down")
		} else {
			mv.Value = f.values[ref.Name]
		}
		out = append(out, mv)
	}
	return out
}

// recorder records the scheduler's API writes.
type recorder struct{ writes []string }

func (r *recorder) Bind(_ context.Context, app runtime.Key, cluster api.ResourceRef) error {
	r.writes = append(r.writes, "bind "+app.Name+" to "+cluster.Name)
	return nil
}

func (r *recorder) UpdateAppStatus(_ context.Context, app *api.Application) error {
	r.writes = append(r.writes, fmt.Sprintf("app status %s retries=%d", app.Status.State, app.Status.Retries))
	return nil
}

func (r *recorder) UpdateClusterStatus(_ context.Context, cl *api.Cluster) error {
	r.writes = append(r.writes, fmt.Sprintf("cluster %s status %s", cl.Metadata.Name, cl.Status.State))
	return nil
}

func (r *recorder) BindCluster(_ context.Context, cl runtime.Key, cloud api.ResourceRef) error {
	r.writes = append(r.writes, "bind cluster "+cl.Name+" to "+cloud.Kind+" "+cloud.Namespace+"/"+cloud.Name)
	return nil
}

func (r *recorder) UpdateCluster(_ context.Context, cl *api.Cluster) error {
	refs := []string{}
	for _, m := range cl.Spec.Metrics {
		refs = append(refs, m.Name)
	}
	r.writes = append(r.writes, fmt.Sprintf("cluster %s labels %v metrics %v", cl.Metadata.Name, cl.Metadata.Labels, refs))
	return nil
}

func (r *recorder) UpdateCloudStatus(_ context.Context, cloud *api.Cloud) error {
	r.writes = append(r.writes, fmt.Sprintf("cloud %s status %s", cloud.Metadata.Name, cloud.Status.State))
	return nil
}

func cluster(name string, labels map[string]string, metric bool) *api.Cluster {
	cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
	cl.Metadata.Namespace, cl.Metadata.Name, cl.Metadata.Labels = "ns", name, labels
	cl.Status.State = api.StateOnline
	if metric {
		cl.Spec.Metrics = []api.MetricRef{{Name: "green", Weight: 1}}
	}
	return cl
}

func app(mutate func(*api.Application)) *api.Application {
	a := api.MustKind("kubernetes", "Application").New().(*api.Application)
	a.Metadata.Namespace, a.Metadata.Name = "ns", "echo"
	a.Status.State = api.StatePending
	a.Spec.BackoffLimit, a.Spec.BackoffDelay, a.Spec.Backoff = -1, 1, 2
	a.Spec.Constraints.Migration = true
	if mutate != nil {
		mutate(a)
	}
	return a
}

// TestReconcile_table: with a seeded cache, fixed metrics, a fixed clock
// and randomness, each pass binds, waits or gives up as placement and the
// back-off say, and writes only what changed.
func TestReconcile_table(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	de := func(a *api.Application) { a.Spec.Constraints.Cluster.Labels = []string{"location=DE"} }
	tests := []struct {
		name        string
		app         *api.Application
		clusters    fakeClusters
		values      fakeValues
		wantWrites  []string
		wantRequeue time.Duration
	}{
		{name: "gone", app: nil},
		{name: "the best cluster by metrics", app: app(nil),
			clusters:   fakeClusters{cluster("a", nil, true), cluster("b", nil, true)},
			values:     fakeValues{values: map[string]float64{"a": 0.2, "b": 0.9}},
			wantWrites: []string{"cluster a status ONLINE", "cluster b status ONLINE", "bind echo to b"}},
		{name: "only the cluster the labels allow", app: app(de),
			clusters:   fakeClusters{cluster("a", map[string]string{"location": "FR"}, false), cluster("b", map[string]string{"location": "DE"}, false)},
			wantWrites: []string{"bind echo to b"}},
		{name: "no cluster: DEGRADED, retried after the back-off", app: app(de),
			clusters:   fakeClusters{cluster("a", map[string]string{"location": "FR"}, false)},
			wantWrites: []string{"app status DEGRADED retries=1"}, wantRequeue: time.Second},
		{name: "no cluster, the last retry: FAILED", app: app(func(a *api.Application) { de(a); a.Spec.BackoffLimit = 1 }),
			clusters:   fakeClusters{cluster("a", map[string]string{"location": "FR"}, false)},
			wantWrites: []string{"app status FAILED retries=1"}},
		{name: "a cluster whose metrics fail leaves the race: FAILING_METRICS", app: app(nil),
			clusters:   fakeClusters{cluster("a", nil, true), cluster("b", nil, true)},
			values:     fakeValues{values: map[string]float64{"b": 0.1}, failing: map[string]bool{"a": true}},
			wantWrites: []string{"cluster a status FAILING_METRICS", "cluster b status ONLINE", "bind echo to b"}},
		{name: "failed for good: left alone", app: app(func(a *api.Application) { a.Status.State = api.StateFailed })},
		{name: "running, not yet due: weighed after reschedule_after",
			app: app(func(a *api.Application) {
				a.Status.State = api.StateRunning
				ref := &api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: "ns", Name: "a"}
				a.Status.ScheduledTo, a.Status.RunningOn = ref, ref
			}),
			clusters: fakeClusters{cluster("a", nil, false)}, wantRequeue: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps := fakeApps{}
			if tt.app != nil {
				apps["ns/echo"] = tt.app
			}
			w := &recorder{}
			s := newController(w, apps, tt.clusters, tt.values, Options{RescheduleAfter: time.Minute, Stickiness: placement.DefaultStickiness,
				Now: func() time.Time { return now }, Rand: rand.New(rand.NewPCG(1, 2))}, slog.New(slog.DiscardHandler))
			res, err := s.Reconcile(t.Context(), runtime.Key{Namespace: "ns", Name: "echo"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(w.writes, tt.wantWrites) {
				t.Errorf("writes %q, want %q", w.writes, tt.wantWrites)
			}
			if res.RequeueAfter != tt.wantRequeue {
				t.Errorf("requeue after %s, want %s", res.RequeueAfter, tt.wantRequeue)
			}
		})
	}
}

// TestReconcile_noStormWhileWaiting: an app no cluster takes, with no
// retry limit, writes its reason once; the next attempts that end the
// same way write nothing.
func TestReconcile_noStormWhileWaiting(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	a := app(func(a *api.Application) { a.Spec.Constraints.Cluster.Labels = []string{"location=DE"} })
	apps := fakeApps{"ns/echo": a}
	w := &recorder{}
	s := newController(w, apps, fakeClusters{cluster("a", map[string]string{"location": "FR"}, false)}, fakeValues{},
		Options{RescheduleAfter: time.Minute, Now: func() time.Time { return now }, Rand: rand.New(rand.NewPCG(1, 2))}, slog.New(slog.DiscardHandler))
	for i := range 5 {
		res, err := s.Reconcile(t.Context(), runtime.Key{Namespace: "ns", Name: "echo"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// What the API now holds, as the informer would deliver it.
			a.Status.State, a.Status.Retries = api.StateDegraded, 1
			a.Status.Reason = &api.Reason{Code: api.ReasonNoSuitableResource, Message: reasonOf(t, s, a)}
		}
		now = now.Add(res.RequeueAfter) // the attempt is due
	}
	if len(w.writes) != 1 {
		t.Errorf("writes %q, want the first one only", w.writes)
	}
}

// reasonOf is the message the scheduler gives for a.
func reasonOf(t *testing.T, s *Controller, a *api.Application) string {
	t.Helper()
	return s.decide(t.Context(), a).Summary()
}
