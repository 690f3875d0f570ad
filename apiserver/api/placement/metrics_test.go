package placement_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
)

// TestMetricValues: the one way a cluster's metric references become
// weighed values, for the scheduler and the explanation alike.
func TestMetricValues(t *testing.T) {
	lo, hi := 0.0, 10.0
	defs := map[string]*api.Metric{
		"heat": {Spec: api.MetricSpec{Min: &lo, Max: &hi}},
		"open": {Spec: api.MetricSpec{Min: &lo}}, // no max: cannot be normalised
	}
	cl := &api.Cluster{Metadata: api.Metadata{Namespace: "ns", Name: "c"}, Spec: api.ClusterSpec{Metrics: []api.MetricRef{
		{Name: "heat", Weight: 2}, {Name: "open", Weight: 1}, {Name: "ghost", Weight: 1}, {Name: "down", Weight: 1},
	}}}
	defs["down"] = defs["heat"]
	providerDown := fmt.Errorf("provider p: %w", errors.New("connection refused"))
	got := placement.MetricValues(cl,
		func(namespace string, ref api.MetricRef) *api.Metric {
			if namespace != "ns" {
				t.Errorf("looked up %s in namespace %q", ref.Name, namespace)
			}
			return defs[ref.Name]
		},
		func(ref api.MetricRef, def *api.Metric) (float64, error) {
			if ref.Name == "down" {
				return 0, providerDown
			}
			return 7, nil
		})
	want := []struct {
		value, min, max, weight float64
		code                    api.ReasonCode // 0: no error
	}{
		{7, 0, 10, 2, 0},
		{0, 0, 0, 1, api.ReasonUnknownMetric},
		{0, 0, 0, 1, api.ReasonUnknownMetric},
		{0, 0, 10, 1, api.ReasonUnreachableMetricsProvider},
	}
	if len(got) != len(want) {
		t.Fatalf("%d values for %d references", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		var code api.ReasonCode
		if g.Err != nil {
			code = placement.ReasonFor(g.Err).Code
		}
		if g.Value != w.value || g.Min != w.min || g.Max != w.max || g.Weight != w.weight || code != w.code {
			t.Errorf("%s = %+v (reason %v), want %+v", g.Name, g, code, w)
		}
	}
	if r := placement.ReasonFor(fmt.Errorf("metric m: %w p", placement.ErrUnknownProvider)); r.Code != api.ReasonUnknownMetricsProvider {
		t.Errorf("an unknown provider is %v", r.Code)
	}
}
