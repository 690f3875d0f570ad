// Package scheduler binds pending applications to a cluster. This is the
// minimal placement the controllers issue allows until the real scheduler
// (constraints, metrics, scores, migration) lands: the first ONLINE
// cluster of the application's namespace, by name, that is not deleted.
package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/controllers/runtime"
)

// Controller binds applications.
type Controller struct {
	api      *client.Client
	apps     *informer.Informer[*api.Application]
	clusters *informer.Informer[*api.Cluster]
	loop     *runtime.Controller
	log      *slog.Logger
}

// New returns the scheduler for all namespaces.
func New(c *client.Client, log *slog.Logger) *Controller {
	s := &Controller{api: c, apps: informer.New(c.Applications(""), log), clusters: informer.New(c.Clusters(""), log), log: log}
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
	return s.loop.Start(ctx)
}

// Reconcile binds one pending application.
func (s *Controller) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	app, ok := s.apps.Get(key.Namespace, key.Name)
	if !ok || app.Metadata.Deleted != nil || app.Status.ScheduledTo != nil {
		return runtime.Result{}, nil
	}
	<-s.clusters.Synced()
	var candidates []*api.Cluster
	for _, cl := range s.clusters.List() {
		if cl.Metadata.Namespace == key.Namespace && cl.Metadata.Deleted == nil && cl.Status.State == api.StateOnline {
			candidates = append(candidates, cl)
		}
	}
	if len(candidates) == 0 {
		return s.noCandidate(ctx, app)
	}
	slices.SortFunc(candidates, func(a, b *api.Cluster) int { return strings.Compare(a.Metadata.Name, b.Metadata.Name) })
	chosen := candidates[0]
	_, err := s.api.Applications(key.Namespace).Subresource(ctx, key.Name, api.SubBinding,
		api.Binding{API: "kubernetes", Kind: "ClusterBinding", Cluster: api.Ref(chosen)})
	if err != nil && !client.IsNotFound(err) {
		return runtime.Result{}, fmt.Errorf("bind: %w", err)
	}
	s.log.Info("bound application", "app", key.String(), "cluster", chosen.Metadata.Name)
	return runtime.Result{}, nil
}

// noCandidate records why the app waits, and looks again later.
func (s *Controller) noCandidate(ctx context.Context, app *api.Application) (runtime.Result, error) {
	msg := fmt.Sprintf("no ONLINE cluster in namespace %q", app.Metadata.Namespace)
	if app.Status.Reason == nil || app.Status.Reason.Code != api.ReasonNoSuitableResource || app.Status.Reason.Message != msg {
		updated := api.DeepCopy(app)
		updated.Status.Reason = &api.Reason{Code: api.ReasonNoSuitableResource, Message: msg}
		if _, err := s.api.Applications(app.Metadata.Namespace).UpdateStatus(ctx, updated); err != nil && !client.IsNotFound(err) {
			return runtime.Result{}, err
		}
	}
	return runtime.Result{RequeueAfter: 10 * time.Second}, nil
}
