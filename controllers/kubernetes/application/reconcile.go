package application

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/runtime"
)

// Reconcile brings one application's objects in line with its manifest,
// as a sequence of steps: the finalizer, the status it starts in, the
// apply, the end of a migration, and the status it found.
func (c *Controller) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	cached, ok := c.apps.Get(key.Namespace, key.Name)
	if !ok {
		c.observe.forget(key)
		return runtime.Result{}, nil
	}
	app := api.DeepCopy(cached)
	if app.Metadata.Deleted != nil {
		c.observe.forget(key)
		return c.cleanUp(ctx, app)
	}
	if app.Status.ScheduledTo == nil {
		return runtime.Result{}, nil // the scheduler has not chosen yet
	}
	ref := app.Status.ScheduledTo
	cluster, ok := c.clusters.Get(ref.Namespace, ref.Name)
	if !ok {
		return c.fail(ctx, app, api.StateFailed, api.ReasonClusterNotReachable, fmt.Sprintf("cluster %s/%s does not exist", ref.Namespace, ref.Name))
	}
	kube, err := c.kube.For(cluster)
	if err != nil {
		return c.fail(ctx, app, api.StateFailed, api.ReasonInvalidResource, err.Error())
	}
	if app, err = c.ensureFinalizer(ctx, app); app == nil || err != nil {
		return runtime.Result{}, err
	}
	if migrating(app) && needsShutdown(app) {
		if result, done, err := c.breakBeforeMake(ctx, app); !done || err != nil {
			return result, err
		}
	}
	if app, err = c.prepareStatus(ctx, app); app == nil || err != nil {
		return runtime.Result{}, err
	}
	found, err := c.apply(ctx, kube, key, app)
	if err != nil {
		return c.applyFailed(ctx, app, found, err)
	}
	if migrating(app) {
		if done, err := c.finishMigration(ctx, key, cached, app, found); !done || err != nil {
			return runtime.Result{RequeueAfter: time.Second}, err
		}
	}
	return c.writeStatus(ctx, key, cached, app, found)
}

// ensureFinalizer holds the finalizer before anything reaches the
// cluster, so a delete always cleans up what was applied. A nil app means
// it is gone.
func (c *Controller) ensureFinalizer(ctx context.Context, app *api.Application) (*api.Application, error) {
	if slices.Contains(app.Metadata.Finalizers, Finalizer) {
		return app, nil
	}
	app.Metadata.Finalizers = append(app.Metadata.Finalizers, Finalizer)
	updated, err := c.api.Update(ctx, app)
	if err != nil {
		return nil, ignoreNotFound(err)
	}
	return updated, nil
}

// prepareStatus writes, before the apply, the state the pass starts in
// and the hooks' tokens, which must exist before a workload can call
// back; nothing when neither changes. A nil app means it is gone.
func (c *Controller) prepareStatus(ctx context.Context, app *api.Application) (*api.Application, error) {
	newToken := false
	for hook, token := range map[string]**string{api.HookComplete: &app.Status.CompleteToken, api.HookShutdown: &app.Status.ShutdownToken} {
		if slices.Contains(app.Spec.Hooks, hook) && *token == nil {
			t := newHookToken()
			*token, newToken = &t, true
		}
	}
	next := stateBeforeApply(app)
	newState := next != app.Status.State
	if newState {
		app.Status.State, app.Status.Reason = next, nil
	}
	if !newState && !newToken {
		return app, nil
	}
	updated, err := c.api.UpdateStatus(ctx, app)
	if err != nil {
		return nil, ignoreNotFound(err)
	}
	return updated, nil
}

// breakBeforeMake moves an app with the shutdown hook: the old copy is
// shut down and removed before the new one is applied, since the hook is
// for stateful workloads that hand over their state. done is false while
// the shutdown waits (or gave up).
func (c *Controller) breakBeforeMake(ctx context.Context, app *api.Application) (runtime.Result, bool, error) {
	step, wait, err := c.shutdown(ctx, app, "migration")
	switch {
	case err != nil:
		return runtime.Result{}, false, err
	case step == shutdownWaiting:
		return runtime.Result{RequeueAfter: wait}, false, nil
	case step == shutdownStuck:
		return runtime.Result{}, false, nil
	}
	from := app.Status.RunningOn
	if err := c.removeFrom(ctx, from, app); err != nil {
		return runtime.Result{}, false, err
	}
	c.log.Info("application shut down and removed for its migration", "app", key(app), "from", from.Name, "to", app.Status.ScheduledTo.Name)
	// The old copy is gone: what follows is a create on the new cluster.
	app.Status.RunningOn, app.Status.Shutdown, app.Status.LastAppliedManifest, app.Status.Services = nil, nil, nil, nil
	app.Status.State, app.Status.Reason = api.StateMigrating, nil
	return runtime.Result{}, true, c.writeShutdown(ctx, app)
}

