//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/e2e/framework"
)

// TestRescheduling: on real clusters, with the metric values changed
// through a static provider, a running app is weighed again one
// reschedule_after after it settled, not before (its own label change in
// between does not bring that forward): a cluster better by more than
// stickiness takes it then; a cluster better by less than stickiness
// never does.
func TestRescheduling(t *testing.T) {
	const period = 8 * time.Second
	kube := framework.StartKube(t, 2)
	krake := framework.StartKrake(t, "", "--probe-interval", "1s", "--reschedule-after", period.String())
	rok := newRok(t, krake.URL)
	manifest := filepath.Join(framework.ModuleRoot(t), "manifests/echo-demo/echo-demo.yaml")
	// cluster-1 is weighed by level-1, cluster-2 by level-2: one static
	// provider holds both values.
	rok.must("core", "gmp", "create", "levels", "--type", "static", "-m", "level-1", "0.9", "-m", "level-2", "0.2")
	for i, kc := range kube.Kubeconfigs {
		metric := fmt.Sprintf("level-%d", i+1)
		rok.must("core", "gm", "create", metric, "--min", "0", "--max", "1", "--gmp-name", "levels")
		rok.must("kube", "cluster", "register", "-k", kc, "--global-metric", metric, "1", "--wait", "--timeout", "30s")
	}
	rok.must("kube", "app", "create", "mover", "-f", manifest, "--wait", "--timeout", "60s")
	settled := time.Now() // the scheduler saw RUNNING no later than this
	if on := rok.app("mover").Status.RunningOn; on == nil || on.Name != "cluster-1" {
		t.Fatalf("mover runs on %v, want cluster-1 (0.9 against 0.2)", on)
	}
	scheduledTo := func() string {
		app := rok.app("mover")
		if app.Status.ScheduledTo == nil {
			return ""
		}
		return app.Status.ScheduledTo.Name
	}

	// cluster-2 becomes better by far more than stickiness (0.1) holds.
	rok.must("core", "gmp", "update", "levels", "-m", "level-1", "0.2", "-m", "level-2", "0.9")
	rok.must("kube", "app", "update", "mover", "-l", "tier=gold") // an app event, not a reason to move
	// Settling happened at most a moment before `settled`, so no re-bind
	// may come before settled + period minus a margin for that moment.
	for time.Since(settled) < period-2*time.Second {
		if got := scheduledTo(); got != "cluster-1" {
			t.Fatalf("mover re-bound to %s %s after it settled, before reschedule_after (%s)", got, time.Since(settled).Round(100*time.Millisecond), period)
		}
		time.Sleep(200 * time.Millisecond)
	}
	eventually(t, period+30*time.Second, "mover RUNNING on cluster-2 after one reschedule_after", func() (bool, string) {
		app := rok.app("mover")
		on := ""
		if app.Status.RunningOn != nil {
			on = app.Status.RunningOn.Name
		}
		return app.Status.State == api.StateRunning && on == "cluster-2", app.Status.State + " on " + on
	})

	// cluster-1 becomes better again, but by less than stickiness:
	// (0.95) / 1.1 = 0.864 against (0.9 + 0.1) / 1.1 = 0.909 for staying.
	rok.must("core", "gmp", "update", "levels", "-m", "level-1", "0.95", "-m", "level-2", "0.9")
	for end := time.Now().Add(3 * period); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if got := scheduledTo(); got != "cluster-2" {
			t.Fatalf("mover moved to %s although the margin is within stickiness", got)
		}
	}
	// Explain shows why it stays: the "runs here" term on cluster-2.
	out := rok.must("kube", "app", "explain", "mover")
	for _, want := range []string{"cluster-2", "chosen", "stickiness 1×0.1 (runs here)"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
}
