//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/e2e/framework"
)

// TestScheduling: label constraints pick the right cluster, an app no
// cluster can take waits with NO_SUITABLE_RESOURCE saying why, and an app
// never lands on another namespace's cluster.
func TestScheduling(t *testing.T) {
	kube := framework.StartKube(t, 2)
	krake := framework.StartKrake(t, "", "--probe-interval", "1s", "--reschedule-after", "1s")
	rok := newRok(t, krake.URL)
	manifest := filepath.Join(framework.ModuleRoot(t), "manifests/echo-demo/echo-demo.yaml")
	rok.must("kube", "cluster", "register", "-k", kube.Kubeconfigs[0], "-l", "location=DE", "--wait", "--timeout", "30s")
	rok.must("kube", "cluster", "register", "-k", kube.Kubeconfigs[1], "-l", "location=FR", "--wait", "--timeout", "30s")

	t.Run("label constraints pick the cluster", func(t *testing.T) {
		for _, tc := range []struct{ constraint, want string }{
			{"location=FR", "cluster-2"}, {"location in (DE, IT)", "cluster-1"}, {"location != DE", "cluster-2"},
		} {
			name := "app-" + strings.NewReplacer("=", "-", " ", "", "(", "", ")", "", ",", "-", "!", "not").Replace(strings.ToLower(tc.constraint))
			rok.must("kube", "app", "create", name, "-f", manifest, "-L", tc.constraint, "--wait", "--timeout", "30s")
			if got := rok.app(name).Status.RunningOn; got == nil || got.Name != tc.want {
				t.Errorf("%q: running on %v, want %s", tc.constraint, got, tc.want)
			}
		}
	})

	t.Run("metrics pick the higher-scoring cluster", func(t *testing.T) {
		// A real Prometheus scrapes an exporter the test serves on loopback.
		var heat1, heat2 atomic.Value
		heat1.Store("0.2")
		heat2.Store("0.9")
		exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "heat_zone_1 %s\nheat_zone_2 %s\n", heat1.Load(), heat2.Load())
		}))
		defer exporter.Close()
		prom := framework.StartPrometheus(t, exporter.Listener.Addr().String())
		rok.must("core", "gmp", "create", "prom", "--type", "prometheus", "--url", prom)
		for _, n := range []string{"1", "2"} {
			rok.must("core", "gm", "create", "heat-"+n, "--min", "0", "--max", "1", "--gmp-name", "prom", "--metric-name", "heat_zone_"+n)
			rok.must("kube", "cluster", "update", "cluster-"+n, "--global-metric", "heat-"+n, "1")
		}
		eventually(t, 30*time.Second, "Prometheus has scraped both zones", func() (bool, string) {
			out := rok.must("kube", "cluster", "get", "cluster-2", "-o", "jsonpath={.status.metric_values}")
			return strings.Contains(out, `"heat-2":0.9`), out
		})
		rok.must("kube", "app", "create", "green", "-f", manifest, "--wait", "--timeout", "30s")
		if got := rok.app("green").Status.RunningOn; got == nil || got.Name != "cluster-2" {
			t.Errorf("green runs on %v, want cluster-2 (heat 0.9 against 0.2)", got)
		}
		// A changed metric moves the running app within a reschedule period,
		// and it never has zero ready copies on the way.
		mover := filepath.Join(t.TempDir(), "mover.yaml")
		if err := os.WriteFile(mover, []byte(strings.ReplaceAll(echoWithConfig, "echo-", "mover-")), 0o644); err != nil {
			t.Fatal(err)
		}
		rok.must("kube", "app", "create", "mover", "-f", mover, "--wait", "--timeout", "30s")
		if got := rok.app("mover").Status.RunningOn; got == nil || got.Name != "cluster-2" {
			t.Fatalf("mover runs on %v, want cluster-2", got)
		}
		heat1.Store("0.95")
		heat2.Store("0.1")
		// ready is the Deployment's ready replicas, -1 when kubectl failed
		// (a probe failure is not downtime).
		ready := func(kc string) int {
			out, err := execKubectl(kube, kc, "get", "deployment", "mover-demo", "--ignore-not-found", "-o", "jsonpath={.status.readyReplicas}")
			if err != nil {
				return -1
			}
			n := 0
			fmt.Sscan(out, &n)
			return n
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			app := rok.app("mover")
			if app.Status.State == api.StateRunning && app.Status.RunningOn != nil && app.Status.RunningOn.Name == "cluster-1" {
				break
			}
			// The old copy (cluster-2) is read first: it goes only after the new
			// one is ready, so if it is gone the new one, read after, is ready.
			old := ready(kube.Kubeconfigs[1])
			cur := ready(kube.Kubeconfigs[0])
			if old == 0 && cur == 0 {
				t.Fatalf("mover had no ready copy during the migration (state %s)", app.Status.State)
			}
			if time.Now().After(deadline) {
				t.Fatalf("mover did not migrate to cluster-1 within 30s: %s on %v", app.Status.State, app.Status.RunningOn)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if n := ready(kube.Kubeconfigs[1]); n != 0 {
			t.Errorf("the old copy on cluster-2 still has %d ready pods after the migration", n)
		}
		if got := rok.app("mover").Metadata.Owners; len(got) != 1 || got[0].Name != "cluster-1" {
			t.Errorf("owners after the migration = %v, want cluster-1 only", got)
		}
		rok.must("kube", "app", "create", "green-again", "-f", manifest, "--wait", "--timeout", "30s")
		if got := rok.app("green-again").Status.RunningOn; got == nil || got.Name != "cluster-1" {
			t.Errorf("after the values changed, green-again runs on %v, want cluster-1", got)
		}
		// Explain says why, with the values the scheduler fetched.
		var e placement.Explanation
		eventually(t, 15*time.Second, "explain green-again with both clusters' heat", func() (bool, string) {
			out := rok.must("kube", "app", "explain", "green-again", "-o", "json")
			if err := json.Unmarshal([]byte(out), &e); err != nil {
				return false, err.Error()
			}
			return e.Chosen == "cluster-1" && len(e.Clusters) == 2 && e.Clusters[1].Score != nil && len(e.Clusters[1].Score.Parts) == 1 &&
				e.Clusters[1].Score.Parts[0].Value == 0.1, out
		})
	})

	t.Run("no suitable cluster says why", func(t *testing.T) {
		rok.must("kube", "app", "create", "nowhere", "-f", manifest, "-L", "location in (IT, ES)")
		eventually(t, 20*time.Second, "NO_SUITABLE_RESOURCE with each cluster's reason", func() (bool, string) {
			app := rok.app("nowhere")
			if app.Status.Reason == nil {
				return false, app.Status.State
			}
			msg := app.Status.Reason.Message
			return app.Status.Reason.Code == api.ReasonNoSuitableResource && app.Status.ScheduledTo == nil &&
				strings.Contains(msg, "cluster-1: label location: cluster has DE, constraint wants in (IT, ES)") &&
				strings.Contains(msg, "cluster-2: label location: cluster has FR"), msg
		})
	})

	t.Run("back-off: DEGRADED while retries remain, FAILED when spent, retry starts over", func(t *testing.T) {
		rok.must("kube", "app", "create", "picky", "-f", manifest, "-L", "location=IT", "--backoff_limit", "3", "--backoff_delay", "0.2")
		eventually(t, 20*time.Second, "picky FAILED after 3 retries", func() (bool, string) {
			app := rok.app("picky")
			return app.Status.State == api.StateFailed && app.Status.Retries == 3, fmt.Sprintf("%s after %d", app.Status.State, app.Status.Retries)
		})
		rok.must("kube", "app", "update", "picky", "--remove-existing-label-constraints", "-L", "location=DE")
		rok.must("kube", "app", "retry", "picky")
		eventually(t, 30*time.Second, "picky RUNNING on cluster-1 after the retry", func() (bool, string) {
			app := rok.app("picky")
			on := ""
			if app.Status.RunningOn != nil {
				on = app.Status.RunningOn.Name
			}
			return app.Status.State == api.StateRunning && on == "cluster-1" && app.Status.Retries == 0, app.Status.State + " on " + on
		})
	})

	t.Run("retry during a long back-off tries again at once", func(t *testing.T) {
		rok.must("kube", "app", "create", "patient", "-f", manifest, "-L", "location=IT", "--backoff_delay", "120")
		eventually(t, 20*time.Second, "patient DEGRADED after its first attempt", func() (bool, string) {
			app := rok.app("patient")
			return app.Status.State == api.StateDegraded && app.Status.Retries == 1, app.Status.State
		})
		// The next attempt is two minutes away; the retry must not wait for it.
		rok.must("kube", "app", "retry", "patient")
		eventually(t, 10*time.Second, "patient tried again after the retry: DEGRADED with its reason", func() (bool, string) {
			app := rok.app("patient")
			return app.Status.State == api.StateDegraded && app.Status.Reason != nil && app.Status.Retries == 1,
				fmt.Sprintf("%s, reason %v, retries %d", app.Status.State, app.Status.Reason, app.Status.Retries)
		})
	})

	t.Run("an unreachable provider takes the cluster out of the race", func(t *testing.T) {
		rok.must("core", "gmp", "create", "dead-prom", "--type", "prometheus", "--url", "http://127.0.0.1:1")
		rok.must("core", "gm", "create", "latency", "--min", "0", "--max", "1", "--gmp-name", "dead-prom")
		rok.must("kube", "cluster", "update", "cluster-2", "--global-metric", "latency", "1")
		var reason api.Reason
		eventually(t, 20*time.Second, "cluster-2 FAILING_METRICS with the metric's reason", func() (bool, string) {
			var cl api.Cluster
			if err := json.Unmarshal([]byte(rok.must("kube", "cluster", "get", "cluster-2", "-o", "json")), &cl); err != nil {
				return false, err.Error()
			}
			reason = cl.Status.MetricsReasons["latency"]
			return cl.Status.State == api.StateFailingMetrics && reason.Code == api.ReasonUnreachableMetricsProvider, cl.Status.State
		})
		if !strings.Contains(reason.Message, "unreachable") {
			t.Errorf("metrics_reasons[latency] = %+v", reason)
		}
		rok.must("kube", "app", "create", "only-fr", "-f", manifest, "-L", "location=FR")
		eventually(t, 20*time.Second, "only-fr waits: its only cluster is FAILING_METRICS", func() (bool, string) {
			app := rok.app("only-fr")
			if app.Status.Reason == nil {
				return false, app.Status.State
			}
			return app.Status.Reason.Code == api.ReasonNoSuitableResource && strings.Contains(app.Status.Reason.Message, "cluster-2: cluster is FAILING_METRICS"), app.Status.Reason.Message
		})
		rok.must("kube", "cluster", "update", "cluster-2", "--remove-existing-metrics", "--global-metric", "heat-2", "1")
		eventually(t, 20*time.Second, "cluster-2 ONLINE again and only-fr RUNNING there", func() (bool, string) {
			app := rok.app("only-fr")
			state := strings.TrimSpace(rok.must("kube", "cluster", "get", "cluster-2", "-o", "jsonpath={.status.state}"))
			return state == api.StateOnline && app.Status.State == api.StateRunning, state + "/" + app.Status.State
		})
	})

	t.Run("an app never lands on another namespace's cluster", func(t *testing.T) {
		cmd := exec.Command(filepath.Join(framework.Binaries(t), "rok"), "kube", "app", "create", "lonely", "-f", manifest, "-n", "tenant-b")
		cmd.Env = append(os.Environ(), "ROK_API_URL="+krake.URL, "XDG_CONFIG_HOME="+t.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("create in tenant-b: %v\n%s", err, out)
		}
		time.Sleep(2 * time.Second)
		get := exec.Command(filepath.Join(framework.Binaries(t), "rok"), "kube", "app", "get", "lonely", "-n", "tenant-b", "-o", "jsonpath={.status.scheduled_to} {.status.reason.message}")
		get.Env = cmd.Env
		out, err := get.Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(out), "null ") || !strings.Contains(string(out), "no cluster in the namespace") {
			t.Errorf("tenant-b's app: %q, want unscheduled with no cluster in its namespace", out)
		}
	})
}
