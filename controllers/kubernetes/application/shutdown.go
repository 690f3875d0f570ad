package application

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/krake-go/krake/apiserver/api"
)

// The shutdown hook, before a delete or a migration removes an app's
// objects (the original's rule): Krake calls PUT http://<the "shutdown"
// Service's address>/shutdown, sets WAITING_FOR_CLEANING and waits up to
// the grace time for the workload's callback, which sets READY_FOR_ACTION.
// Without a callback it calls again, spec.shutdown_retry_count times; then
// strategy "delete" removes the objects anyway and "give_up" leaves them,
// the app DEGRADED, until `rok kube app retry` or `delete --force`.

// needsShutdown reports whether app's objects must be shut down before
// they are removed from the cluster they run on.
func needsShutdown(app *api.Application) bool {
	return slices.Contains(app.Spec.Hooks, api.HookShutdown) && app.Status.RunningOn != nil && len(app.Status.LastAppliedManifest) > 0
}

// shutdownStep is where a shutdown stands after one pass.
type shutdownStep int

const (
	shutdownWaiting shutdownStep = iota // wait (requeue after the returned delay)
	shutdownDone                        // the objects may go
	shutdownStuck                       // gave up: nothing until the user acts
)

// shutdown drives the hook one step and writes what changed. why is
// "delete" or "migration", for the reason and the log.
func (c *Controller) shutdown(ctx context.Context, app *api.Application, why string) (shutdownStep, time.Duration, error) {
	s := app.Status.Shutdown
	if s != nil && s.Outcome != "" {
		if s.Outcome == api.ShutdownGaveUp {
			return shutdownStuck, 0, nil
		}
		return shutdownDone, 0, nil
	}
	now := c.opts.Now()
	switch {
	case s == nil && why == "delete" && (app.Status.State == api.StateFailed || app.Status.State == api.StateDegraded):
		// Broken before the delete: nothing to hand over, and the objects
		// must not stay (the original's fix).
		app.Status.Shutdown = &api.ShutdownStatus{Outcome: api.ShutdownSkipped}
		return shutdownDone, 0, c.writeShutdown(ctx, app)
	case s != nil && app.Status.State == api.StateReadyForAction:
		s.Outcome, s.Deadline = api.ShutdownCalledBack, nil
		c.log.Info("application shut down by its workload", "app", key(app), "for", why)
		return shutdownDone, 0, c.writeShutdown(ctx, app)
	case s == nil:
		app.Status.Shutdown = &api.ShutdownStatus{}
		return c.claimAndCall(ctx, app, now)
	case s.Deadline != nil && now.Before(s.Deadline.Time):
		return shutdownWaiting, s.Deadline.Sub(now), nil
	case s.Attempts <= app.Spec.Shutdown().Retries:
		return c.claimAndCall(ctx, app, now)
	case app.Spec.Shutdown().Strategy == api.ShutdownGiveUp:
		s.Outcome, s.Deadline = api.ShutdownGaveUp, nil
		app.Status.State = api.StateDegraded
		app.Status.Reason = &api.Reason{Code: api.ReasonDeleteFailed, Message: fmt.Sprintf(
			"the shutdown did not complete: no callback within %ds after %d call(s)%s; the objects stay (strategy give_up): "+
				"rok kube app retry tries again, rok kube app delete --force gives up on them", app.Spec.Shutdown().GraceTime, s.Attempts, lastError(s))}
		if why == "migration" {
			app.Status.Reason.Code = api.ReasonReconcileFailed
		}
		c.log.Info("application shutdown gave up", "app", key(app), "for", why, "calls", s.Attempts)
		return shutdownStuck, 0, c.writeShutdown(ctx, app)
	default:
		s.Outcome, s.Deadline = api.ShutdownTimedOut, nil
		c.log.Info("application shutdown timed out; removing its objects (strategy delete)", "app", key(app), "for", why, "calls", s.Attempts)
		return shutdownDone, 0, c.writeShutdown(ctx, app)
	}
}

func grace(app *api.Application) time.Duration {
	return time.Duration(app.Spec.Shutdown().GraceTime) * time.Second
}

func lastError(s *api.ShutdownStatus) string {
	if s.LastError == "" {
		return ""
	}
	return " (last call: " + s.LastError + ")"
}

func key(app *api.Application) string { return app.Metadata.Namespace + "/" + app.Metadata.Name }

// claimAndCall records the next call and its grace time first, then makes
// it: the write carries the app's resource_version, so a pass that read a
// stale copy (the cache not yet holding the last call) fails with a
// conflict instead of calling the workload twice. A call that fails
// counts too (the workload may be gone already); its error is recorded.
func (c *Controller) claimAndCall(ctx context.Context, app *api.Application, now time.Time) (shutdownStep, time.Duration, error) {
	s := app.Status.Shutdown
	s.Attempts++
	s.Deadline, s.LastError = api.NewTimePtr(now.Add(grace(app))), ""
	app.Status.State, app.Status.Reason = api.StateWaitingForCleaning, nil
	if err := c.writeShutdown(ctx, app); err != nil {
		return shutdownWaiting, 0, err
	}
	if failed := c.callShutdown(ctx, app); failed != "" {
		app.Status.Shutdown.LastError = failed
		if err := c.writeShutdown(ctx, app); err != nil {
			return shutdownWaiting, 0, err // e.g. the callback came first: the next pass sees it
		}
	}
	return shutdownWaiting, grace(app), nil
}

// callShutdown makes one call to the workload; it returns why it failed,
// or "".
func (c *Controller) callShutdown(ctx context.Context, app *api.Application) string {
	addr, ok := app.Status.Services[api.ShutdownServiceName]
	if !ok {
		return `the "shutdown" Service has no address`
	}
	failed := ""
	defer func() {
		c.log.Info("application shutdown called", "app", key(app), "address", addr, "call", app.Status.Shutdown.Attempts, "err", failed)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, "http://"+addr+"/shutdown", http.NoBody)
	if err != nil {
		failed = err.Error()
		return failed
	}
	resp, err := c.opts.ShutdownClient.Do(req)
	if err != nil {
		failed = err.Error()
		return failed
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		failed = "the workload answered " + resp.Status
	}
	return failed
}

func (c *Controller) writeShutdown(ctx context.Context, app *api.Application) error {
	updated, err := c.api.UpdateStatus(ctx, app)
	if err != nil {
		return ignoreNotFound(err)
	}
	*app = *updated
	return nil
}
