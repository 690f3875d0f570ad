//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// rokRunner runs the rok binary against one Krake.
type rokRunner struct {
	t   *testing.T
	url string
	cfg string
}

func newRok(t *testing.T, url string) *rokRunner {
	return &rokRunner{t: t, url: url, cfg: t.TempDir()}
}

func (r *rokRunner) run(args ...string) (string, string, error) {
	r.t.Helper()
	cmd := exec.Command(filepath.Join(framework.Binaries(r.t), "rok"), args...)
	cmd.Env = append(os.Environ(), "ROK_API_URL="+r.url, "ROK_NAMESPACE=walk", "XDG_CONFIG_HOME="+r.cfg)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	return string(out), stderr.String(), err
}

func (r *rokRunner) must(args ...string) string {
	r.t.Helper()
	out, stderr, err := r.run(args...)
	if err != nil {
		r.t.Fatalf("rok %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func (r *rokRunner) app(name string) api.Application {
	r.t.Helper()
	var app api.Application
	if err := json.Unmarshal([]byte(r.must("kube", "app", "get", name, "-o", "json")), &app); err != nil {
		r.t.Fatal(err)
	}
	return app
}

// TestWalkthrough is the original README's journey, with rok, against
// real clusters: register two clusters, create echo-demo, see it RUNNING
// with a service address, find it on the cluster with kubectl, delete it
// and the clusters.
func TestWalkthrough(t *testing.T) {
	kube := framework.StartKube(t, 2)
	krake := framework.StartKrake(t, "", "--probe-interval", "1s", "--resync", "2s")
	rok := newRok(t, krake.URL)
	root := framework.ModuleRoot(t)

	if out := rok.must("kube", "cluster", "list", "--no-headers"); strings.TrimSpace(out) != "" {
		t.Fatalf("cluster list is not empty at the start:\n%s", out)
	}
	for _, kc := range kube.Kubeconfigs {
		out := rok.must("kube", "cluster", "register", "-k", kc, "--wait", "--timeout", "30s", "-o", "jsonpath={.status.state}")
		if strings.TrimSpace(out) != api.StateOnline {
			t.Fatalf("registered cluster is %q, want ONLINE", out)
		}
	}
	// Follow echo-demo's states through the API as a client would.
	c, err := client.New(krake.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.Applications("walk").List(t.Context(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	watchCtx, stopWatch := context.WithCancel(t.Context())
	defer stopWatch()
	states := make(chan string, 100)
	go func() {
		defer close(states)
		last := ""
		for ev := range c.Applications("walk").Watch(watchCtx, client.WatchOptions{ResourceVersion: list.Metadata.ResourceVersion}) {
			if ev.Err != nil {
				return
			}
			st := ev.Object.Status.State
			if ev.Type == api.Deleted {
				st = "(removed)"
			}
			if st != last {
				states <- st
				last = st
			}
		}
	}()

	start := time.Now()
	out := rok.must("kube", "app", "create", "echo-demo", "-f", filepath.Join(root, "manifests/echo-demo/echo-demo.yaml"),
		"--wait", "--timeout", "30s", "-o", "json")
	var app api.Application
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatal(err)
	}
	t.Logf("echo-demo RUNNING %s after create", time.Since(start).Round(time.Millisecond))
	if app.Status.State != api.StateRunning || app.Status.RunningOn == nil {
		t.Fatalf("echo-demo is %s on %v, want RUNNING on a cluster", app.Status.State, app.Status.RunningOn)
	}
	if addr := app.Status.Services["echo-demo"]; !regexp.MustCompile(`^127\.0\.0\.1:\d+$`).MatchString(addr) {
		t.Errorf("services = %v, want echo-demo at 127.0.0.1:<nodePort>", app.Status.Services)
	}
	clusterKC := map[string]string{}
	for i, kc := range kube.Kubeconfigs {
		clusterKC[[]string{"cluster-1", "cluster-2"}[i]] = kc
	}
	kc := clusterKC[app.Status.RunningOn.Name]
	if got := kubectl(t, kube, kc, "get", "deployment,service", "echo-demo", "-o", "name"); !strings.Contains(got, "deployment.apps/echo-demo") || !strings.Contains(got, "service/echo-demo") {
		t.Errorf("kubectl on %s shows %q, want the Deployment and the Service", app.Status.RunningOn.Name, got)
	}
	table := rok.must("kube", "app", "list", "-o", "wide")
	if !strings.Contains(table, "RUNNING") || !strings.Contains(table, app.Status.Services["echo-demo"]) {
		t.Errorf("rok kube app list -o wide lacks the state or the service:\n%s", table)
	}

	rok.must("kube", "app", "delete", "echo-demo", "--wait", "--timeout", "30s")
	if _, stderr, err := rok.run("kube", "app", "get", "echo-demo"); err == nil || !strings.Contains(stderr, "not found") {
		t.Errorf("echo-demo still exists after delete --wait: %v %s", err, stderr)
	}
	if got, _ := exec.Command(kube.Kubectl, "--kubeconfig", kc, "get", "deployment,service", "echo-demo", "-o", "name", "--ignore-not-found").Output(); strings.TrimSpace(string(got)) != "" {
		t.Errorf("kubectl still shows %q after the delete", got)
	}
	stopWatch()
	var seen []string
	for st := range states {
		seen = append(seen, st)
	}
	want := []string{api.StatePending, api.StateCreating, api.StateRunning, api.StateDeleting, "(removed)"}
	if !slices.Equal(seen, want) {
		t.Errorf("echo-demo went through %v, want %v", seen, want)
	}
	for _, name := range []string{"cluster-1", "cluster-2"} {
		rok.must("kube", "cluster", "delete", name, "--wait", "--timeout", "30s")
	}
	if out := rok.must("kube", "cluster", "list", "--no-headers"); strings.TrimSpace(out) != "" {
		t.Errorf("cluster list is not empty at the end:\n%s", out)
	}
}
