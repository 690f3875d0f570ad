// Package cluster is the Kubernetes cluster controller: it probes every
// registered cluster (API reachable, /readyz, node conditions) on an
// interval and records ONLINE, OFFLINE, UNHEALTHY or NOTREADY with the
// nodes and a reason. A cluster Krake creates is probed from its
// hand-over (CONNECTING) on.
package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	json "github.com/go-json-experiment/json/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/controllers/kubernetes/kubeclient"
	"github.com/krake-go/krake/controllers/runtime"
)

// Options tune the controller.
type Options struct {
	ProbeInterval time.Duration // default 10s
	ProbeTimeout  time.Duration // default 5s
	Workers       int           // default 4
}

// Controller keeps clusters' status current.
type Controller struct {
	api      statusWriter
	clusters clusterCache
	synced   <-chan struct{}
	// probe asks a cluster how it is (probeCluster; tests replace it).
	probe func(ctx context.Context, cluster *api.Cluster) api.ClusterStatus
	kube  *kubeclient.Cache
	loop  *runtime.Controller
	opts  Options
	log   *slog.Logger
}

// clusterCache and statusWriter are the controller's few dependencies,
// declared here so Reconcile can be table-tested with fakes.
type clusterCache interface {
	Get(namespace, name string) (*api.Cluster, bool)
}

type statusWriter interface {
	UpdateStatus(ctx context.Context, cluster *api.Cluster) (*api.Cluster, error)
}

// apiWriter writes through the Krake API, in the cluster's namespace.
type apiWriter struct{ c *client.Client }

func (w apiWriter) UpdateStatus(ctx context.Context, cl *api.Cluster) (*api.Cluster, error) {
	return w.c.Clusters(cl.Metadata.Namespace).UpdateStatus(ctx, cl)
}

// New returns the controller for all namespaces.
func New(c *client.Client, log *slog.Logger, opts Options, inf *runtime.Informers) *Controller {
	if opts.ProbeInterval == 0 {
		opts.ProbeInterval = 10 * time.Second
	}
	if opts.ProbeTimeout == 0 {
		opts.ProbeTimeout = 5 * time.Second
	}
	if opts.Workers == 0 {
		opts.Workers = 4
	}
	ctrl := &Controller{
		api:      apiWriter{c},
		clusters: inf.Clusters,
		synced:   inf.Clusters.Synced(),
		kube:     kubeclient.NewCache(opts.ProbeTimeout),
		opts:     opts,
		log:      log,
	}
	ctrl.probe = ctrl.probeCluster
	ctrl.loop = runtime.New("cluster", ctrl, opts.Workers, log)
	inf.Clusters.AddHandler(func(typ string, cl *api.Cluster) {
		if typ != api.Deleted {
			ctrl.loop.Enqueue(runtime.Key{Namespace: cl.Metadata.Namespace, Name: cl.Metadata.Name})
		}
	})
	return ctrl
}

// Start runs until ctx ends, once the clusters' cache has synced (the
// shared informers are run by the caller).
func (c *Controller) Start(ctx context.Context) error {
	return c.loop.Start(ctx, c.synced)
}

// Reconcile probes one cluster and records what it found.
func (c *Controller) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	cached, ok := c.clusters.Get(key.Namespace, key.Name)
	if !ok || cached.Metadata.Deleted != nil || cached.Building() {
		return runtime.Result{}, nil // a cluster being built is the infrastructure controller's
	}
	cluster := api.DeepCopy(cached)
	status := c.probe(ctx, cluster)
	// FAILING_METRICS is the scheduler's finding about a healthy cluster:
	// it stays while the metrics fail.
	if status.State == api.StateOnline && len(cached.Status.MetricsReasons) > 0 {
		status.State = api.StateFailingMetrics
	}
	before, _ := json.Marshal(cached.Status)
	cluster.Status.State, cluster.Status.Reason, cluster.Status.Nodes = status.State, status.Reason, status.Nodes
	after, _ := json.Marshal(cluster.Status)
	if string(before) != string(after) {
		if _, err := c.api.UpdateStatus(ctx, cluster); err != nil {
			if client.IsNotFound(err) {
				return runtime.Result{}, nil
			}
			return runtime.Result{}, fmt.Errorf("update status: %w", err)
		}
		if cached.Status.State != status.State {
			c.log.Info("cluster state", "cluster", key.String(), "from", cached.Status.State, "to", status.State)
		}
	}
	return runtime.Result{RequeueAfter: c.opts.ProbeInterval}, nil
}

// probeCluster decides the state from the cluster's own answers.
func (c *Controller) probeCluster(ctx context.Context, cluster *api.Cluster) api.ClusterStatus {
	offline := func(msg string) api.ClusterStatus {
		return api.ClusterStatus{State: api.StateOffline, Nodes: cluster.Status.Nodes,
			Reason: &api.Reason{Code: api.ReasonClusterNotReachable, Message: msg}}
	}
	kube, err := c.kube.For(cluster)
	if err != nil {
		return api.ClusterStatus{State: api.StateOffline, Nodes: []api.Node{},
			Reason: &api.Reason{Code: api.ReasonInvalidResource, Message: err.Error()}}
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.ProbeTimeout)
	defer cancel()
	body, err := kube.Typed.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
	if err != nil && len(body) == 0 {
		return offline(fmt.Sprintf("the Kubernetes API does not answer: %v", shortErr(err)))
	}
	if err != nil || string(body) != "ok" {
		return api.ClusterStatus{State: api.StateUnhealthy, Nodes: cluster.Status.Nodes,
			Reason: &api.Reason{Code: api.ReasonClusterNotReachable, Message: "the Kubernetes API is not ready (/readyz)"}}
	}
	list, err := kube.Typed.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return offline(fmt.Sprintf("listing nodes failed: %v", shortErr(err)))
	}
	nodes := make([]api.Node, 0, len(list.Items))
	notReady := []string{}
	for _, n := range list.Items {
		node := api.Node{Name: n.Name, Conditions: []api.NodeCondition{}}
		ready := false
		for _, cond := range n.Status.Conditions {
			node.Conditions = append(node.Conditions, api.NodeCondition{Type: string(cond.Type), Status: string(cond.Status), Reason: cond.Reason, Message: cond.Message})
			if cond.Type == corev1.NodeReady && cond.Status == corev1.ConditionTrue {
				ready = true
			}
		}
		if !ready {
			notReady = append(notReady, n.Name)
		}
		nodes = append(nodes, node)
	}
	switch {
	case len(nodes) == 0:
		return api.ClusterStatus{State: api.StateNotReady, Nodes: nodes,
			Reason: &api.Reason{Code: api.ReasonClusterNotReachable, Message: "the cluster has no nodes"}}
	case len(notReady) > 0:
		return api.ClusterStatus{State: api.StateNotReady, Nodes: nodes,
			Reason: &api.Reason{Code: api.ReasonClusterNotReachable, Message: fmt.Sprintf("nodes not Ready: %v", notReady)}}
	}
	return api.ClusterStatus{State: api.StateOnline, Nodes: nodes}
}

// shortErr keeps probe errors to their cause (client-go errors can be long).
func shortErr(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
