package application

import (
	"fmt"
	"strings"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
)

// migrating reports a re-bound app: it runs on one cluster and is bound
// to another.
func migrating(app *api.Application) bool {
	on, to := app.Status.RunningOn, app.Status.ScheduledTo
	return on != nil && to != nil && (on.Namespace != to.Namespace || on.Name != to.Name)
}

// stateBeforeApply: a new app is CREATING, a running one whose manifest
// changed is RECONCILING; any other state stays until the apply decides,
// so a failing pass writes nothing and cannot spin on its own events.
func stateBeforeApply(app *api.Application) string {
	applied := len(app.Status.LastAppliedManifest) > 0
	if migrating(app) {
		return api.StateMigrating
	}
	switch st := app.Status.State; {
	case st == api.StatePending, st == api.StateDegraded && !applied:
		// New, or waiting for a cluster until now (the scheduler's back-off).
		return api.StateCreating
	case st == api.StateFailed && !sameManifest(app.Spec.Manifest, app.Status.FailedManifest):
		// The user changed the manifest after a failure: start over.
		if applied {
			return api.StateReconciling
		}
		return api.StateCreating
	case (st == api.StateRunning || st == api.StateDegraded) && applied &&
		!sameManifest(app.Spec.Manifest, app.Status.LastAppliedManifest):
		return api.StateReconciling
	default:
		return st
	}
}

// stateAfterApply decides the state from what the apply found: FAILED
// when a run-to-completion workload failed, COMPLETED when the app runs
// only such workloads and all have finished, else as stateFor says of the
// workloads that run until stopped.
func stateAfterApply(previous string, found applyResult) (string, *api.Reason) {
	b := found.batch
	switch {
	case len(b.failed) > 0:
		return api.StateFailed, &api.Reason{Code: api.ReasonKubernetesError, Message: strings.Join(b.failed, "; ")}
	case b.workloads > 0 && found.serving.desired == 0 && b.finished == b.workloads:
		return api.StateCompleted, nil
	}
	return stateFor(previous, api.ContainerHealth{DesiredPods: found.serving.desired, RunningPods: found.serving.ready})
}

// stateFor decides the state once every object is applied: RUNNING when
// the workloads' pods are ready; until then an app being created or
// reconciled keeps that state, and one that ran is DEGRADED.
func stateFor(previous string, health api.ContainerHealth) (string, *api.Reason) {
	if health.RunningPods >= health.DesiredPods {
		return api.StateRunning, nil
	}
	msg := fmt.Sprintf("%d of %d pods ready", health.RunningPods, health.DesiredPods)
	switch previous {
	case api.StateCreating, api.StateReconciling, api.StateMigrating:
		return previous, nil
	}
	return api.StateDegraded, &api.Reason{Code: api.ReasonKubernetesError, Message: msg}
}

func sameManifest(a, b []api.RawObject) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func statusEqual(a, b api.ApplicationStatus) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
