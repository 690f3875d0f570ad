//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/e2e/framework"
)

const crontabCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: crontabs.stable.example.com}
spec:
  group: stable.example.com
  scope: Namespaced
  names: {plural: crontabs, singular: crontab, kind: CronTab}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec: {type: string}
`

// TestControllersAlone runs the controllers as their own process against
// an API-only krakectl (as when they scale apart), and deploys a custom
// resource the cluster serves through a CRD.
func TestControllersAlone(t *testing.T) {
	kube := framework.StartKube(t, 1)
	krake := framework.StartKrake(t, "", "--controllers=")
	ctrl := framework.Start(t, "krakectl", "controller", "cluster", "application", "scheduler", "gc",
		"--api-url", krake.URL, "--probe-interval", "1s")
	rok := newRok(t, krake.URL)
	kc := kube.Kubeconfigs[0]

	crd := filepath.Join(t.TempDir(), "crd.yaml")
	if err := os.WriteFile(crd, []byte(crontabCRD), 0o644); err != nil {
		t.Fatal(err)
	}
	kubectl(t, kube, kc, "apply", "-f", crd)
	kubectl(t, kube, kc, "wait", "--for", "condition=Established", "crd/crontabs.stable.example.com", "--timeout", "30s")

	rok.must("kube", "cluster", "register", "-k", kc, "-R", "crontabs.stable.example.com", "--wait", "--timeout", "30s")
	manifest := filepath.Join(t.TempDir(), "cron.yaml")
	if err := os.WriteFile(manifest, []byte("apiVersion: stable.example.com/v1\nkind: CronTab\nmetadata: {name: nightly}\nspec: {cronSpec: '0 3 * * *'}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := rok.must("kube", "app", "create", "cron", "-f", manifest, "-R", "crontabs.stable.example.com",
		"--wait", "--timeout", "30s", "-o", "jsonpath={.status.state}")
	if strings.TrimSpace(out) != api.StateRunning {
		t.Fatalf("cron is %q, want RUNNING", out)
	}
	if got := kubectl(t, kube, kc, "get", "crontab", "nightly", "-o", "jsonpath={.spec.cronSpec}"); got != "0 3 * * *" {
		t.Errorf("the CronTab on the cluster has cronSpec %q", got)
	}
	rok.must("kube", "app", "delete", "cron", "--wait", "--timeout", "30s")
	eventually(t, 20*time.Second, "the CronTab leaves the cluster", func() (bool, string) {
		out, err := execKubectl(kube, kc, "get", "crontab", "nightly", "--ignore-not-found", "-o", "name")
		return err == nil && out == "", out
	})
	// A node nobody keeps Ready (kwok manages only annotated nodes) makes
	// the cluster NOTREADY; without it the cluster is ONLINE again.
	node := filepath.Join(t.TempDir(), "node.yaml")
	if err := os.WriteFile(node, []byte("apiVersion: v1\nkind: Node\nmetadata: {name: orphan}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kubectl(t, kube, kc, "create", "-f", node)
	eventually(t, 20*time.Second, "cluster NOTREADY naming the node", func() (bool, string) {
		var cl api.Cluster
		out := rok.must("kube", "cluster", "get", "cluster-1", "-o", "json")
		if err := json.Unmarshal([]byte(out), &cl); err != nil {
			return false, err.Error()
		}
		return cl.Status.State == api.StateNotReady && cl.Status.Reason != nil && strings.Contains(cl.Status.Reason.Message, "orphan"), cl.Status.State
	})
	kubectl(t, kube, kc, "delete", "node", "orphan")
	eventually(t, 20*time.Second, "cluster ONLINE again", func() (bool, string) {
		state := strings.TrimSpace(rok.must("kube", "cluster", "get", "cluster-1", "-o", "jsonpath={.status.state}"))
		return state == api.StateOnline, state
	})
	if !strings.Contains(ctrl.Output(), "controllers running") {
		t.Errorf("krakectl controller did not start its controllers:\n%s", ctrl.Output())
	}
}
