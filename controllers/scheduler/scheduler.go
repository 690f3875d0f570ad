// Package scheduler binds pending applications to the best cluster of
// their namespace, as decided by package placement: label, custom-resource
// and metric constraints filter, metrics score. Still to come (issue 5):
// fetching metric values from providers, rescheduling and migration,
// back-off on NO_SUITABLE_RESOURCE, and the explain API.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/controllers/runtime"
	"github.com/krake-go/krake/controllers/scheduler/placement"
)

// Controller binds applications.
type Controller struct {
	mu       sync.Mutex
	rng      *rand.Rand // tie-breaks; guarded by mu
	api      *client.Client
	apps     *informer.Informer[*api.Application]
	clusters *informer.Informer[*api.Cluster]
	metrics  *metricSource
	loop     *runtime.Controller
	log      *slog.Logger
}

// New returns the scheduler for all namespaces.
func New(c *client.Client, log *slog.Logger) *Controller {
	s := &Controller{api: c, apps: informer.New(c.Applications(""), log), clusters: informer.New(c.Clusters(""), log), log: log,
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x6b72616b65))}
	s.metrics = newMetricSource(c, log)
	s.loop = runtime.New("scheduler", s, 2, log)
	s.apps.AddHandler(func(typ string, app *api.Application) {
		if typ != api.Deleted {
			s.loop.Enqueue(runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name})
		}
	})
	// A new or changed cluster may be the home a waiting app needs.
	s.clusters.AddHandler(func(_ string, cl *api.Cluster) {
		for _, app := range s.apps.List() {
			if app.Metadata.Namespace == cl.Metadata.Namespace && app.Status.ScheduledTo == nil {
				s.loop.Enqueue(runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name})
			}
		}
	})
	return s
}

// Start runs until ctx ends.
func (s *Controller) Start(ctx context.Context) error {
	go func() { _ = s.apps.Start(ctx) }()
	go func() { _ = s.clusters.Start(ctx) }()
	s.metrics.start(ctx)
	return s.loop.Start(ctx)
}

// Reconcile binds one pending application.
func (s *Controller) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	app, ok := s.apps.Get(key.Namespace, key.Name)
	if !ok || app.Metadata.Deleted != nil || app.Status.ScheduledTo != nil {
		return runtime.Result{}, nil
	}
	<-s.clusters.Synced()
	s.metrics.synced()
	var candidates []placement.Candidate
	for _, cl := range s.clusters.List() {
		if cl.Metadata.Namespace == key.Namespace { // tenants never see each other's clusters
			candidates = append(candidates, placement.Candidate{Cluster: cl, Metrics: s.metrics.of(ctx, cl)})
		}
	}
	s.mu.Lock()
	decision := placement.Explain(app, candidates, placement.DefaultStickiness, s.rng)
	s.mu.Unlock()
	if decision.Chosen == "" {
		return s.noCandidate(ctx, app, decision.Summary())
	}
	ref := api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: key.Namespace, Name: decision.Chosen}
	_, err := s.api.Applications(key.Namespace).Subresource(ctx, key.Name, api.SubBinding,
		api.Binding{API: "kubernetes", Kind: "ClusterBinding", Cluster: ref})
	if err != nil && !client.IsNotFound(err) {
		return runtime.Result{}, fmt.Errorf("bind: %w", err)
	}
	s.log.Info("bound application", "app", key.String(), "cluster", decision.Chosen)
	return runtime.Result{}, nil
}

// noCandidate records why the app waits, and looks again later.
func (s *Controller) noCandidate(ctx context.Context, app *api.Application, msg string) (runtime.Result, error) {
	if app.Status.Reason == nil || app.Status.Reason.Code != api.ReasonNoSuitableResource || app.Status.Reason.Message != msg {
		updated := api.DeepCopy(app)
		updated.Status.Reason = &api.Reason{Code: api.ReasonNoSuitableResource, Message: msg}
		if _, err := s.api.Applications(app.Metadata.Namespace).UpdateStatus(ctx, updated); err != nil && !client.IsNotFound(err) {
			return runtime.Result{}, err
		}
	}
	return runtime.Result{RequeueAfter: 10 * time.Second}, nil
}
