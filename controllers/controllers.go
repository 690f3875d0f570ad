// Package controllers assembles Krake's controllers. Each talks to the API
// over HTTP only, so it runs inside `krakectl serve` or alone with
// `krakectl controller NAME --api-url URL`.
package controllers

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/controllers/gc"
	"github.com/krake-go/krake/controllers/infrastructure"
	"github.com/krake-go/krake/controllers/infrastructure/provider"
	"github.com/krake-go/krake/controllers/kubernetes/application"
	"github.com/krake-go/krake/controllers/kubernetes/cluster"
	"github.com/krake-go/krake/controllers/leader"
	"github.com/krake-go/krake/controllers/runtime"
	"github.com/krake-go/krake/controllers/scheduler"
)

// Options tune every controller.
type Options struct {
	// ProbeInterval is how often clusters are probed (default 10s).
	ProbeInterval time.Duration
	// Resync is how often a running application is checked (default 10s).
	Resync time.Duration
	// RescheduleAfter is how often a running app is weighed again (default 60s).
	RescheduleAfter time.Duration
	// Stickiness is the weight of the "runs here" term in the score of an
	// app's current cluster (default 0.1).
	Stickiness float64
	// HookURL is the Krake API as workloads reach it, for the complete
	// hook's callback (default: the URL the controllers use).
	HookURL string
	// HookCA verifies the API at HookURL: the CA bundle workloads get in
	// KRAKE_CA_FILE (nil over plain HTTP).
	HookCA []byte
	// InfraPollInterval is how often the infrastructure controller asks a
	// provider about an infrastructure being built (default 30s).
	InfraPollInterval time.Duration
	// Providers are what infrastructure providers need of this machine.
	Providers provider.Options
	// AutoClusterTemplate is the TOSCA template of the clusters the
	// scheduler makes for apps with auto_cluster_create (nil: none).
	AutoClusterTemplate map[string]any
	// AutoClusterRetention is how long a made cluster no app uses is kept
	// (default 10m).
	AutoClusterRetention time.Duration
	// LeaderElection, when set, makes each controller run only while this
	// replica holds its lease (controller-<name>): for replicas of
	// controllers run apart. krakectl serve needs none.
	LeaderElection *LeaderElection
}

// LeaderElection is one replica's part in the elections.
type LeaderElection struct {
	Identity string // unique per replica
	Options  leader.Options
	// Metrics receives krake_controller_leader and
	// krake_controller_leader_changes_total (nil: none).
	Metrics prometheus.Registerer
}

// Runnable is a long-running component.
type Runnable interface {
	Start(ctx context.Context) error
}

var builders = map[string]func(c *client.Client, log *slog.Logger, o Options, inf *runtime.Informers) Runnable{
	"cluster": func(c *client.Client, log *slog.Logger, o Options, inf *runtime.Informers) Runnable {
		return cluster.New(c, log, cluster.Options{ProbeInterval: o.ProbeInterval}, inf)
	},
	"application": func(c *client.Client, log *slog.Logger, o Options, inf *runtime.Informers) Runnable {
		return application.New(c, log, application.Options{Resync: o.Resync, HookURL: o.HookURL, HookCA: o.HookCA}, inf)
	},
	"scheduler": func(c *client.Client, log *slog.Logger, o Options, inf *runtime.Informers) Runnable {
		return scheduler.New(c, log, scheduler.Options{RescheduleAfter: o.RescheduleAfter, Stickiness: o.Stickiness,
			AutoClusterTemplate: o.AutoClusterTemplate, AutoClusterRetention: o.AutoClusterRetention}, inf)
	},
	"gc": func(c *client.Client, log *slog.Logger, _ Options, inf *runtime.Informers) Runnable {
		return gc.New(c, log, inf)
	},
	"infrastructure": func(c *client.Client, log *slog.Logger, o Options, inf *runtime.Informers) Runnable {
		return infrastructure.New(c, log, infrastructure.Options{PollInterval: o.InfraPollInterval, Provider: o.Providers}, inf)
	},
}

