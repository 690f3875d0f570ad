//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/e2e/framework"
)

// TestManifests renders every overlay of manifests/deploy with `kubectl
// kustomize`, applies each with server-side dry-run to a real cluster
// (every object valid against the real API server), and applies
// overlays/etcd for real.
//
// Only validated, not shown running: a local cluster has kwok nodes and
// no container runtime (kwok reports pods Running, but no krakectl or
// etcd process starts, so probes, leader election in pods and the API's
// answers are not exercised), no storage provisioner (the etcd volume
// claims stay Pending) and no network plugin (NetworkPolicies are stored,
// not enforced).
func TestManifests(t *testing.T) {
	kube := framework.StartKube(t, 1)
	kc := kube.Kubeconfigs[0]
	root := framework.ModuleRoot(t)
	// A copy of the tree, with the Secrets' files from krakectl config
	// generate where the kustomization expects them.
	deploy := filepath.Join(t.TempDir(), "deploy")
	if out, err := exec.Command("cp", "-r", filepath.Join(root, "manifests", "deploy"), deploy).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	_ = os.RemoveAll(filepath.Join(deploy, "base", "secure"))
	gen := exec.Command(filepath.Join(framework.Binaries(t), "krakectl"), "config", "generate", "--dir", filepath.Join(deploy, "base", "secure"),
		"--listen", "0.0.0.0:8443", "--host", "krake-api,krake-api.krake.svc,krake-api.krake.svc.cluster.local")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("krakectl config generate: %v\n%s", err, out)
	}
	kubectl(t, kube, kc, "create", "namespace", "krake")
	for _, overlay := range []string{"etcd", "external-etcd"} {
		t.Run(overlay, func(t *testing.T) {
			rendered := filepath.Join(t.TempDir(), overlay+".yaml")
			out, err := exec.Command(kube.Kubectl, "kustomize", filepath.Join(deploy, "overlays", overlay)).Output()
			if err != nil {
				t.Fatalf("kubectl kustomize %s: %v", overlay, err)
			}
			if err := os.WriteFile(rendered, out, 0o644); err != nil {
				t.Fatal(err)
			}
			checkHardened(t, string(out))
			res := kubectl(t, kube, kc, "apply", "--server-side", "--dry-run=server", "-f", rendered)
			objects := strings.Count("\n"+string(out), "\nkind: ")
			if n := strings.Count(res, "serverside-applied (server dry run)"); n != objects || objects < 12 {
				t.Errorf("server dry run of %s: %d of %d objects applied:\n%s", overlay, n, objects, res)
			}
		})
	}

	// overlays/etcd for real: every object exists as rendered.
	out, err := exec.Command(kube.Kubectl, "kustomize", filepath.Join(deploy, "overlays", "etcd")).Output()
	if err != nil {
		t.Fatal(err)
	}
	rendered := filepath.Join(t.TempDir(), "etcd.yaml")
	if err := os.WriteFile(rendered, out, 0o644); err != nil {
		t.Fatal(err)
	}
	kubectl(t, kube, kc, "apply", "--server-side", "-f", rendered)
	got := kubectl(t, kube, kc, "-n", "krake", "get", "deployments,statefulsets,jobs,services,poddisruptionbudgets,networkpolicies,secrets,configmaps",
		"-o", "name")
	for _, want := range []string{"deployment.apps/krake-api", "deployment.apps/krake-controllers", "statefulset.apps/etcd",
		"job.batch/krake-bootstrap", "service/krake-api", "service/etcd", "poddisruptionbudget.policy/krake-api",
		"poddisruptionbudget.policy/etcd", "networkpolicy.networking.k8s.io/default-deny-ingress",
		"networkpolicy.networking.k8s.io/etcd", "secret/krake-api-tls-", "secret/krake-controllers-tls-", "configmap/krake-bootstrap-"} {
		if !strings.Contains(got, want) {
			t.Errorf("after apply, %s is missing:\n%s", want, got)
		}
	}
	// The Deployments' pods are created and scheduled (on kwok nodes,
	// which report them Running without running them).
	eventually(t, 60*time.Second, "krake-api's 3 pods and the controllers' 2", func() (bool, string) {
		out, err := execKubectl(kube, kc, "-n", "krake", "get", "deployments", "-o",
			`jsonpath={range .items[*]}{.metadata.name}={.status.availableReplicas} {end}`)
		return err == nil && strings.Contains(out, "krake-api=3") && strings.Contains(out, "krake-controllers=2"), out
	})
	t.Log("validated only: probes, the containers' work, volume binding and policy enforcement (see the test's comment)")
}

// checkHardened: every container runs as non-root with a read-only root
// filesystem, no privilege escalation and resource requests.
func checkHardened(t *testing.T, rendered string) {
	t.Helper()
	containers := 0
	for _, doc := range strings.Split(rendered, "\n---\n") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil || obj == nil {
			continue
		}
		spec := dig(obj, "spec", "template", "spec")
		if spec == nil {
			continue
		}
		name := dig(obj, "metadata")["name"]
		if sc := dig(spec, "securityContext"); sc == nil || sc["runAsNonRoot"] != true {
			t.Errorf("%v: the pod does not run as non-root", name)
		}
		list, _ := spec["containers"].([]any)
		for _, c := range list {
			cm, _ := c.(map[string]any)
			containers++
			sc := dig(cm, "securityContext")
			if sc == nil || sc["readOnlyRootFilesystem"] != true || sc["allowPrivilegeEscalation"] != false {
				t.Errorf("%v/%v: not read-only or may escalate: %v", name, cm["name"], sc)
			}
			if dig(cm, "resources", "requests") == nil {
				t.Errorf("%v/%v: no resource requests", name, cm["name"])
			}
		}
	}
	if containers < 7 {
		t.Errorf("only %d containers found in the render", containers)
	}
}

func dig(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, _ := m[p].(map[string]any)
		if next == nil {
			return nil
		}
		m = next
	}
	return m
}
