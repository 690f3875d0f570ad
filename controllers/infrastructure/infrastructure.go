// Package infrastructure is the infrastructure controller: for each
// cluster Krake creates (a TOSCA template, bound to a cloud by the
// scheduler) it asks the cloud's infrastructure provider to create the
// infrastructure (CREATING), polls it, writes the kubeconfig into the
// cluster and hands it to the cluster controller (CONNECTING, then
// ONLINE). A changed template is reconciled (RECONCILING); a provider that
// reports the infrastructure unconfigured gives FAILING_RECONCILIATION,
// which is repaired with the provider's reconfigure and retried with
// back-off; a failed create gives FAILED with the reason. On delete it
// destroys the infrastructure (DELETING) before it releases its finalizer,
// after the garbage collector removed the cluster's apps.
package infrastructure

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/controllers/infrastructure/provider"
	"github.com/krake-go/krake/controllers/runtime"
)

// Finalizer holds a created cluster's record until its infrastructure is
// gone (the original's name).
const Finalizer = "infrastructure_resources_deletion"

// Options tune the controller.
type Options struct {
	// PollInterval is how often a provider is asked how an
	// infrastructure is while it is being built or changed (default 30s).
	PollInterval time.Duration
	Workers      int // default 5
	Provider     provider.Options
	// ProviderFor replaces provider.For (tests).
	ProviderFor func(p *api.InfrastructureProvider, cloud *api.Cloud, opts provider.Options) (provider.Provider, error)
	// Now replaces the clock (tests).
	Now func() time.Time
}

// failure is when a cluster whose provider call failed is tried again,
// and the template that failed: a changed template is tried at once.
type failure struct {
	tosca string
	next  time.Time
	delay time.Duration
}

// First and longest pause after a failed provider call.
const (
	minRetry = time.Second
	maxRetry = 5 * time.Minute
)

// Controller builds and removes clusters' infrastructure.
type Controller struct {
	api      writer
	clusters clusterCache
	infra    infraCache
	run      func(ctx context.Context)
	synced   []<-chan struct{}
	loop     *runtime.Controller
	opts     Options
	log      *slog.Logger

	mu       sync.Mutex
	failures map[runtime.Key]failure // guarded by mu
}

type clusterCache interface {
	Get(namespace, name string) (*api.Cluster, bool)
}

// infraCache finds clouds and infrastructure providers; namespace "" is
// the global kind.
type infraCache interface {
	Cloud(namespace, name string) (*api.Cloud, bool)
	Provider(namespace, name string) (*api.InfrastructureProvider, bool)
}

// writer is every API call the controller makes.
type writer interface {
	Update(ctx context.Context, cl *api.Cluster) (*api.Cluster, error)
	UpdateStatus(ctx context.Context, cl *api.Cluster) (*api.Cluster, error)
}

type apiWriter struct{ c *client.Client }

func (w apiWriter) Update(ctx context.Context, cl *api.Cluster) (*api.Cluster, error) {
	return w.c.Clusters(cl.Metadata.Namespace).Update(ctx, cl, client.WriteOptions{})
}

func (w apiWriter) UpdateStatus(ctx context.Context, cl *api.Cluster) (*api.Cluster, error) {
	return w.c.Clusters(cl.Metadata.Namespace).UpdateStatus(ctx, cl)
}

// informers are the cloud and provider kinds the controller reads (with
// their credentials: its identity may read them).
type informers struct {
	clouds, globalClouds       *informer.Informer[*api.Cloud]
	providers, globalProviders *informer.Informer[*api.InfrastructureProvider]
}

func (i informers) Cloud(namespace, name string) (*api.Cloud, bool) {
	if namespace == "" {
		return i.globalClouds.Get("", name)
	}
	return i.clouds.Get(namespace, name)
}

func (i informers) Provider(namespace, name string) (*api.InfrastructureProvider, bool) {
	if namespace == "" {
		return i.globalProviders.Get("", name)
	}
	return i.providers.Get(namespace, name)
}

