package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/controllers/metrics"
)

// Why a metric has no value; each maps to a reason code.
var (
	errUnknownMetric   = errors.New("unknown metric")
	errUnknownProvider = errors.New("unknown metrics provider")
)

// reasonFor turns a metric's error into the cluster's metrics_reasons entry.
func reasonFor(err error) api.Reason {
	code := api.ReasonUnreachableMetricsProvider
	switch {
	case errors.Is(err, errUnknownMetric):
		code = api.ReasonUnknownMetric
	case errors.Is(err, errUnknownProvider):
		code = api.ReasonUnknownMetricsProvider
	}
	return api.Reason{Code: code, Message: err.Error()}
}

// valueTTL is how long a fetched value serves every app that asks: each
// metric is fetched once per pass, not once per app and cluster.
const valueTTL = 5 * time.Second

// metricSource resolves a cluster's metric references to values:
// Metric/GlobalMetric (bounds, provider) -> MetricsProvider/Global -> value.
type metricSource struct {
	metrics, globalMetrics     *informer.Informer[*api.Metric]
	providers, globalProviders *informer.Informer[*api.MetricsProvider]

	mu     sync.Mutex
	values map[string]fetched // provider key + metric -> value
}

type fetched struct {
	value float64
	err   error
	at    time.Time
}

func newMetricSource(c *client.Client, log *slog.Logger) *metricSource {
	return &metricSource{
		metrics: informer.New(c.Metrics(""), log), globalMetrics: informer.New(c.GlobalMetrics(), log),
		providers: informer.New(c.MetricsProviders(""), log), globalProviders: informer.New(c.GlobalMetricsProviders(), log),
		values: map[string]fetched{},
	}
}

// run runs the metric informers until ctx ends; it returns once they stopped.
func (m *metricSource) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { _ = m.metrics.Start(ctx) })
	wg.Go(func() { _ = m.globalMetrics.Start(ctx) })
	wg.Go(func() { _ = m.providers.Start(ctx) })
	wg.Go(func() { _ = m.globalProviders.Start(ctx) })
	wg.Wait()
}

// synced are the informers' synced channels.
func (m *metricSource) synced() []<-chan struct{} {
	return []<-chan struct{}{m.metrics.Synced(), m.globalMetrics.Synced(), m.providers.Synced(), m.globalProviders.Synced()}
}

// of returns the values of the metrics a cluster is weighed by.
func (m *metricSource) of(ctx context.Context, cl *api.Cluster) []placement.MetricValue {
	out := make([]placement.MetricValue, 0, len(cl.Spec.Metrics))
	for _, ref := range cl.Spec.Metrics {
		mv := placement.MetricValue{Name: ref.Name, Weight: ref.Weight}
		def, provider, err := m.resolve(cl.Metadata.Namespace, ref)
		if err != nil {
			mv.Err = err
			out = append(out, mv)
			continue
		}
		mv.Min, mv.Max = *def.Spec.Min, *def.Spec.Max
		mv.Value, mv.Err = m.value(ctx, provider, def.Spec.Provider.Metric)
		out = append(out, mv)
	}
	return out
}

func (m *metricSource) resolve(namespace string, ref api.MetricRef) (*api.Metric, *api.MetricsProvider, error) {
	var def *api.Metric
	var ok bool
	if ref.Namespaced {
		def, ok = m.metrics.Get(namespace, ref.Name)
	} else {
		def, ok = m.globalMetrics.Get("", ref.Name)
	}
	if !ok || def.Spec.Min == nil || def.Spec.Max == nil {
		return nil, nil, fmt.Errorf("%w %s", errUnknownMetric, ref.Name)
	}
	var provider *api.MetricsProvider
	if ref.Namespaced {
		provider, ok = m.providers.Get(namespace, def.Spec.Provider.Name)
	} else {
		provider, ok = m.globalProviders.Get("", def.Spec.Provider.Name)
	}
	if !ok {
		return nil, nil, fmt.Errorf("metric %s: %w %s", ref.Name, errUnknownProvider, def.Spec.Provider.Name)
	}
	return def, provider, nil
}

func (m *metricSource) value(ctx context.Context, provider *api.MetricsProvider, metric string) (float64, error) {
	key := provider.Metadata.Namespace + "/" + provider.Metadata.Name + "@" + provider.Metadata.ResourceVersion + "/" + metric
	m.mu.Lock()
	if f, ok := m.values[key]; ok && time.Since(f.at) < valueTTL {
		m.mu.Unlock()
		return f.value, f.err
	}
	m.mu.Unlock()
	p, err := metrics.New(provider.Spec, nil)
	var v float64
	if err == nil {
		v, err = p.Value(ctx, metric)
	}
	if err != nil && errors.Is(err, context.Canceled) {
		return 0, err
	}
	m.mu.Lock()
	now := time.Now()
	for k, f := range m.values { // old provider versions and stale values
		if now.Sub(f.at) > 10*valueTTL {
			delete(m.values, k)
		}
	}
	m.values[key] = fetched{value: v, err: err, at: now}
	m.mu.Unlock()
	return v, err
}
