package application

import (
	"context"
	"fmt"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/runtime"
)

// cleanUp shuts the application down when it has the shutdown hook,
// removes its objects from its cluster, then its finalizer; the record
// leaves once no finalizer is left.
func (c *Controller) cleanUp(ctx context.Context, app *api.Application) (runtime.Result, error) {
	if !slices.Contains(app.Metadata.Finalizers, Finalizer) {
		return runtime.Result{}, nil
	}
	if needsShutdown(app) {
		step, wait, err := c.shutdown(ctx, app, "delete")
		switch {
		case err != nil || step == shutdownStuck:
			return runtime.Result{}, err
		case step == shutdownWaiting:
			return runtime.Result{RequeueAfter: wait}, nil
		}
	}
	return runtime.Result{}, c.remove(ctx, app)
}

// remove deletes the objects, then the finalizer.
func (c *Controller) remove(ctx context.Context, app *api.Application) error {
	if app.Status.State != api.StateDeleting {
		app.Status.State = api.StateDeleting
		updated, err := c.api.UpdateStatus(ctx, app)
		if err != nil {
			return ignoreNotFound(err)
		}
		app = updated
	}
	// Both clusters of a migration may hold objects (once each).
	clusters := []*api.ResourceRef{app.Status.RunningOn}
	if migrating(app) || app.Status.RunningOn == nil {
		clusters = append(clusters, app.Status.ScheduledTo)
	}
	for _, ref := range clusters {
		if err := c.removeFrom(ctx, ref, app); err != nil {
			return err
		}
	}
	app.Metadata.Finalizers = slices.DeleteFunc(app.Metadata.Finalizers, func(f string) bool { return f == Finalizer })
	_, err := c.api.Update(ctx, app)
	if err == nil {
		c.log.Info("application removed from its cluster", "app", app.Metadata.Namespace+"/"+app.Metadata.Name)
	}
	return ignoreNotFound(err)
}

// removeFrom deletes the objects of app's last applied manifest, and the
// complete hook's Secrets, from the cluster ref names (nothing when ref is
// nil or the cluster is gone).
func (c *Controller) removeFrom(ctx context.Context, ref *api.ResourceRef, app *api.Application) error {
	if ref == nil {
		return nil
	}
	cluster, ok := c.clusters.Get(ref.Namespace, ref.Name)
	if !ok {
		return nil
	}
	kube, err := c.kube.For(cluster)
	if err != nil {
		return err
	}
	workloadNamespaces := map[string]bool{}
	for _, raw := range app.Status.LastAppliedManifest {
		obj, res, err := c.resourceFor(kube, raw)
		if err != nil {
			continue
		}
		if _, runsPods := podSpecPath(obj); runsPods {
			workloadNamespaces[obj.GetNamespace()] = true
		}
		if err := res.Delete(ctx, obj.GetName(), cascade); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s from cluster %s: %w", describe(obj), ref.Name, err)
		}
	}
	// Whether or not a hook is still enabled: it may have been before.
	for _, hook := range []string{api.HookComplete, api.HookShutdown} {
		if hook == api.HookShutdown && !slices.Contains(app.Spec.Hooks, hook) && app.Status.ShutdownToken == nil {
			continue // never had one
		}
		secret := hookSecretName(hook, app.Metadata.Name)
		for ns := range workloadNamespaces {
			err := kube.Dynamic.Resource(secretsResource).Namespace(ns).Delete(ctx, secret, metav1.DeleteOptions{})
			if err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("delete the %s hook's Secret %s/%s from cluster %s: %w", hook, ns, secret, ref.Name, err)
			}
		}
	}
	return nil
}

// cascade deletes an object with what it owns: a Job's pods too (the
// Job API's own default orphans them).
var cascade = func() metav1.DeleteOptions {
	background := metav1.DeletePropagationBackground
	return metav1.DeleteOptions{PropagationPolicy: &background}
}()