// New returns the controller for all namespaces.
func New(c *client.Client, log *slog.Logger, opts Options, inf *runtime.Informers) *Controller {
	if opts.PollInterval == 0 {
		opts.PollInterval = 30 * time.Second
	}
	if opts.Workers == 0 {
		opts.Workers = 5
	}
	if opts.ProviderFor == nil {
		opts.ProviderFor = provider.For
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	own := informers{
		clouds: informer.New(c.Clouds(""), log), globalClouds: informer.New(c.GlobalClouds(), log),
		providers: informer.New(c.InfrastructureProviders(""), log), globalProviders: informer.New(c.GlobalInfrastructureProviders(), log),
	}
	ctrl := newController(apiWriter{c}, inf.Clusters, own, opts, log)
	ctrl.run = func(ctx context.Context) {
		var wg sync.WaitGroup
		wg.Go(func() { _ = own.clouds.Start(ctx) })
		wg.Go(func() { _ = own.globalClouds.Start(ctx) })
		wg.Go(func() { _ = own.providers.Start(ctx) })
		wg.Go(func() { _ = own.globalProviders.Start(ctx) })
		wg.Wait()
	}
	ctrl.synced = []<-chan struct{}{inf.Clusters.Synced(), own.clouds.Synced(), own.globalClouds.Synced(),
		own.providers.Synced(), own.globalProviders.Synced()}
	inf.Clusters.AddHandler(func(typ string, cl *api.Cluster) {
		if typ != api.Deleted && cl.Created() {
			ctrl.loop.Enqueue(runtime.Key{Namespace: cl.Metadata.Namespace, Name: cl.Metadata.Name})
		}
	})
	return ctrl
}

// newController wires the controller to its dependencies (fakes in tests);
// opts must hold its defaults.
func newController(w writer, clusters clusterCache, infra infraCache, opts Options, log *slog.Logger) *Controller {
	c := &Controller{api: w, clusters: clusters, infra: infra, opts: opts, log: log, run: func(context.Context) {},
		failures: map[runtime.Key]failure{}}
	c.loop = runtime.New("infrastructure", c, opts.Workers, log)
	return c
}

// Start runs until ctx ends, once the caches have synced.
func (c *Controller) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { c.run(ctx) })
	return c.loop.Start(ctx, c.synced...)
}

// soon is the first poll after a provider call: a provider that did its
// work at once (kwok) is not waited for a whole interval.
const soon = 200 * time.Millisecond

// Reconcile takes one created cluster a step towards its template.
func (c *Controller) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	cached, ok := c.clusters.Get(key.Namespace, key.Name)
	if !ok || !cached.Created() {
		return runtime.Result{}, nil
	}
	cl := api.DeepCopy(cached)
	// After a failed provider call, not before its pause is over (the
	// failure's own status write comes back as an event at once).
	if wait := c.pauseAfterFailure(key, cl); wait > 0 {
		return runtime.Result{RequeueAfter: wait}, nil
	}
	if cl.Metadata.Deleted != nil {
		return c.remove(ctx, cl)
	}
	if cl.Status.ScheduledTo == nil || cl.Status.State == api.StateFailed {
		return runtime.Result{}, nil // the scheduler's turn; FAILED waits for a delete
	}
	p, err := c.providerOf(cl)
	if err != nil {
		return c.fail(ctx, cl, api.StateFailed, provider.ReasonOf(err, api.ReasonInvalidResource))
	}
	if !slices.Contains(cl.Metadata.Finalizers, Finalizer) {
		cl.Metadata.Finalizers = append(cl.Metadata.Finalizers, Finalizer)
		if _, err := c.api.Update(ctx, cl); err != nil && !client.IsNotFound(err) {
			return runtime.Result{}, fmt.Errorf("add finalizer: %w", err)
		}
		return runtime.Result{}, nil // the update's event brings it back
	}
	switch {
	case !sameJSON(cl.Spec.Tosca, cl.Status.LastAppliedTosca) && cl.Status.RunningOn == nil:
		return c.create(ctx, cl, p)
	case !sameJSON(cl.Spec.Tosca, cl.Status.LastAppliedTosca):
		return c.change(ctx, cl, p)
	case cl.Status.State == api.StateFailingReconciliation:
		return c.reconfigure(ctx, cl, p)
	case cl.Status.State == api.StateCreating || cl.Status.State == api.StateReconciling || cl.Status.State == api.StatePending:
		return c.poll(ctx, cl, p)
	}
	return runtime.Result{}, nil // handed over: the cluster controller probes it
}