// users are the controllers' identities: each authenticates as its own
// user, bound to its least-privilege role of bootstrap/base-roles.yaml.
var users = map[string]string{
	"cluster":        "system:kubernetes-cluster",
	"application":    "system:kubernetes-application",
	"scheduler":      "system:scheduler",
	"gc":             "system:gc",
	"infrastructure": "system:infrastructure",
	"":               InformersUser,
}

// InformersUser is the identity of the informers that controllers in one
// process share (they read what the application and cluster controllers
// need).
const InformersUser = "system:controller-informers"

// User is the identity of the named controller ("" for the shared
// informers).
func User(name string) string { return users[name] }

// ClientFor returns the API client the named controller acts with, ""
// for the shared informers. Controllers run apart share one client (one
// identity); inside `krakectl serve` each has its own.
type ClientFor func(controller string) *client.Client

// OneClient is a ClientFor of a single client.
func OneClient(c *client.Client) ClientFor { return func(string) *client.Client { return c } }

// Names lists the controllers.
func Names() []string {
	names := make([]string, 0, len(builders))
	for n := range builders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Run starts the named controllers (all when names is empty) and blocks
// until ctx ends.
func Run(ctx context.Context, clientFor ClientFor, log *slog.Logger, o Options, names ...string) error {
	if len(names) == 0 {
		names = Names()
	}
	// Build every controller first (they add their informer handlers),
	// then start the shared informers once, then the controllers.
	inf := runtime.NewInformers(clientFor(""), log)
	runnables := make([]Runnable, 0, len(names))
	for _, name := range names {
		build, ok := builders[name]
		if !ok {
			return fmt.Errorf("unknown controller %q: use one of %v", name, Names())
		}
		runnables = append(runnables, build(clientFor(name), log.With("controller", name), o, inf))
	}
	if o.LeaderElection != nil {
		var err error
		if runnables, err = elected(clientFor, names, runnables, o.LeaderElection, log); err != nil {
			return err
		}
	}
	// The first controller to fail (a lost lease, say) stops them all.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The informers are owned here: Run returns once they have stopped.
	var informers sync.WaitGroup
	informers.Go(func() { inf.Run(ctx) })
	defer informers.Wait()
	done := make(chan error, len(runnables))
	for _, r := range runnables {
		go func() { done <- r.Start(ctx) }()
	}
	var first error
	for range names {
		if err := <-done; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// electedRunnable starts its controller only while it leads.
type electedRunnable struct {
	elector *leader.Elector
	inner   Runnable
	name    string
}

func (e electedRunnable) Start(ctx context.Context) error {
	var startErr error
	err := e.elector.Run(ctx, func(ctx context.Context) { startErr = e.inner.Start(ctx) })
	if err != nil {
		return fmt.Errorf("controller %s: %w", e.name, err)
	}
	return startErr
}

// elected wraps each controller in the election of its own lease.
func elected(clientFor ClientFor, names []string, runnables []Runnable, le *LeaderElection, log *slog.Logger) ([]Runnable, error) {
	leading := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "krake_controller_leader",
		Help: "1 while this replica leads the controller, else 0."}, []string{"controller"})
	changes := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "krake_controller_leader_changes_total",
		Help: "Times this replica started or stopped leading the controller."}, []string{"controller"})
	if le.Metrics != nil {
		le.Metrics.MustRegister(leading, changes)
	}
	out := make([]Runnable, len(runnables))
	for i, r := range runnables {
		name := names[i]
		opts := le.Options
		leading.WithLabelValues(name).Set(0)
		opts.OnChange = func(on bool) {
			changes.WithLabelValues(name).Inc()
			if on {
				leading.WithLabelValues(name).Set(1)
			} else {
				leading.WithLabelValues(name).Set(0)
			}
		}
		e, err := leader.New(clientFor(name), "controller-"+name, le.Identity, opts, log.With("controller", name))
		if err != nil {
			return nil, err
		}
		out[i] = electedRunnable{elector: e, inner: r, name: name}
	}
	return out, nil
}
