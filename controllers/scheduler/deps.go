package scheduler

import (
	"context"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/controllers/runtime"
)

// The scheduler's few dependencies, declared where they are used, so its
// Reconcile can be table-tested with a seeded cache and a recording fake
// (scheduler_test.go proves it against a real API and etcd).

type appCache interface {
	Get(namespace, name string) (*api.Application, bool)
}

type clusterLister interface {
	Get(namespace, name string) (*api.Cluster, bool)
	List() []*api.Cluster
}

// metricValues gives a cluster's metrics as placement weighs them.
type metricValues interface {
	of(ctx context.Context, cl *api.Cluster) []placement.MetricValue
	// ofRefs gives any metric references of a namespace ("" for a global
	// cloud's).
	ofRefs(ctx context.Context, namespace string, refs []api.MetricRef) []placement.MetricValue
}

// writer is every API call the scheduler makes.
type writer interface {
	Bind(ctx context.Context, app runtime.Key, cluster api.ResourceRef) error
	UpdateAppStatus(ctx context.Context, app *api.Application) error
	UpdateClusterStatus(ctx context.Context, cl *api.Cluster) error
	BindCluster(ctx context.Context, cluster runtime.Key, cloud api.ResourceRef) error
	UpdateCluster(ctx context.Context, cl *api.Cluster) error
	UpdateCloudStatus(ctx context.Context, cloud *api.Cloud) error
	CreateCluster(ctx context.Context, cl *api.Cluster) error
	DeleteCluster(ctx context.Context, cl *api.Cluster) error
}

// apiWriter writes through the Krake API.
type apiWriter struct{ c *client.Client }

func (w apiWriter) Bind(ctx context.Context, app runtime.Key, cluster api.ResourceRef) error {
	_, err := w.c.Applications(app.Namespace).Subresource(ctx, app.Name, api.SubBinding, api.BindingTo(cluster))
	return err
}

func (w apiWriter) UpdateAppStatus(ctx context.Context, app *api.Application) error {
	_, err := w.c.Applications(app.Metadata.Namespace).UpdateStatus(ctx, app)
	return err
}

func (w apiWriter) UpdateClusterStatus(ctx context.Context, cl *api.Cluster) error {
	_, err := w.c.Clusters(cl.Metadata.Namespace).UpdateStatus(ctx, cl)
	return err
}

func (w apiWriter) BindCluster(ctx context.Context, cluster runtime.Key, cloud api.ResourceRef) error {
	_, err := w.c.Clusters(cluster.Namespace).Subresource(ctx, cluster.Name, api.SubBinding, api.CloudBindingTo(cloud))
	return err
}

func (w apiWriter) UpdateCluster(ctx context.Context, cl *api.Cluster) error {
	_, err := w.c.Clusters(cl.Metadata.Namespace).Update(ctx, cl, client.WriteOptions{})
	return err
}

func (w apiWriter) UpdateCloudStatus(ctx context.Context, cloud *api.Cloud) error {
	r := w.c.GlobalClouds()
	if cloud.Kind == "Cloud" {
		r = w.c.Clouds(cloud.Metadata.Namespace)
	}
	_, err := r.UpdateStatus(ctx, cloud)
	return err
}

func (w apiWriter) CreateCluster(ctx context.Context, cl *api.Cluster) error {
	_, err := w.c.Clusters(cl.Metadata.Namespace).Create(ctx, cl, client.WriteOptions{})
	return err
}

func (w apiWriter) DeleteCluster(ctx context.Context, cl *api.Cluster) error {
	_, err := w.c.Clusters(cl.Metadata.Namespace).Delete(ctx, cl.Metadata.Name, client.WriteOptions{})
	return err
}