func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b) // map keys are sorted: equal maps, equal bytes
	return string(x) == string(y)
}

// providerOf builds the provider of the cloud the cluster is bound to.
func (c *Controller) providerOf(cl *api.Cluster) (provider.Provider, error) {
	ref := cl.Status.ScheduledTo
	if cl.Status.RunningOn != nil {
		ref = cl.Status.RunningOn
	}
	namespace := ref.Namespace
	if ref.Kind == "GlobalCloud" {
		namespace = ""
	}
	cloud, ok := c.infra.Cloud(namespace, ref.Name)
	if !ok {
		return nil, provider.Errorf(api.ReasonInvalidResource, "the cluster's cloud %s %s does not exist", ref.Kind, ref.Name)
	}
	pref, ok := cloud.Provider()
	if !ok {
		return nil, provider.Errorf(api.ReasonInvalidResource, "cloud %s has no infrastructure provider", cloud.Metadata.Name)
	}
	pns := ""
	if pref.Namespaced {
		pns = cloud.Metadata.Namespace
	}
	ip, ok := c.infra.Provider(pns, pref.Name)
	if !ok {
		kind := "GlobalInfrastructureProvider"
		if pref.Namespaced {
			kind = "InfrastructureProvider"
		}
		return nil, provider.Errorf(api.ReasonInvalidResource, "cloud %s names the %s %s, which does not exist", cloud.Metadata.Name, kind, pref.Name)
	}
	return c.opts.ProviderFor(ip, cloud, c.opts.Provider)
}

// setStatus writes the cluster's status; a write that changes nothing is
// skipped.
func (c *Controller) setStatus(ctx context.Context, cl *api.Cluster, mutate func(*api.ClusterStatus)) (*api.Cluster, error) {
	before, _ := json.Marshal(cl.Status)
	mutate(&cl.Status)
	after, _ := json.Marshal(cl.Status)
	if string(before) == string(after) {
		return cl, nil
	}
	updated, err := c.api.UpdateStatus(ctx, cl)
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// fail records state with reason and, unless the state is FAILED (which
// is terminal), when to try again: after a pause that doubles with each
// failure of the same template, up to maxRetry.
func (c *Controller) fail(ctx context.Context, cl *api.Cluster, state string, reason api.Reason) (runtime.Result, error) {
	from := cl.Status.State
	if _, err := c.setStatus(ctx, cl, func(s *api.ClusterStatus) { s.State, s.Reason = state, &reason }); err != nil && !client.IsNotFound(err) {
		return runtime.Result{}, fmt.Errorf("record %s: %w", state, err)
	}
	if from != state {
		c.log.Info("cluster infrastructure", "cluster", informer.Key(cl), "from", from, "to", state, "reason", reason.Message)
	}
	if state == api.StateFailed {
		return runtime.Result{}, nil
	}
	key := runtime.Key{Namespace: cl.Metadata.Namespace, Name: cl.Metadata.Name}
	tosca := toscaKey(cl)
	c.mu.Lock()
	f := c.failures[key]
	if f.tosca != tosca || f.delay == 0 {
		f = failure{tosca: tosca, delay: minRetry}
	} else {
		f.delay = min(2*f.delay, maxRetry)
	}
	f.next = c.opts.Now().Add(f.delay)
	c.failures[key] = f
	c.mu.Unlock()
	return runtime.Result{RequeueAfter: f.delay}, nil
}

func toscaKey(cl *api.Cluster) string {
	data, _ := json.Marshal(cl.Spec.Tosca)
	return string(data)
}

// pauseAfterFailure is how long the cluster still waits after its last
// failure: none once the template changed or the pause is over.
func (c *Controller) pauseAfterFailure(key runtime.Key, cl *api.Cluster) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.failures[key]
	if !ok {
		return 0
	}
	if f.tosca != toscaKey(cl) && cl.Metadata.Deleted == nil {
		delete(c.failures, key) // a new template: try it now
		return 0
	}
	return f.next.Sub(c.opts.Now())
}