// applyFailed records a failed apply. What reached the cluster before the
// failure is recorded, so a delete (or the next pass) cleans it up:
// nothing stays behind unaccounted for.
func (c *Controller) applyFailed(ctx context.Context, app *api.Application, found applyResult, err error) (runtime.Result, error) {
	app.Status.LastAppliedManifest = union(app.Status.LastAppliedManifest, found.applied)
	app.Status.RunningOn = app.Status.ScheduledTo
	app.Status.Objects = found.objects
	var invalid *invalidObject
	switch {
	case errors.As(err, &invalid):
		return c.fail(ctx, app, api.StateFailed, api.ReasonInvalidResource, err.Error())
	case isUnreachable(err):
		return c.fail(ctx, app, api.StateDegraded, api.ReasonClusterNotReachable, err.Error())
	}
	return c.fail(ctx, app, api.StateFailed, api.ReasonKubernetesError, err.Error())
}

// finishMigration removes the old copy once the new one is ready (no
// downtime); until then it records the new copy's health and reports
// done = false.
func (c *Controller) finishMigration(ctx context.Context, key runtime.Key, cached, app *api.Application, found applyResult) (done bool, err error) {
	if found.serving.ready < found.serving.desired {
		app.Status.ContainerHealth, app.Status.Objects = found.health, found.objects
		if !statusEqual(cached.Status, app.Status) {
			if _, err := c.api.UpdateStatus(ctx, app); err != nil {
				return false, ignoreNotFound(err)
			}
		}
		return false, nil
	}
	if err := c.removeFrom(ctx, app.Status.RunningOn, app); err != nil {
		return false, err
	}
	c.log.Info("application migrated", "app", key.String(), "from", app.Status.RunningOn.Name, "to", app.Status.ScheduledTo.Name)
	app.Status.State = api.StateRunning
	return true, nil
}

// writeStatus records what the apply found, when it differs from the
// cached status, and asks for the next check after Resync.
func (c *Controller) writeStatus(ctx context.Context, key runtime.Key, cached, app *api.Application, found applyResult) (runtime.Result, error) {
	state, reason := stateAfterApply(app.Status.State, found)
	app.Status.RunningOn = app.Status.ScheduledTo
	app.Status.Services = found.services
	app.Status.ContainerHealth = found.health
	app.Status.Objects = found.objects
	app.Status.LastAppliedManifest = app.Spec.Manifest
	app.Status.LastObservedManifest = found.observed
	if state == api.StateFailed {
		// A workload failed for good: recorded as any failure, so that only
		// a new manifest (or retry) tries again.
		return c.fail(ctx, app, state, reason.Code, reason.Message)
	}
	app.Status.State, app.Status.Reason = state, reason
	if state == api.StateRunning {
		app.Status.Retries = 0
	}
	if !statusEqual(cached.Status, app.Status) {
		if _, err := c.api.UpdateStatus(ctx, app); err != nil {
			return runtime.Result{}, ignoreNotFound(err)
		}
		if cached.Status.State != app.Status.State {
			c.log.Info("application state", "app", key.String(), "cluster", app.Status.ScheduledTo.Name, "from", cached.Status.State, "to", app.Status.State)
		}
	}
	return runtime.Result{RequeueAfter: c.opts.Resync}, nil
}

// fail records a failure in the status, where the user reads it.
func (c *Controller) fail(ctx context.Context, app *api.Application, state string, code api.ReasonCode, msg string) (runtime.Result, error) {
	if app.Status.State != state || app.Status.Reason == nil || app.Status.Reason.Message != msg ||
		!sameManifest(app.Spec.Manifest, app.Status.FailedManifest) {
		app.Status.State = state
		app.Status.Reason = &api.Reason{Code: code, Message: msg}
		app.Status.FailedManifest = app.Spec.Manifest // what failed, to try again only when it changes
		if _, err := c.api.UpdateStatus(ctx, app); err != nil {
			return runtime.Result{}, ignoreNotFound(err)
		}
		c.log.Info("application failed", "app", app.Metadata.Namespace+"/"+app.Metadata.Name, "state", state, "reason", msg)
	}
	// Retry later: the cluster or the manifest may change.
	return runtime.Result{RequeueAfter: 3 * c.opts.Resync}, nil
}
