package server

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/store"
)

var (
	appKind          = api.MustKind("kubernetes", "Application")
	clusterKind      = api.MustKind("kubernetes", "Cluster")
	metricKind       = api.MustKind("core", "Metric")
	globalMetricKind = api.MustKind("core", "GlobalMetric")
	cloudKind        = api.MustKind("infrastructure", "Cloud")
	globalCloudKind  = api.MustKind("infrastructure", "GlobalCloud")
)

// tieBreaker is the random source of the explain endpoints' tie-breaks.
type tieBreaker struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newTieBreaker() *tieBreaker {
	return &tieBreaker{rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))}
}

// explainStored serves GET .../{name}/placement: for a stored
// application every cluster's verdict, for a cluster Krake creates every
// cloud's.
func (s *Server) explainStored(k api.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		ns, name := p.ByName("namespace"), p.ByName("name")
		obj, err := s.load(r.Context(), k, ns, name)
		if err != nil {
			return storeError(err, k, ns, name, 0)
		}
		var e placement.Explanation
		switch o := obj.(type) {
		case *api.Application:
			e, err = s.explain(r.Context(), o)
		case *api.Cluster:
			if !o.Created() {
				return errorf(http.StatusConflict, "cluster %q is registered, not created by Krake: it is not placed on a cloud (rok kube app explain says where apps go)", name)
			}
			e, err = s.explainCluster(r.Context(), o)
		}
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, e)
	}
}

// explainCluster runs the cloud placement for a cluster over the clouds of
// its namespace and the global clouds, with the metric values the
// scheduler last recorded on them.
func (s *Server) explainCluster(ctx context.Context, cl *api.Cluster) (placement.Explanation, error) {
	var candidates []placement.CloudCandidate
	for _, src := range []struct {
		kind api.Kind
		ns   string
	}{{cloudKind, cl.Metadata.Namespace}, {globalCloudKind, ""}} {
		res, err := s.store.List(ctx, src.kind, src.ns, store.ListOptions{})
		if err != nil {
			return placement.Explanation{}, err
		}
		clouds, err := res.Objects(src.kind)
		if err != nil {
			return placement.Explanation{}, err
		}
		for _, obj := range clouds {
			cloud := obj.(*api.Cloud)
			values := placement.RefValues(cloud.Metadata.Namespace, cloud.MetricRefs(), s.metricDef(ctx),
				recordedValue(cloud.Status.MetricsReasons, cloud.Status.MetricValues))
			candidates = append(candidates, placement.CloudCandidate{Cloud: cloud, Metrics: values})
		}
	}
	s.ties.mu.Lock()
	defer s.ties.mu.Unlock()
	return placement.ExplainCluster(cl, candidates, s.ties.rng), nil
}

// explainSpec serves POST .../placements: the verdicts for an application
// that is not stored (a dry run of the scheduler).
func (s *Server) explainSpec(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
	data, err := s.readBody(w, r, false)
	if err != nil {
		return err
	}
	obj := appKind.New()
	if err := decodeJSON(data, obj); err != nil {
		return err
	}
	m := obj.GetMetadata()
	if m.Namespace == "" {
		m.Namespace = p.ByName("namespace")
	}
	if m.Name == "" {
		m.Name = "dry-run"
	}
	s.normalize(appKind, obj)
	if err := api.Validate(appKind, obj); err != nil {
		return err
	}
	e, err := s.explain(r.Context(), obj.(*api.Application))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
}

// explain runs the placement over the namespace's clusters, with the
// metric values the scheduler last recorded on them.
func (s *Server) explain(ctx context.Context, app *api.Application) (placement.Explanation, error) {
	res, err := s.store.List(ctx, clusterKind, app.Metadata.Namespace, store.ListOptions{})
	if err != nil {
		return placement.Explanation{}, err
	}
	clusters, err := res.Objects(clusterKind)
	if err != nil {
		return placement.Explanation{}, err
	}
	candidates := make([]placement.Candidate, 0, len(clusters))
	for _, obj := range clusters {
		cl := obj.(*api.Cluster)
		candidates = append(candidates, placement.Candidate{Cluster: cl, Metrics: s.metricValues(ctx, cl)})
	}
	s.ties.mu.Lock()
	defer s.ties.mu.Unlock()
	return placement.Explain(app, candidates, s.stickiness, s.ties.rng), nil
}

// metricValues are a cluster's metrics as the scheduler last recorded
// them on the cluster (explain fetches nothing), through the same pipeline
// as the scheduler's decision.
func (s *Server) metricValues(ctx context.Context, cl *api.Cluster) []placement.MetricValue {
	return placement.MetricValues(cl, s.metricDef(ctx), recordedValue(cl.Status.MetricsReasons, cl.Status.MetricValues))
}

// metricDef finds the Metric (in namespace) or GlobalMetric a reference
// names, nil when there is none.
func (s *Server) metricDef(ctx context.Context) func(namespace string, ref api.MetricRef) *api.Metric {
	return func(namespace string, ref api.MetricRef) *api.Metric {
		kind, ns := globalMetricKind, ""
		if ref.Namespaced {
			kind, ns = metricKind, namespace
		}
		obj, err := s.load(ctx, kind, ns, ref.Name)
		if err != nil {
			return nil
		}
		def, _ := obj.(*api.Metric)
		return def
	}
}

// recordedValue reads a metric's value as the scheduler last recorded it
// in a status.
func recordedValue(reasons map[string]api.Reason, values map[string]float64) func(ref api.MetricRef, _ *api.Metric) (float64, error) {
	return func(ref api.MetricRef, _ *api.Metric) (float64, error) {
		if reason := reasons[ref.Name]; reason.Message != "" {
			return 0, errors.New(reason.Message)
		}
		value, fetched := values[ref.Name]
		if !fetched {
			return 0, placement.ErrNoValue
		}
		return value, nil
	}
}
