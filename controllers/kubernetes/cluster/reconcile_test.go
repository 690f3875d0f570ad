package cluster

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/controllers/runtime"
)

type fakeCache map[string]*api.Cluster

func (c fakeCache) Get(namespace, name string) (*api.Cluster, bool) {
	cl, ok := c[namespace+"/"+name]
	return cl, ok
}

// recorder records status writes as their state; err answers them.
type recorder struct {
	writes []string
	err    error
}

func (r *recorder) UpdateStatus(_ context.Context, cl *api.Cluster) (*api.Cluster, error) {
	r.writes = append(r.writes, cl.Status.State)
	return cl, r.err
}

// TestReconcile: a probe's finding is written only when it changes the
// status; FAILING_METRICS (the scheduler's finding) outlives a healthy
// probe while metrics fail; a cluster gone meanwhile is no error; the
// next probe comes after the interval. (The probe's rules: TestProbe.)
func TestReconcile(t *testing.T) {
	const interval = 7 * time.Second
	online := api.ClusterStatus{State: api.StateOnline, Nodes: []api.Node{{Name: "n1", Conditions: []api.NodeCondition{}}}}
	offline := api.ClusterStatus{State: api.StateOffline, Nodes: []api.Node{},
		Reason: &api.Reason{Code: api.ReasonClusterNotReachable, Message: "the Kubernetes API does not answer"}}
	tests := []struct {
		name        string
		cluster     func(*api.Cluster) // nil: not in the cache
		probe       api.ClusterStatus
		writeErr    error
		wantWrites  []string
		wantRequeue time.Duration
	}{
		{name: "gone from the cache", probe: online},
		{name: "being deleted: not probed", cluster: func(cl *api.Cluster) { cl.Metadata.Deleted = api.NewTimePtr(time.Now()) }, probe: online},
		{name: "new and healthy: ONLINE", cluster: func(*api.Cluster) {}, probe: online,
			wantWrites: []string{api.StateOnline}, wantRequeue: interval},
		{name: "unchanged: no write", cluster: func(cl *api.Cluster) { cl.Status.State, cl.Status.Nodes = online.State, online.Nodes }, probe: online,
			wantRequeue: interval},
		{name: "went away: OFFLINE", cluster: func(cl *api.Cluster) { cl.Status.State, cl.Status.Nodes = online.State, online.Nodes }, probe: offline,
			wantWrites: []string{api.StateOffline}, wantRequeue: interval},
		{name: "healthy while metrics fail: stays FAILING_METRICS", probe: online,
			cluster: func(cl *api.Cluster) {
				cl.Status.State, cl.Status.Nodes = api.StateFailingMetrics, online.Nodes
				cl.Status.MetricsReasons = map[string]api.Reason{"heat": {Code: api.ReasonUnknownMetric, Message: "no such metric"}}
			}, wantRequeue: interval},
		{name: "deleted before the write: no error", cluster: func(*api.Cluster) {}, probe: online,
			writeErr: &client.APIError{Problem: api.Problem{Status: 404}}, wantWrites: []string{api.StateOnline}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clusters := fakeCache{}
			if tt.cluster != nil {
				cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
				cl.Metadata.Namespace, cl.Metadata.Name = "ns", "c1"
				tt.cluster(cl)
				clusters["ns/c1"] = cl
			}
			w := &recorder{err: tt.writeErr}
			probes := 0
			c := &Controller{api: w, clusters: clusters, opts: Options{ProbeInterval: interval}, log: slog.New(slog.DiscardHandler),
				probe: func(context.Context, *api.Cluster) api.ClusterStatus { probes++; return tt.probe }}
			res, err := c.Reconcile(t.Context(), runtime.Key{Namespace: "ns", Name: "c1"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(w.writes, tt.wantWrites) {
				t.Errorf("writes %v, want %v", w.writes, tt.wantWrites)
			}
			if res.RequeueAfter != tt.wantRequeue {
				t.Errorf("requeue after %s, want %s", res.RequeueAfter, tt.wantRequeue)
			}
			if gone := tt.cluster == nil || clusters["ns/c1"].Metadata.Deleted != nil; gone && probes > 0 {
				t.Error("probed a cluster that is gone or being deleted")
			}
		})
	}
}
