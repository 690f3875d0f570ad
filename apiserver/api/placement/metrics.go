package placement

import (
	"errors"
	"fmt"

	"github.com/krake-go/krake/apiserver/api"
)

// Why a metric cannot be weighed; each maps to a reason code (ReasonFor).
var (
	ErrUnknownMetric   = errors.New("unknown metric")
	ErrUnknownProvider = errors.New("unknown metrics provider")
	ErrNoValue         = errors.New("no value fetched yet")
)

// MetricValues turns a cluster's metric references into what Explain
// weighs: each with its definition's bounds and its value, or the error
// why it cannot be weighed. The scheduler's decision and the API's
// explanation both come from here, so they cannot disagree; they differ
// only in where things are: metric finds the definition a reference names
// in the cluster's namespace (nil when there is none), value the value of
// a defined metric now (the scheduler asks the provider, the explanation
// reads what the scheduler last recorded on the cluster).
func MetricValues(cl *api.Cluster, metric func(namespace string, ref api.MetricRef) *api.Metric,
	value func(ref api.MetricRef, def *api.Metric) (float64, error)) []MetricValue {
	return RefValues(cl.Metadata.Namespace, cl.Spec.Metrics, metric, value)
}

// RefValues is MetricValues for any metric references of a namespace
// ("" for a global cloud's): a cluster's or a cloud's.
func RefValues(namespace string, refs []api.MetricRef, metric func(namespace string, ref api.MetricRef) *api.Metric,
	value func(ref api.MetricRef, def *api.Metric) (float64, error)) []MetricValue {
	out := make([]MetricValue, 0, len(refs))
	for _, ref := range refs {
		mv := MetricValue{Name: ref.Name, Weight: ref.Weight}
		def := metric(namespace, ref)
		if def == nil || def.Spec.Min == nil || def.Spec.Max == nil {
			mv.Err = fmt.Errorf("%w %s", ErrUnknownMetric, ref.Name)
			out = append(out, mv)
			continue
		}
		mv.Min, mv.Max = *def.Spec.Min, *def.Spec.Max
		mv.Value, mv.Err = value(ref, def)
		out = append(out, mv)
	}
	return out
}

// ReasonFor turns a metric's error into a cluster's metrics_reasons entry.
func ReasonFor(err error) api.Reason {
	code := api.ReasonUnreachableMetricsProvider
	switch {
	case errors.Is(err, ErrUnknownMetric):
		code = api.ReasonUnknownMetric
	case errors.Is(err, ErrUnknownProvider):
		code = api.ReasonUnknownMetricsProvider
	}
	return api.Reason{Code: code, Message: err.Error()}
}