// succeeded forgets the cluster's failures.
func (c *Controller) succeeded(cl *api.Cluster) {
	c.mu.Lock()
	delete(c.failures, runtime.Key{Namespace: cl.Metadata.Namespace, Name: cl.Metadata.Name})
	c.mu.Unlock()
}

func (c *Controller) create(ctx context.Context, cl *api.Cluster, p provider.Provider) (runtime.Result, error) {
	cl, err := c.setStatus(ctx, cl, func(s *api.ClusterStatus) { s.State, s.Reason = api.StateCreating, nil })
	if err != nil {
		return runtime.Result{}, fmt.Errorf("record CREATING: %w", err)
	}
	c.log.Info("creating cluster infrastructure", "cluster", informer.Key(cl), "cloud", cl.Status.ScheduledTo.Name)
	id, err := p.Create(ctx, cl)
	if err != nil {
		return c.fail(ctx, cl, api.StateFailed, provider.ReasonOf(err, api.ReasonCreateFailed))
	}
	if _, err := c.setStatus(ctx, cl, func(s *api.ClusterStatus) {
		s.ClusterID, s.RunningOn, s.LastAppliedTosca = &id, s.ScheduledTo, api.DeepCopyMap(cl.Spec.Tosca)
	}); err != nil {
		// The infrastructure exists but is not recorded: the next create
		// finds it (providers' Create is idempotent per cluster).
		return runtime.Result{}, fmt.Errorf("record the infrastructure %s: %w", id, err)
	}
	return runtime.Result{RequeueAfter: soon}, nil
}

// change brings the infrastructure to a changed template.
func (c *Controller) change(ctx context.Context, cl *api.Cluster, p provider.Provider) (runtime.Result, error) {
	cl, err := c.setStatus(ctx, cl, func(s *api.ClusterStatus) { s.State, s.Reason = api.StateReconciling, nil })
	if err != nil {
		return runtime.Result{}, fmt.Errorf("record RECONCILING: %w", err)
	}
	c.log.Info("reconciling cluster infrastructure", "cluster", informer.Key(cl))
	if err := p.Reconcile(ctx, cl); err != nil {
		return c.fail(ctx, cl, api.StateFailingReconciliation, provider.ReasonOf(err, api.ReasonReconcileFailed))
	}
	if _, err := c.setStatus(ctx, cl, func(s *api.ClusterStatus) { s.LastAppliedTosca = api.DeepCopyMap(cl.Spec.Tosca) }); err != nil {
		return runtime.Result{}, fmt.Errorf("record the applied template: %w", err)
	}
	return runtime.Result{RequeueAfter: soon}, nil
}

func (c *Controller) reconfigure(ctx context.Context, cl *api.Cluster, p provider.Provider) (runtime.Result, error) {
	if err := p.Reconfigure(ctx, cl); err != nil {
		return c.fail(ctx, cl, api.StateFailingReconciliation, provider.ReasonOf(err, api.ReasonReconfigureFailed))
	}
	if _, err := c.setStatus(ctx, cl, func(s *api.ClusterStatus) { s.State = api.StateReconciling }); err != nil {
		return runtime.Result{}, fmt.Errorf("record RECONCILING: %w", err)
	}
	return runtime.Result{RequeueAfter: soon}, nil
}

