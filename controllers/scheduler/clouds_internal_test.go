package scheduler

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/runtime"
)

type fakeClusterCache []*api.Cluster

func (f fakeClusterCache) List() []*api.Cluster { return f }

func (f fakeClusterCache) Get(namespace, name string) (*api.Cluster, bool) {
	i := slices.IndexFunc(f, func(c *api.Cluster) bool { return c.Metadata.Namespace == namespace && c.Metadata.Name == name })
	if i < 0 {
		return nil, false
	}
	return f[i], true
}

type fakeClouds []*api.Cloud

func (f fakeClouds) List() []*api.Cloud { return f }

// cloud is an ONLINE kwok cloud; namespace "" makes it a GlobalCloud.
func cloud(namespace, name string, labels map[string]string, metrics ...string) *api.Cloud {
	kind := "Cloud"
	if namespace == "" {
		kind = "GlobalCloud"
	}
	c := api.MustKind("infrastructure", kind).New().(*api.Cloud)
	c.Metadata.Namespace, c.Metadata.Name, c.Metadata.Labels = namespace, name, labels
	c.Spec = api.CloudSpec{Type: api.CloudKwok, Kwok: &api.KwokCloudSpec{InfrastructureProvider: api.ProviderRef{Name: "kwok"}}}
	for _, m := range metrics {
		c.Spec.Kwok.Metrics = append(c.Spec.Kwok.Metrics, api.MetricRef{Name: m, Weight: 1})
	}
	return c
}

func createdCluster(mutate func(*api.Cluster)) *api.Cluster {
	cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
	cl.Metadata.Namespace, cl.Metadata.Name = "ns", "made"
	cl.Spec.Tosca = map[string]any{"tosca_definitions_version": "tosca_simple_yaml_1_0"}
	if mutate != nil {
		mutate(cl)
	}
	return cl
}

// TestCloudScheduler_table: a cluster Krake creates is bound to the best
// cloud its constraints allow, never to another namespace's; without one
// it says why once and waits; once bound it inherits what it asks for.
func TestCloudScheduler_table(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	bound := func(kind, namespace, name string) func(*api.Cluster) {
		return func(cl *api.Cluster) {
			cl.Status.ScheduledTo = &api.ResourceRef{API: "infrastructure", Kind: kind, Namespace: namespace, Name: name}
		}
	}
	tests := []struct {
		name    string
		cluster *api.Cluster
		clouds  fakeClouds
		values  fakeValues
		want    []string
	}{
		{name: "the cloud with the better metric wins",
			cluster: createdCluster(nil),
			clouds:  fakeClouds{cloud("ns", "dirty", nil, "coal"), cloud("ns", "clean", nil, "green")},
			values:  fakeValues{values: map[string]float64{"coal": 0.1, "green": 0.9}},
			// The values are recorded on the clouds (explain reads them).
			want: []string{"cloud dirty status ONLINE", "cloud clean status ONLINE", "bind cluster made to Cloud ns/clean"}},
		{name: "label constraints filter; a global cloud serves every namespace",
			cluster: createdCluster(func(cl *api.Cluster) { cl.Spec.Constraints.Cloud.Labels = []string{"location=DE"} }),
			clouds: fakeClouds{cloud("ns", "fr", map[string]string{"location": "FR"}),
				cloud("", "de", map[string]string{"location": "DE"})},
			want: []string{"bind cluster made to GlobalCloud /de"}},
		{name: "a cloud of the namespace wins over a better global one, as in the original",
			cluster: createdCluster(nil),
			clouds:  fakeClouds{cloud("", "global-green", nil, "green"), cloud("ns", "own", nil, "coal")},
			values:  fakeValues{values: map[string]float64{"coal": 0.1, "green": 0.9}},
			want:    []string{"cloud global-green status ONLINE", "cloud own status ONLINE", "bind cluster made to Cloud ns/own"}},
		{name: "another namespace's cloud is never seen",
			cluster: createdCluster(nil),
			clouds:  fakeClouds{cloud("other", "theirs", nil)},
			want:    []string{"cluster made status PENDING"}},
		{name: "metric constraints filter, and a failing metric marks the cloud",
			cluster: createdCluster(func(cl *api.Cluster) { cl.Spec.Constraints.Cloud.Metrics = []string{"green > 0.5"} }),
			clouds:  fakeClouds{cloud("ns", "low", nil, "green"), cloud("ns", "down", nil, "blue")},
			values:  fakeValues{values: map[string]float64{"green": 0.2}, failing: map[string]bool{"blue": true}},
			want:    []string{"cloud low status ONLINE", "cloud down status FAILING_METRICS", "cluster made status PENDING"}},
		{name: "a registered cluster is not this scheduler's",
			cluster: createdCluster(func(cl *api.Cluster) { cl.Spec.Tosca = nil }),
			clouds:  fakeClouds{cloud("ns", "any", nil)},
			want:    nil},
		{name: "bound with inherit: labels it lacks and metrics it lacks are copied",
			cluster: createdCluster(func(cl *api.Cluster) {
				bound("Cloud", "ns", "c")(cl)
				cl.Metadata.InheritLabels, cl.Spec.InheritMetrics = true, true
				cl.Metadata.Labels = map[string]string{"location": "own"}
			}),
			clouds: fakeClouds{cloud("ns", "c", map[string]string{"location": "DE", "tier": "gold"}, "green")},
			want:   []string{"cluster made labels map[location:own tier:gold] metrics [green]"}},
		{name: "bound without inherit: nothing to write",
			cluster: createdCluster(bound("GlobalCloud", "", "g")),
			clouds:  fakeClouds{cloud("", "g", map[string]string{"tier": "gold"})},
			want:    nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &recorder{}
			opts := Options{Now: func() time.Time { return now }, Rand: rand.New(rand.NewPCG(1, 2))}
			cs := newCloudScheduler(w, fakeClusterCache{tt.cluster}, tt.clouds, tt.values, opts, slog.New(slog.DiscardHandler))
			key := runtime.Key{Namespace: "ns", Name: "made"}
			if _, err := cs.Reconcile(context.Background(), key); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(w.writes, tt.want) {
				t.Errorf("writes:\n got %q\nwant %q", w.writes, tt.want)
			}
		})
	}
}

// TestCloudScheduler_waitsQuietly: a cluster without a cloud gets its
// reason once; the next attempts write nothing until something changes.
func TestCloudScheduler_waitsQuietly(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := &recorder{}
	cl := createdCluster(nil)
	opts := Options{Now: func() time.Time { return now }, Rand: rand.New(rand.NewPCG(1, 2))}
	cs := newCloudScheduler(w, fakeClusterCache{cl}, fakeClouds{}, fakeValues{}, opts, slog.New(slog.DiscardHandler))
	key := runtime.Key{Namespace: "ns", Name: "made"}
	res, err := cs.Reconcile(context.Background(), key)
	if err != nil || res.RequeueAfter <= 0 {
		t.Fatalf("first pass: %v, requeue %v", err, res.RequeueAfter)
	}
	if len(w.writes) != 1 {
		t.Fatalf("first pass wrote %q, want the reason once", w.writes)
	}
	// The status now holds the reason, as the informer would show it.
	cl.Status.Reason = &api.Reason{Code: api.ReasonNoSuitableResource,
		Message: "no cloud in namespace ns and no global cloud: register one (rok infra cloud register)"}
	now = now.Add(time.Hour)
	if _, err := cs.Reconcile(context.Background(), key); err != nil {
		t.Fatal(err)
	}
	if len(w.writes) != 1 {
		t.Errorf("a later pass with nothing changed wrote %q", w.writes[1:])
	}
}
