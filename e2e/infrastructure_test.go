//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// kwokCluster is the example template with the node count set.
func kwokCluster(nodes int) string {
	return `tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  inputs: {nodes: {type: integer, default: ` + strconv.Itoa(nodes) + `}}
  node_templates:
    workers: {type: tosca.nodes.Compute, capabilities: {scalable: {properties: {count: {get_input: nodes}}}}}
`
}

// kwokPIDs reads the PIDs of a kwok cluster's processes from its state
// directory (kube-testenv's PID files: "PID BINARY").
func kwokPIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "pids", "*.pid"))
	pids := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if pid, err := strconv.Atoi(strings.Fields(string(data) + " x")[0]); err == nil {
			pids[strings.TrimSuffix(filepath.Base(f), ".pid")] = pid
		}
	}
	return pids
}

// TestInfrastructure: Krake creates a real cluster on a kwok cloud, puts
// an app on it, scales it when its template changes, reports a provider
// failure and recovers from it, and on delete removes the app, then the
// cluster's processes, then the record.
func TestInfrastructure(t *testing.T) {
	root := framework.ModuleRoot(t)
	script := framework.TestenvScript(t)
	kwokDir := framework.ShortTempDir(t)
	// Registered before Krake starts, so it runs after Krake stopped:
	// whatever cluster the provider left is stopped by its PID files.
	t.Cleanup(func() {
		dirs, _ := os.ReadDir(kwokDir)
		for _, d := range dirs {
			cmd := exec.Command(script, "down")
			cmd.Env = append(os.Environ(), "KUBE_TESTENV_DIR="+filepath.Join(kwokDir, d.Name()))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Logf("stopping kwok cluster %s: %v\n%s", d.Name(), err, out)
			}
		}
	})
	krake := framework.StartKrake(t, "", "--probe-interval", "1s", "--resync", "2s", "--infra-poll-interval", "2s",
		"--kwok-testenv", script, "--kwok-dir", kwokDir,
		"--auto-cluster-template", filepath.Join(root, "manifests", "infrastructure", "kwok-cluster.yaml"), "--auto-cluster-retention", "5s")
	rok := newRok(t, krake.URL)
	// Every state each cluster passes through, from a watch (no sampling).
	c, err := client.New(krake.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	transitions := map[string][]string{}
	watchCtx, stopWatch := context.WithCancel(t.Context())
	defer stopWatch()
	go func() {
		for ev := range c.Clusters("walk").Watch(watchCtx, client.WatchOptions{}) {
			if ev.Err != nil {
				continue
			}
			st := ev.Object.Status.State
			if ev.Type == api.Deleted {
				st = "(removed)"
			}
			mu.Lock()
			seq := transitions[ev.Object.Metadata.Name]
			if len(seq) == 0 || seq[len(seq)-1] != st {
				transitions[ev.Object.Metadata.Name] = append(seq, st)
			}
			mu.Unlock()
		}
	}()
	passedThrough := func(name string, want ...string) {
		t.Helper()
		mu.Lock()
		seq := slices.Clone(transitions[name])
		mu.Unlock()
		i := 0
		for _, st := range seq {
			if i < len(want) && st == want[i] {
				i++
			}
		}
		if i < len(want) {
			t.Errorf("cluster %s went %v; want %v in that order", name, seq, want)
		}
	}
	cluster := func(name string) api.Cluster {
		t.Helper()
		var cl api.Cluster
		if err := json.Unmarshal([]byte(rok.must("kube", "cluster", "get", name, "-o", "json")), &cl); err != nil {
			t.Fatal(err)
		}
		return cl
	}
	stateOf := func(name string) (api.Cluster, string) {
		cl := cluster(name)
		reason := ""
		if cl.Status.Reason != nil {
			reason = ": " + cl.Status.Reason.Message
		}
		return cl, cl.Status.State + reason
	}

	// A kwok provider and two clouds, one with a metric.
	rok.must("core", "gmp", "create", "infra-static", "--type", "static", "-m", "green", "0.9")
	rok.must("core", "gm", "create", "green", "--min", "0", "--max", "1", "--gmp-name", "infra-static")
	rok.must("infra", "globalprovider", "register", "kwok", "--type", "kwok")
	rok.must("infra", "globalcloud", "register", "here", "--type", "kwok", "--global-infra-provider", "kwok",
		"-l", "location=DE", "--global-metric", "green", "1")
	rok.must("infra", "globalcloud", "register", "there", "--type", "kwok", "--global-infra-provider", "kwok", "-l", "location=FR")
	// A cloud whose metric has no provider: FAILING_METRICS once weighed.
	rok.must("core", "gm", "create", "dead", "--min", "0", "--max", "1", "--gmp-name", "nowhere")
	rok.must("infra", "globalcloud", "register", "broken", "--type", "kwok", "--global-infra-provider", "kwok",
		"-l", "location=DE", "--global-metric", "dead", "1")

	// Create: placed on the DE cloud, CREATING, then ONLINE with its nodes
	// and the cloud's label.
	rok.must("kube", "cluster", "create", "lab", "-f", writeManifest(t, "lab.yaml", kwokCluster(2)),
		"-L", "location=DE", "--inherit-labels")
	eventually(t, 4*time.Minute, "cluster lab ONLINE", func() (bool, string) {
		cl, state := stateOf("lab")
		return cl.Status.State == api.StateOnline, state
	})
	passedThrough("lab", api.StatePending, api.StateCreating, api.StateConnecting, api.StateOnline)
	lab := cluster("lab")
	if ref := lab.Status.RunningOn; ref == nil || ref.Kind != "GlobalCloud" || ref.Name != "here" {
		t.Fatalf("lab runs on %+v, want GlobalCloud here", ref)
	}
	if lab.Status.ClusterID == nil || len(lab.Status.Nodes) != 2 || lab.Metadata.Labels["location"] != "DE" {
		t.Fatalf("lab: cluster_id %v, %d nodes, labels %v; want an id, 2 nodes, location=DE inherited",
			lab.Status.ClusterID, len(lab.Status.Nodes), lab.Metadata.Labels)
	}
	var broken api.Cloud
	if err := json.Unmarshal([]byte(rok.must("infra", "globalcloud", "get", "broken", "-o", "json")), &broken); err != nil {
		t.Fatal(err)
	}
	if broken.Status.State != api.StateFailingMetrics || broken.Status.MetricsReasons["dead"].Code != api.ReasonUnknownMetricsProvider {
		t.Errorf("cloud broken: %s %v, want FAILING_METRICS with dead's UNKNOWN_METRICS_PROVIDER", broken.Status.State, broken.Status.MetricsReasons)
	}
	explain := rok.must("kube", "cluster", "explain", "lab")
	if !strings.Contains(explain, "here (global)") || !strings.Contains(explain, "rejected (labels)") {
		t.Errorf("cluster explain:\n%s", explain)
	}
	envDir := filepath.Join(kwokDir, *lab.Status.ClusterID)
	pids := kwokPIDs(t, envDir)
	if len(pids) < 4 {
		t.Fatalf("kwok cluster processes: %v", pids)
	}
	for name, pid := range pids {
		if !alive(pid) {
			t.Fatalf("%s (pid %d) of the created cluster does not run", name, pid)
		}
	}
	// The kubeconfig Krake wrote is the real cluster's.
	server, _ := lab.Spec.Kubeconfig["clusters"].([]any)[0].(map[string]any)["cluster"].(map[string]any)["server"].(string)
	if !strings.HasPrefix(server, "https://127.0.0.1:") {
		t.Fatalf("kubeconfig server %q", server)
	}

	// An app lands on it (the label it inherited).
	rok.must("kube", "app", "create", "echo-demo", "-f", filepath.Join(root, "manifests", "echo-demo", "echo-demo.yaml"),
		"-L", "location=DE", "--wait", "--timeout", "90s")
	if app := rok.app("echo-demo"); app.Status.RunningOn == nil || app.Status.RunningOn.Name != "lab" {
		t.Fatalf("echo-demo runs on %+v, want lab", app.Status.RunningOn)
	}
	kubeconfig := filepath.Join(envDir, "kubeconfigs", "kwok-1.kubeconfig")
	kubectlBin := framework.TestenvBin(t, "kubectl")
	kc := func(args ...string) string {
		out, err := exec.Command(kubectlBin, append([]string{"--kubeconfig", kubeconfig}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if out := kc("get", "deployment", "echo-demo", "-o", "name"); !strings.Contains(out, "echo-demo") {
		t.Fatalf("echo-demo is not on the created cluster: %s", out)
	}

	// A changed template scales it: RECONCILING, then ONLINE with 3 nodes.
	rok.must("kube", "cluster", "update", "lab", "-f", writeManifest(t, "lab3.yaml", kwokCluster(3)))
	eventually(t, 2*time.Minute, "lab with 3 nodes", func() (bool, string) {
		cl, state := stateOf("lab")
		return cl.Status.State == api.StateOnline && len(cl.Status.Nodes) == 3, state + " nodes " + strconv.Itoa(len(cl.Status.Nodes))
	})

	// A template the provider cannot build: FAILING_RECONCILIATION with the
	// reason, the cluster itself untouched; the fix brings it back.
	rok.must("kube", "cluster", "update", "lab", "-f", writeManifest(t, "lab99.yaml", kwokCluster(99)))
	eventually(t, time.Minute, "lab FAILING_RECONCILIATION", func() (bool, string) {
		cl, state := stateOf("lab")
		return cl.Status.State == api.StateFailingReconciliation && cl.Status.Reason != nil &&
			strings.Contains(cl.Status.Reason.Message, "1 to 50 nodes"), state
	})
	for name, pid := range pids {
		if !alive(pid) {
			t.Fatalf("a template the provider refused stopped %s (pid %d)", name, pid)
		}
	}
	rok.must("kube", "cluster", "update", "lab", "-f", writeManifest(t, "lab2.yaml", kwokCluster(2)))
	eventually(t, 2*time.Minute, "lab back ONLINE with 2 nodes", func() (bool, string) {
		cl, state := stateOf("lab")
		return cl.Status.State == api.StateOnline && len(cl.Status.Nodes) == 2, state + " nodes " + strconv.Itoa(len(cl.Status.Nodes))
	})
	passedThrough("lab", api.StateCreating, api.StateOnline, api.StateReconciling, api.StateOnline,
		api.StateReconciling, api.StateFailingReconciliation, api.StateReconciling, api.StateOnline)

	// A cluster no provider can create is FAILED with why, and deletes.
	rok.must("kube", "cluster", "create", "empty", "-f", writeManifest(t, "empty.yaml", kwokCluster(0)), "-L", "location=DE")
	eventually(t, time.Minute, "cluster empty FAILED", func() (bool, string) {
		cl, state := stateOf("empty")
		return cl.Status.State == api.StateFailed && cl.Status.Reason != nil && cl.Status.Reason.Code == api.ReasonInvalidResource, state
	})
	rok.must("kube", "cluster", "delete", "empty")
	eventually(t, 30*time.Second, "cluster empty gone", func() (bool, string) {
		_, _, err := rok.run("kube", "cluster", "get", "empty")
		return err != nil, "still there"
	})

	// Delete: the app goes first (from the running cluster), then the
	// cluster's processes, then the record.
	rok.must("kube", "cluster", "delete", "lab")
	eventually(t, 2*time.Minute, "cluster lab gone", func() (bool, string) {
		_, _, err := rok.run("kube", "cluster", "get", "lab")
		return err != nil, "still there"
	})
	if _, _, err := rok.run("kube", "app", "get", "echo-demo"); err == nil {
		t.Errorf("echo-demo outlived its cluster")
	}
	passedThrough("lab", api.StateOnline, api.StateDeleting, "(removed)")
	passedThrough("empty", api.StateFailed, "(removed)")
	for name, pid := range pids {
		if alive(pid) {
			t.Errorf("%s (pid %d) of the deleted cluster still runs", name, pid)
		}
	}
	if _, err := os.Stat(envDir); !os.IsNotExist(err) {
		t.Errorf("the deleted cluster's directory %s is still there (%v)", envDir, err)
	}
	log := krake.Output()
	appGone := strings.Index(log, "application removed from its cluster")
	infraGone := strings.Index(log, "cluster infrastructure deleted")
	if appGone < 0 || infraGone < 0 || appGone > infraGone {
		t.Errorf("the app was not removed before the infrastructure (log positions %d, %d)", appGone, infraGone)
	}

	// No cluster left: an app with --auto-cluster-create gets one made on
	// the cloud its constraints allow, waits for it, and runs there; once
	// the app is gone the made cluster goes after the retention.
	rok.must("kube", "app", "create", "auto-echo", "-f", filepath.Join(root, "manifests", "echo-demo", "echo-demo.yaml"),
		"-L", "location=DE", "--auto-cluster-create")
	var madeName string
	waited := false
	eventually(t, 4*time.Minute, "auto-echo RUNNING on a made cluster", func() (bool, string) {
		app := rok.app("auto-echo")
		if app.Status.State == api.StateWaitingForClusterCreation && app.Status.AutoClusterCreateStarted != nil {
			waited, madeName = true, *app.Status.AutoClusterCreateStarted
		}
		return app.Status.State == api.StateRunning && app.Status.RunningOn != nil, app.Status.State
	})
	made := cluster(madeName)
	if !waited || !made.Spec.AutoGenerated || made.Status.RunningOn == nil || made.Status.RunningOn.Name != "here" ||
		rok.app("auto-echo").Status.RunningOn.Name != madeName {
		t.Fatalf("waited %v; made cluster %q auto_generated %v on %+v; app on %+v", waited, madeName, made.Spec.AutoGenerated,
			made.Status.RunningOn, rok.app("auto-echo").Status.RunningOn)
	}
	if clusters := rok.must("kube", "cluster", "list", "-o", "name"); strings.Count(clusters, "\n") != 1 {
		t.Errorf("one app made more than one cluster:\n%s", clusters)
	}
	madePIDs := kwokPIDs(t, filepath.Join(kwokDir, *made.Status.ClusterID))
	rok.must("kube", "app", "delete", "auto-echo")
	eventually(t, 2*time.Minute, "the made cluster deleted after the retention", func() (bool, string) {
		_, _, err := rok.run("kube", "cluster", "get", madeName)
		return err != nil, "still there"
	})
	for name, pid := range madePIDs {
		if alive(pid) {
			t.Errorf("%s (pid %d) of the made cluster still runs", name, pid)
		}
	}
	log = krake.Output()
	for _, secret := range []string{"client-key-data", "BEGIN RSA PRIVATE KEY", "BEGIN EC PRIVATE KEY"} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
