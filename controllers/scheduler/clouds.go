package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/controllers/runtime"
)

// cloudScheduler binds each cluster Krake creates (one with a TOSCA
// template) to the best Cloud of its namespace or GlobalCloud, as the app
// side binds apps to clusters: the cluster's cloud constraints filter,
// the clouds' metrics score (placement.ExplainCluster). Once bound, it
// copies the cloud's labels and metrics into the cluster when the cluster
// inherits them. The infrastructure controller takes it from there.
type cloudScheduler struct {
	api       writer
	clusters  clusterLister
	clouds    cloudLister
	values    metricValues
	apps      appLister // for the retention of generated clusters; nil: none
	retention time.Duration
	now       func() time.Time
	log       *slog.Logger
	loop      *runtime.Controller

	mu       sync.Mutex
	rng      *rand.Rand                // guarded by mu
	attempts map[runtime.Key]attempt   // guarded by mu
	bound    map[runtime.Key]time.Time // bound by this scheduler, not yet seen in the cache; guarded by mu
	// emptySince is when a generated cluster was last seen without apps;
	// guarded by mu.
	emptySince map[runtime.Key]time.Time
}

type appLister interface {
	List() []*api.Application
}

// boundGrace is how long a binding this scheduler made may take to reach
// its cache before the cluster is weighed again: an event from before the
// binding must not bind it a second time (perhaps elsewhere).
const boundGrace = 10 * time.Second

// cloudLister lists the Clouds of every namespace and the GlobalClouds.
type cloudLister interface {
	List() []*api.Cloud
}

// cloudInformers are the two cloud kinds' informers, listed as one.
type cloudInformers struct {
	clouds, global *informer.Informer[*api.Cloud]
}

func (c cloudInformers) List() []*api.Cloud { return append(c.clouds.List(), c.global.List()...) }

func (c cloudInformers) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { _ = c.clouds.Start(ctx) })
	wg.Go(func() { _ = c.global.Start(ctx) })
	wg.Wait()
}

func (c cloudInformers) synced() []<-chan struct{} {
	return []<-chan struct{}{c.clouds.Synced(), c.global.Synced()}
}

func newCloudScheduler(w writer, clusters clusterLister, clouds cloudLister, values metricValues, opts Options, log *slog.Logger) *cloudScheduler {
	cs := &cloudScheduler{api: w, clusters: clusters, clouds: clouds, values: values, now: opts.Now, log: log,
		rng: rand.New(rand.NewPCG(opts.Rand.Uint64(), opts.Rand.Uint64())), attempts: map[runtime.Key]attempt{},
		bound: map[runtime.Key]time.Time{}, emptySince: map[runtime.Key]time.Time{}, retention: opts.AutoClusterRetention}
	cs.loop = runtime.New("scheduler-clouds", cs, 1, log)
	return cs
}

// waiting reports whether the cluster is one this scheduler binds.
func waiting(cl *api.Cluster) bool {
	return cl.Created() && cl.Status.ScheduledTo == nil && cl.Metadata.Deleted == nil
}

// retryAll tries every waiting cluster at once: the set of clouds changed.
func (cs *cloudScheduler) retryAll() {
	for _, cl := range cs.clusters.List() {
		if waiting(cl) {
			key := runtime.Key{Namespace: cl.Metadata.Namespace, Name: cl.Metadata.Name}
			cs.forget(key)
			cs.loop.Enqueue(key)
		}
	}
}

// Reconcile binds one waiting cluster to a cloud.
func (cs *cloudScheduler) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	cl, ok := cs.clusters.Get(key.Namespace, key.Name)
	if !ok || !cl.Created() || cl.Metadata.Deleted != nil {
		cs.forget(key)
		return runtime.Result{}, nil
	}
	if cl.Status.ScheduledTo != nil {
		cs.forget(key)
		if err := cs.inherit(ctx, cl); err != nil {
			return runtime.Result{}, err
		}
		return cs.retain(ctx, key, cl)
	}
	cs.mu.Lock()
	at, justBound := cs.bound[key]
	cs.mu.Unlock()
	if wait := at.Add(boundGrace).Sub(cs.now()); justBound && wait > 0 {
		return runtime.Result{RequeueAfter: min(wait, time.Second)}, nil
	}
	decision := cs.decide(ctx, cl)
	if decision.Chosen == "" {
		why := decision.Summary()
		if len(decision.Clusters) == 0 {
			why = "no cloud in namespace " + key.Namespace + " and no global cloud: register one (rok infra cloud register)"
		}
		return cs.noCloud(ctx, key, cl, why)
	}
	cs.forget(key)
	ref := api.ResourceRef{API: "infrastructure", Kind: decision.ChosenKind, Name: decision.Chosen}
	if ref.Kind == "Cloud" {
		ref.Namespace = key.Namespace
	}
	if err := cs.api.BindCluster(ctx, key, ref); err != nil && !client.IsNotFound(err) {
		return runtime.Result{}, fmt.Errorf("bind cluster: %w", err)
	}
	cs.mu.Lock()
	cs.bound[key] = cs.now()
	cs.mu.Unlock()
	cs.log.Info("bound cluster", "cluster", key.String(), "cloud", ref.Kind+"/"+ref.Name)
	return runtime.Result{}, nil // the binding's event brings it back for inherit
}

