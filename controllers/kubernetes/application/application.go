// Package application is the Kubernetes application controller: it
// applies a bound application's manifest to its cluster with server-side
// apply (field manager "krake"), removes objects that left the manifest,
// reports services and pod health, and cleans the cluster up on delete.
package application

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/controllers/kubernetes/kubeclient"
	"github.com/krake-go/krake/controllers/runtime"
)

// Finalizer the controller holds while objects of the app may exist on a
// cluster.
const Finalizer = "kubernetes_resources_deletion"

// FieldManager is the server-side apply field manager.
const FieldManager = "krake"

// Options tune the controller.
type Options struct {
	Workers int           // default 4
	Resync  time.Duration // how often a running app is checked again; default 10s
	Timeout time.Duration // per Kubernetes request; default 10s
	// HookURL is the Krake API as the workloads reach it, for the complete
	// hook's callback; default: the URL the controller itself uses.
	HookURL string
	// HookCA is the PEM bundle that verifies the API at HookURL, given to
	// the workloads (KRAKE_CA_FILE); nil for none.
	HookCA []byte
	// ShutdownClient makes the shutdown hook's calls to the workloads;
	// default: 5 s per call, no redirects.
	ShutdownClient *http.Client
	// Now is the clock of the shutdown deadlines (tests); default time.Now.
	Now func() time.Time
}

// Controller deploys applications.
type Controller struct {
	api      appWriter
	apps     cache[*api.Application]
	clusters cache[*api.Cluster]
	kube     kubeSource
	loop     *runtime.Controller
	observe  *observer
	synced   []<-chan struct{} // the informers' caches, waited for before any Reconcile
	opts     Options
	log      *slog.Logger
}

// New returns the controller for all namespaces.
func New(c *client.Client, log *slog.Logger, opts Options, inf *runtime.Informers) *Controller {
	if opts.Workers == 0 {
		opts.Workers = 4
	}
	if opts.Resync == 0 {
		opts.Resync = 10 * time.Second
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.HookURL == "" {
		opts.HookURL = c.BaseURL()
	}
	if opts.ShutdownClient == nil {
		opts.ShutdownClient = &http.Client{Timeout: 5 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	ctrl := newController(apiWriter{c}, inf.Apps, inf.Clusters, kubeclient.NewCache(opts.Timeout), opts, log)
	ctrl.synced = []<-chan struct{}{inf.Apps.Synced(), inf.Clusters.Synced()}
	inf.Apps.AddHandler(func(typ string, app *api.Application) {
		if typ != api.Deleted {
			ctrl.loop.Enqueue(runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name})
		}
	})
	// A cluster coming back (or changing credentials) retries its apps.
	inf.Clusters.AddHandler(func(_ string, cl *api.Cluster) {
		for _, app := range inf.Apps.List() {
			if ref := app.Status.ScheduledTo; ref != nil && ref.Namespace == cl.Metadata.Namespace && ref.Name == cl.Metadata.Name {
				ctrl.loop.Enqueue(runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name})
			}
		}
	})
	return ctrl
}

// newController wires the controller to its dependencies (real ones in
// New, fakes in tests).
func newController(w appWriter, apps cache[*api.Application], clusters cache[*api.Cluster], kube kubeSource, opts Options, log *slog.Logger) *Controller {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ctrl := &Controller{api: w, apps: apps, clusters: clusters, kube: kube, opts: opts, log: log}
	ctrl.loop = runtime.New("application", ctrl, opts.Workers, log)
	ctrl.observe = newObserver(ctrl.loop.Enqueue, log)
	return ctrl
}

// Start runs until ctx ends, once the caches it reads have synced (the
// shared informers are run by the caller), and returns once every
// goroutine it started has stopped.
func (c *Controller) Start(ctx context.Context) error {
	defer c.observe.wait() // its watches end with ctx
	return c.loop.Start(ctx, c.synced...)
}