// poll asks the provider how the infrastructure is, and hands a
// configured one over with its kubeconfig.
func (c *Controller) poll(ctx context.Context, cl *api.Cluster, p provider.Provider) (runtime.Result, error) {
	state, err := p.State(ctx, cl)
	switch {
	case provider.IsNotFound(err):
		// Gone behind Krake's back: start over (the next pass creates it).
		_, err := c.setStatus(ctx, cl, func(s *api.ClusterStatus) {
			s.ClusterID, s.RunningOn, s.LastAppliedTosca, s.State = nil, nil, map[string]any{}, api.StatePending
			s.Reason = &api.Reason{Code: api.ReasonNotFound, Message: "the provider no longer has the infrastructure; creating it again"}
		})
		return runtime.Result{RequeueAfter: soon}, err
	case err != nil:
		return c.fail(ctx, cl, api.StateFailingReconciliation, provider.ReasonOf(err, api.ReasonRetrieveFailed))
	}
	switch state {
	case provider.Unconfigured:
		return c.fail(ctx, cl, api.StateFailingReconciliation,
			api.Reason{Code: api.ReasonReconcileFailed, Message: "the provider reports the infrastructure unconfigured; reconfiguring it"})
	case provider.Failed:
		return c.fail(ctx, cl, api.StateFailed,
			api.Reason{Code: api.ReasonReconcileFailed, Message: "the provider reports the infrastructure failed; delete the cluster"})
	case provider.Configured:
	default:
		return runtime.Result{RequeueAfter: c.opts.PollInterval}, nil
	}
	kc, err := p.Kubeconfig(ctx, cl)
	if err != nil {
		return c.fail(ctx, cl, api.StateFailingReconciliation, provider.ReasonOf(err, api.ReasonRetrieveFailed))
	}
	if !sameJSON(kc, cl.Spec.Kubeconfig) {
		cl.Spec.Kubeconfig = kc
		updated, err := c.api.Update(ctx, cl)
		if err != nil {
			return runtime.Result{}, fmt.Errorf("write the kubeconfig: %w", err)
		}
		cl = updated
	}
	if _, err := c.setStatus(ctx, cl, func(s *api.ClusterStatus) { s.State, s.Reason = api.StateConnecting, nil }); err != nil {
		return runtime.Result{}, fmt.Errorf("record CONNECTING: %w", err)
	}
	c.succeeded(cl)
	c.log.Info("cluster infrastructure ready", "cluster", informer.Key(cl))
	return runtime.Result{}, nil
}

// remove destroys the infrastructure of a deleted cluster once every
// other finalizer is gone (the garbage collector removes the cluster's
// apps first, while the cluster still runs them), then releases the
// record.
func (c *Controller) remove(ctx context.Context, cl *api.Cluster) (runtime.Result, error) {
	fin := cl.Metadata.Finalizers
	if len(fin) == 0 || fin[len(fin)-1] != Finalizer {
		return runtime.Result{}, nil // not ours, or not our turn: the release's event brings it back
	}
	if cl.Status.ClusterID != nil && cl.Status.ScheduledTo != nil {
		p, err := c.providerOf(cl)
		if err != nil {
			return c.fail(ctx, cl, api.StateDeleting, provider.ReasonOf(err, api.ReasonDeleteFailed))
		}
		updated, err := c.setStatus(ctx, cl, func(s *api.ClusterStatus) { s.State = api.StateDeleting })
		if err != nil {
			return runtime.Result{}, fmt.Errorf("record DELETING: %w", err)
		}
		cl = updated
		if err := p.Delete(ctx, cl); err != nil {
			return c.fail(ctx, cl, api.StateDeleting, provider.ReasonOf(err, api.ReasonDeleteFailed))
		}
		if _, err := p.State(ctx, cl); !provider.IsNotFound(err) {
			return runtime.Result{RequeueAfter: c.opts.PollInterval}, nil // still going
		}
		c.log.Info("cluster infrastructure deleted", "cluster", informer.Key(cl))
	}
	cl.Metadata.Finalizers = slices.DeleteFunc(slices.Clone(fin), func(f string) bool { return f == Finalizer })
	if _, err := c.api.Update(ctx, cl); err != nil && !client.IsNotFound(err) {
		return runtime.Result{}, fmt.Errorf("release: %w", err)
	}
	c.succeeded(cl)
	return runtime.Result{}, nil
}