// Explain is the cloud decision for a cluster as it stands.
func (cs *cloudScheduler) decide(ctx context.Context, cl *api.Cluster) placement.Explanation {
	var candidates []placement.CloudCandidate
	for _, cloud := range cs.clouds.List() {
		if cloud.Metadata.Namespace != "" && cloud.Metadata.Namespace != cl.Metadata.Namespace {
			continue // tenants never see each other's clouds
		}
		values := cs.values.ofRefs(ctx, cloud.Metadata.Namespace, cloud.MetricRefs())
		candidates = append(candidates, placement.CloudCandidate{Cloud: cs.recordMetrics(ctx, cloud, values), Metrics: values})
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return placement.ExplainCluster(cl, candidates, cs.rng)
}

// recordMetrics writes what a cloud's metrics gave into its status when
// that changed (FAILING_METRICS with metrics_reasons, or ONLINE again), and
// returns the cloud as the decision should see it.
func (cs *cloudScheduler) recordMetrics(ctx context.Context, cached *api.Cloud, values []placement.MetricValue) *api.Cloud {
	reasons, metricValues := map[string]api.Reason{}, map[string]float64{}
	for _, v := range values {
		if v.Err != nil {
			reasons[v.Name] = placement.ReasonFor(v.Err)
		} else {
			metricValues[v.Name] = v.Value
		}
	}
	state := api.StateOnline
	if len(reasons) > 0 {
		state = api.StateFailingMetrics
	}
	if state == cached.Status.State && maps.Equal(reasons, cached.Status.MetricsReasons) && maps.Equal(metricValues, cached.Status.MetricValues) {
		return cached
	}
	cloud := api.DeepCopy(cached)
	cloud.Status.State, cloud.Status.MetricsReasons, cloud.Status.MetricValues = state, reasons, metricValues
	if err := cs.api.UpdateCloudStatus(ctx, cloud); err != nil && !client.IsNotFound(err) {
		cs.log.Info("record cloud metrics", "cloud", informer.Key(cloud), "err", err)
	}
	if state != cached.Status.State {
		cs.log.Info("cloud metrics", "cloud", cloud.Kind+"/"+informer.Key(cloud), "state", state, "failing", len(reasons))
	}
	return cloud
}

// inherit copies the bound cloud's labels (where the cluster has no such
// key) and metrics (by name, where the cluster has none) into the
// cluster, when it asks for them.
func (cs *cloudScheduler) inherit(ctx context.Context, cl *api.Cluster) error {
	if !cl.Metadata.InheritLabels && !cl.Spec.InheritMetrics {
		return nil
	}
	var cloud *api.Cloud
	for _, c := range cs.clouds.List() {
		ref := cl.Status.ScheduledTo
		if c.Kind == ref.Kind && c.Metadata.Namespace == ref.Namespace && c.Metadata.Name == ref.Name {
			cloud = c
		}
	}
	if cloud == nil {
		return nil
	}
	updated := api.DeepCopy(cl)
	if cl.Metadata.InheritLabels {
		if updated.Metadata.Labels == nil {
			updated.Metadata.Labels = map[string]string{}
		}
		for k, v := range cloud.Metadata.Labels {
			if _, own := updated.Metadata.Labels[k]; !own {
				updated.Metadata.Labels[k] = v
			}
		}
	}
	if cl.Spec.InheritMetrics {
		for _, m := range cloud.MetricRefs() {
			if !slices.ContainsFunc(updated.Spec.Metrics, func(o api.MetricRef) bool { return o.Name == m.Name }) {
				updated.Spec.Metrics = append(updated.Spec.Metrics, m)
			}
		}
	}
	if maps.Equal(updated.Metadata.Labels, cl.Metadata.Labels) && len(updated.Spec.Metrics) == len(cl.Spec.Metrics) {
		return nil
	}
	if err := cs.api.UpdateCluster(ctx, updated); err != nil && !client.IsNotFound(err) {
		return fmt.Errorf("inherit from cloud %s: %w", cloud.Metadata.Name, err)
	}
	cs.log.Info("cluster inherited from its cloud", "cluster", informer.Key(cl), "cloud", cloud.Metadata.Name,
		"labels", cl.Metadata.InheritLabels, "metrics", cl.Spec.InheritMetrics)
	return nil
}

// noCloud records why the cluster waits (reason NO_SUITABLE_RESOURCE, the
// state stays PENDING) and tries again with the cluster's back-off; a
// change of the clouds tries at once. Like noCandidate, an attempt that
// ends as the last one did writes nothing.
func (cs *cloudScheduler) noCloud(ctx context.Context, key runtime.Key, cl *api.Cluster, msg string) (runtime.Result, error) {
	now := cs.now()
	cs.mu.Lock()
	a, known := cs.attempts[key]
	cs.mu.Unlock()
	if known && now.Before(a.next) && a.modified.Equal(cl.Metadata.Modified.Time) {
		return runtime.Result{RequeueAfter: a.next.Sub(now)}, nil
	}
	_, retries, delay := backoff(api.ApplicationSpec{Backoff: cl.Spec.Backoff, BackoffDelay: cl.Spec.BackoffDelay, BackoffLimit: -1}, a.retries)
	reason := api.Reason{Code: api.ReasonNoSuitableResource, Message: msg}
	if cl.Status.Reason == nil || *cl.Status.Reason != reason {
		updated := api.DeepCopy(cl)
		updated.Status.Reason = &reason
		if err := cs.api.UpdateClusterStatus(ctx, updated); err != nil {
			if client.IsNotFound(err) {
				return runtime.Result{}, nil
			}
			return runtime.Result{}, err
		}
		cs.log.Info("no cloud for cluster", "cluster", key.String(), "why", msg)
	}
	cs.mu.Lock()
	cs.attempts[key] = attempt{next: now.Add(delay), modified: cl.Metadata.Modified, retries: retries}
	cs.mu.Unlock()
	return runtime.Result{RequeueAfter: delay}, nil
}

func (cs *cloudScheduler) forget(key runtime.Key) {
	cs.mu.Lock()
	delete(cs.attempts, key)
	delete(cs.bound, key)
	cs.mu.Unlock()
}
