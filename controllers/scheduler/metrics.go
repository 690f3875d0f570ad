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

// of returns the values of the metrics a cluster is weighed by, fetched
// from their providers.
func (m *metricSource) of(ctx context.Context, cl *api.Cluster) []placement.MetricValue {
	return m.ofRefs(ctx, cl.Metadata.Namespace, cl.Spec.Metrics)
}

// ofRefs returns the values of metric references of a namespace ("" for
// a global cloud's), fetched from their providers.
func (m *metricSource) ofRefs(ctx context.Context, namespace string, refs []api.MetricRef) []placement.MetricValue {
	return placement.RefValues(namespace, refs, m.metric, func(ref api.MetricRef, def *api.Metric) (float64, error) {
		provider, err := m.provider(namespace, ref, def)
		if err != nil {
			return 0, err
		}
		return m.value(ctx, provider, def.Spec.Provider.Metric)
	})
}

// metric is the definition ref names (Metric in the namespace, or
// GlobalMetric), nil when there is none.
func (m *metricSource) metric(namespace string, ref api.MetricRef) *api.Metric {
	if ref.Namespaced {
		def, _ := m.metrics.Get(namespace, ref.Name)
		return def
	}
	def, _ := m.globalMetrics.Get("", ref.Name)
	return def
}

// provider is the provider a defined metric names.
func (m *metricSource) provider(namespace string, ref api.MetricRef, def *api.Metric) (*api.MetricsProvider, error) {
	var provider *api.MetricsProvider
	var ok bool
	if ref.Namespaced {
		provider, ok = m.providers.Get(namespace, def.Spec.Provider.Name)
	} else {
		provider, ok = m.globalProviders.Get("", def.Spec.Provider.Name)
	}
	if !ok {
		return nil, fmt.Errorf("metric %s: %w %s", ref.Name, placement.ErrUnknownProvider, def.Spec.Provider.Name)
	}
	return provider, nil
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
