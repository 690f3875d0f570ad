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
)

// tieBreaker is the random source of the explain endpoints' tie-breaks.
type tieBreaker struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func newTieBreaker() *tieBreaker {
	return &tieBreaker{rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))}
}

// explainApplication serves GET .../applications/{name}/placement: every
// cluster's verdict for a stored application.
func (s *Server) explainApplication(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
	ns, name := p.ByName("namespace"), p.ByName("name")
	obj, err := s.load(r.Context(), appKind, ns, name)
	if err != nil {
		return storeError(err, appKind, ns, name, 0)
	}
	e, err := s.explain(r.Context(), obj.(*api.Application))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, e)
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
	metric := func(namespace string, ref api.MetricRef) *api.Metric {
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
	recorded := func(ref api.MetricRef, _ *api.Metric) (float64, error) {
		if reason := cl.Status.MetricsReasons[ref.Name]; reason.Message != "" {
			return 0, errors.New(reason.Message)
		}
		value, fetched := cl.Status.MetricValues[ref.Name]
		if !fetched {
			return 0, placement.ErrNoValue
		}
		return value, nil
	}
	return placement.MetricValues(cl, metric, recorded)
}
