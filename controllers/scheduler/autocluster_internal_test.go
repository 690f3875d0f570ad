package scheduler

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/controllers/runtime"
)

var clusterTemplate = map[string]any{"tosca_definitions_version": "tosca_simple_yaml_1_0"}

// TestAutoCluster: an app with auto_cluster_create that no cluster suits
// gets one cluster made on a cloud its constraints allow, waits for it,
// and never gets a second while it waits.
func TestAutoCluster(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	auto := func(a *api.Application) {
		a.Spec.AutoClusterCreate = true
		a.Spec.Constraints.Cluster.Labels = []string{"location=DE"}
	}
	started := func(name string) func(a *api.Application) {
		return func(a *api.Application) {
			auto(a)
			a.Status.State, a.Status.AutoClusterCreateStarted = api.StateWaitingForClusterCreation, &name
		}
	}
	building := cluster("cluster-0042", nil, false)
	building.Status.State = api.StateCreating
	failed := cluster("cluster-0042", nil, false)
	failed.Status.State, failed.Status.Reason = api.StateFailed, &api.Reason{Code: api.ReasonCreateFailed, Message: "no quota"}
	tests := []struct {
		name     string
		app      *api.Application
		clusters fakeClusters
		clouds   fakeClouds
		template map[string]any
		want     []string
		reason   string // in the app's last status write
	}{
		{name: "no template: waits, and says which flag is missing", app: app(auto), clouds: fakeClouds{cloud("", "de", map[string]string{"location": "DE"})},
			want: []string{"app status DEGRADED retries=1"}, reason: "--auto-cluster-template"},
		{name: "a cloud suits: a cluster is made, the app waits", app: app(auto), template: clusterTemplate,
			clouds: fakeClouds{cloud("", "fr", map[string]string{"location": "FR"}), cloud("", "de", map[string]string{"location": "DE"})},
			want:   []string{"create cluster auto_generated=true cloud labels [location=DE]", "app status WAITING_FOR_CLUSTER_CREATION retries=0"}},
		{name: "no cloud suits: waits, and says why", app: app(auto), template: clusterTemplate,
			clouds: fakeClouds{cloud("", "fr", map[string]string{"location": "FR"})},
			want:   []string{"app status DEGRADED retries=1"}, reason: "no cloud to create one on"},
		{name: "its cluster is being built: nothing more", app: app(started("cluster-0042")), template: clusterTemplate,
			clusters: fakeClusters{building}, clouds: fakeClouds{cloud("", "de", map[string]string{"location": "DE"})}},
		{name: "its cluster FAILED: start over after the back-off", app: app(started("cluster-0042")), template: clusterTemplate,
			clusters: fakeClusters{failed}, clouds: fakeClouds{cloud("", "de", map[string]string{"location": "DE"})},
			want: []string{"app status WAITING_FOR_CLUSTER_CREATION retries=0", "app status DEGRADED retries=1"}, reason: "no quota"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &appRecorder{recorder: &recorder{}}
			opts := Options{RescheduleAfter: time.Minute, Stickiness: placement.DefaultStickiness, AutoClusterTemplate: tt.template,
				Now: func() time.Time { return now }, Rand: rand.New(rand.NewPCG(1, 2))}
			s := newController(w, fakeApps{"ns/echo": tt.app}, tt.clusters, fakeValues{}, opts, slog.New(slog.DiscardHandler))
			s.clouds = newCloudScheduler(w, fakeClusterCache(tt.clusters), tt.clouds, fakeValues{}, opts, slog.New(slog.DiscardHandler))
			if _, err := s.Reconcile(t.Context(), runtime.Key{Namespace: "ns", Name: "echo"}); err != nil {
				t.Fatal(err)
			}
			// Cloud status writes (metric values) are not this test's.
			got := slices.DeleteFunc(slices.Clone(w.writes), func(s string) bool { return strings.HasPrefix(s, "cloud ") })
			if !slices.Equal(got, tt.want) {
				t.Errorf("writes:\n got %q\nwant %q", got, tt.want)
			}
			if tt.reason != "" && !strings.Contains(w.lastReason, tt.reason) {
				t.Errorf("reason %q does not name %q", w.lastReason, tt.reason)
			}
		})
	}
}

// TestAutoCluster_onceWhileTheCacheLags: a pass that still sees the app
// without the cluster it just made for it makes no second one.
func TestAutoCluster_onceWhileTheCacheLags(t *testing.T) {
	w := &appRecorder{recorder: &recorder{}}
	a := app(func(a *api.Application) { a.Spec.AutoClusterCreate = true })
	opts := Options{RescheduleAfter: time.Minute, AutoClusterTemplate: clusterTemplate, Now: time.Now, Rand: rand.New(rand.NewPCG(1, 2))}
	s := newController(w, fakeApps{"ns/echo": a}, fakeClusters{}, fakeValues{}, opts, slog.New(slog.DiscardHandler))
	s.clouds = newCloudScheduler(w, fakeClusterCache{}, fakeClouds{cloud("", "any", nil)}, fakeValues{}, opts, slog.New(slog.DiscardHandler))
	key := runtime.Key{Namespace: "ns", Name: "echo"}
	for range 3 {
		if _, err := s.Reconcile(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	}
	creates := 0
	for _, w := range w.writes {
		if strings.HasPrefix(w, "create cluster") {
			creates++
		}
	}
	if creates != 1 {
		t.Errorf("%d clusters made for one app: %q", creates, w.writes)
	}
}

// TestRetain: a generated cluster no app uses is deleted after the
// retention, not before; one in use is kept.
func TestRetain(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	gen := createdCluster(func(cl *api.Cluster) {
		cl.Spec.AutoGenerated = true
		cl.Status.State = api.StateOnline
		cl.Status.ScheduledTo = &api.ResourceRef{API: "infrastructure", Kind: "GlobalCloud", Name: "g"}
	})
	for _, tt := range []struct {
		name string
		apps fakeAppList
		want []string
	}{
		{name: "unused: deleted once the retention passed", want: []string{"delete cluster made"}},
		{name: "an app runs there: kept", apps: fakeAppList{app(func(a *api.Application) {
			a.Status.ScheduledTo = &api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: "ns", Name: "made"}
		})}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := &recorder{}
			opts := Options{Now: func() time.Time { return now }, Rand: rand.New(rand.NewPCG(1, 2)), AutoClusterRetention: 10 * time.Minute}
			cs := newCloudScheduler(w, fakeClusterCache{gen}, fakeClouds{cloud("", "g", nil)}, fakeValues{}, opts, slog.New(slog.DiscardHandler))
			cs.apps = tt.apps
			key := runtime.Key{Namespace: "ns", Name: "made"}
			if _, err := cs.Reconcile(t.Context(), key); err != nil {
				t.Fatal(err)
			}
			if len(w.writes) != 0 {
				t.Fatalf("the first look wrote %q", w.writes)
			}
			now = now.Add(10 * time.Minute)
			if _, err := cs.Reconcile(t.Context(), key); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(w.writes, tt.want) {
				t.Errorf("writes %q, want %q", w.writes, tt.want)
			}
			now = now.Add(-10 * time.Minute)
		})
	}
}

type fakeAppList []*api.Application

func (f fakeAppList) List() []*api.Application { return f }

// appRecorder also keeps the reason of the last app status write.
type appRecorder struct {
	*recorder
	lastReason string
}

func (r *appRecorder) UpdateAppStatus(ctx context.Context, a *api.Application) error {
	if a.Status.Reason != nil {
		r.lastReason = a.Status.Reason.Message
	}
	return r.recorder.UpdateAppStatus(ctx, a)
}
