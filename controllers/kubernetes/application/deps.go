package application

import (
	"context"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/controllers/kubernetes/kubeclient"
)

// The controller's few dependencies, declared where they are used, so its
// Reconcile can be table-tested with a seeded cache and a recording fake
// (the e2e tests prove it against real clusters).

// cache reads objects of one kind from an informer.
type cache[T api.Object] interface {
	Get(namespace, name string) (T, bool)
}

// appWriter is every API call the controller makes.
type appWriter interface {
	Update(ctx context.Context, app *api.Application) (*api.Application, error)
	UpdateStatus(ctx context.Context, app *api.Application) (*api.Application, error)
}

// kubeSource builds (or reuses) the clients of a cluster.
type kubeSource interface {
	For(cluster *api.Cluster) (*kubeclient.Clients, error)
}

// apiWriter writes through the Krake API, in the app's namespace.
type apiWriter struct{ c *client.Client }

func (w apiWriter) Update(ctx context.Context, app *api.Application) (*api.Application, error) {
	return w.c.Applications(app.Metadata.Namespace).Update(ctx, app, client.WriteOptions{})
}

func (w apiWriter) UpdateStatus(ctx context.Context, app *api.Application) (*api.Application, error) {
	return w.c.Applications(app.Metadata.Namespace).UpdateStatus(ctx, app)
}
