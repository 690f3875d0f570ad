//go:build e2e

package e2e

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/e2e/framework"
)

// writeManifest writes doc to a file of that name in a fresh temporary
// directory and returns its path, for rok -f.
func writeManifest(t *testing.T, name, doc string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// eventually polls cond every 200ms until it holds or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s (last seen: %s)", what, timeout, last)
}

const echoWithConfig = `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo-demo}
spec:
  replicas: 3
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec: {containers: [{name: echo, image: registry.k8s.io/echoserver:1.10}]}
---
apiVersion: v1
kind: Service
metadata: {name: echo-demo}
spec: {type: NodePort, selector: {app: echo}, ports: [{port: 8080}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: echo-config}
data: {greeting: hello}
`

// TestApplicationLifecycle: drift is reverted, manifest updates reach the
// cluster (and removed objects leave it), an outage turns the cluster
// OFFLINE without losing the app, and an invalid manifest fails with a
// reason naming the object.
func TestApplicationLifecycle(t *testing.T) {
	kube := framework.StartKube(t, 2)
	// A long resync: drift and health must arrive through watches.
	// Workloads would reach this Krake at hookURL (say, through an ingress);
	// the test itself calls the same paths on 127.0.0.1.
	const hookURL = "https://krake.example:8443"
	krake := framework.StartKrake(t, "", "--probe-interval", "1s", "--resync", "5m", "--hook-url", hookURL)
	rok := newRok(t, krake.URL)
	root := framework.ModuleRoot(t)
	rok.must("kube", "cluster", "register", "-k", kube.Kubeconfigs[0], "--wait", "--timeout", "30s")
	kc := kube.Kubeconfigs[0]
	rok.must("kube", "app", "create", "echo-demo", "-f", filepath.Join(root, "manifests/echo-demo/echo-demo.yaml"), "--wait", "--timeout", "30s")

	t.Run("drift is reverted", func(t *testing.T) {
		before, err := execKubectl(kube, kc, "get", "deployment", "echo-demo", "-o", "jsonpath={.metadata.uid}")
		if err != nil || before == "" {
			t.Fatalf("no Deployment to delete: %v", err)
		}
		kubectl(t, kube, kc, "delete", "deployment", "echo-demo", "--wait=true")
		eventually(t, 30*time.Second, "the deleted Deployment comes back as a new object", func() (bool, string) {
			uid, err := execKubectl(kube, kc, "get", "deployment", "echo-demo", "-o", "jsonpath={.metadata.uid}")
			return err == nil && uid != "" && uid != before, uid
		})
	})

	t.Run("pods falling short make the app DEGRADED, and RUNNING again", func(t *testing.T) {
		nodes := strings.Fields(kubectl(t, kube, kc, "get", "nodes", "-o", "jsonpath={.items[*].metadata.name}"))
		for _, n := range nodes {
			kubectl(t, kube, kc, "cordon", n)
		}
		kubectl(t, kube, kc, "delete", "pods", "-l", "app=echo", "--wait=false")
		eventually(t, 30*time.Second, "echo-demo DEGRADED", func() (bool, string) {
			app := rok.app("echo-demo")
			return app.Status.State == api.StateDegraded && app.Status.Reason != nil, app.Status.State
		})
		for _, n := range nodes {
			kubectl(t, kube, kc, "uncordon", n)
		}
		eventually(t, 30*time.Second, "echo-demo RUNNING again", func() (bool, string) {
			app := rok.app("echo-demo")
			return app.Status.State == api.StateRunning && app.Status.ContainerHealth.RunningPods == app.Status.ContainerHealth.DesiredPods, app.Status.State
		})
	})

	t.Run("updates reach the cluster", func(t *testing.T) {
		v2 := filepath.Join(t.TempDir(), "v2.yaml")
		if err := os.WriteFile(v2, []byte(echoWithConfig), 0o644); err != nil {
			t.Fatal(err)
		}
		rok.must("kube", "app", "update", "echo-demo", "-f", v2)
		eventually(t, 30*time.Second, "replicas 3 and the ConfigMap on the cluster", func() (bool, string) {
			replicas, _ := execKubectl(kube, kc, "get", "deployment", "echo-demo", "-o", "jsonpath={.spec.replicas}")
			cm, _ := execKubectl(kube, kc, "get", "configmap", "echo-config", "-o", "jsonpath={.data.greeting}")
			return replicas == "3" && cm == "hello", "replicas=" + replicas + " greeting=" + cm
		})
		rok.must("kube", "app", "update", "echo-demo", "-f", filepath.Join(root, "manifests/echo-demo/echo-demo.yaml"))
		eventually(t, 30*time.Second, "the ConfigMap removed from the manifest leaves the cluster", func() (bool, string) {
			out, err := execKubectl(kube, kc, "get", "configmap", "echo-config", "--ignore-not-found", "-o", "name")
			return err == nil && out == "", out
		})
	})

	t.Run("an outage turns the cluster OFFLINE and back", func(t *testing.T) {
		kube.StopAPIServer(t, 1)
		eventually(t, 30*time.Second, "cluster-1 OFFLINE", func() (bool, string) {
			state := strings.TrimSpace(rok.must("kube", "cluster", "get", "cluster-1", "-o", "jsonpath={.status.state}"))
			return state == api.StateOffline, state
		})
		if app := rok.app("echo-demo"); app.Metadata.Deleted != nil {
			t.Fatalf("the application was lost in the outage: %+v", app.Metadata)
		}
		kube.StartAPIServer(t, 1)
		eventually(t, 60*time.Second, "cluster-1 ONLINE and echo-demo RUNNING", func() (bool, string) {
			state := strings.TrimSpace(rok.must("kube", "cluster", "get", "cluster-1", "-o", "jsonpath={.status.state}"))
			app := rok.app("echo-demo")
			return state == api.StateOnline && app.Status.State == api.StateRunning, state + "/" + app.Status.State
		})
	})

	t.Run("credentials never reach logs or statuses", func(t *testing.T) {
		kc, err := loadKubeconfigMap(kube.Kubeconfigs[0])
		if err != nil {
			t.Fatal(err)
		}
		users, _ := kc["users"].([]any)
		user, _ := users[0].(map[string]any)["user"].(map[string]any)
		key, _ := user["client-key-data"].(string)
		if len(key) < 40 {
			t.Fatalf("no client key in the test kubeconfig")
		}
		status := rok.must("kube", "cluster", "get", "cluster-1", "-o", "jsonpath={.status}")
		for where, text := range map[string]string{"krakectl output": krake.Output(), "cluster status": status} {
			if strings.Contains(text, key[:40]) {
				t.Errorf("the cluster's client key appears in the %s", where)
			}
		}
	})

	t.Run("an unknown kind fails with a reason naming the object", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		if err := os.WriteFile(bad, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: gadget}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		rok.must("kube", "app", "create", "widget", "-f", bad)
		eventually(t, 30*time.Second, "widget FAILED with a reason", func() (bool, string) {
			app := rok.app("widget")
			if app.Status.Reason == nil {
				return false, app.Status.State
			}
			return app.Status.State == api.StateFailed && app.Status.Reason.Code == api.ReasonInvalidResource &&
				strings.Contains(app.Status.Reason.Message, "spec.manifest[1] Widget gadget"), app.Status.State + ": " + app.Status.Reason.Message
		})
		// It stays FAILED without the controller spinning on it.
		before := rok.app("widget").Metadata.ResourceVersion
		time.Sleep(2 * time.Second)
		if after := rok.app("widget"); after.Metadata.ResourceVersion != before || after.Status.State != api.StateFailed {
			t.Errorf("a FAILED app kept changing: resource_version %s -> %s, state %s", before, after.Metadata.ResourceVersion, after.Status.State)
		}
		// What reached the cluster before the failure is cleaned up on delete.
		if out, _ := execKubectl(kube, kc, "get", "configmap", "fine", "-o", "name"); out != "configmap/fine" {
			t.Fatalf("the valid object before the failing one is not on the cluster: %q", out)
		}
		rok.must("kube", "app", "delete", "widget", "--wait", "--timeout", "30s")
		if out, _ := execKubectl(kube, kc, "get", "configmap", "fine", "--ignore-not-found", "-o", "name"); out != "" {
			t.Errorf("the partly applied object stayed on the cluster after the delete: %q", out)
		}
	})

	t.Run("the complete hook lets the workload end its application", func(t *testing.T) {
		manifest := filepath.Join(t.TempDir(), "job.yaml")
		if err := os.WriteFile(manifest, []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: batch}
spec:
  replicas: 1
  selector: {matchLabels: {app: batch}}
  template:
    metadata: {labels: {app: batch}}
    spec: {containers: [{name: work, image: registry.k8s.io/echoserver:1.10, env: [{name: MODE, value: batch}]}]}
`), 0o644); err != nil {
			t.Fatal(err)
		}
		rok.must("kube", "app", "create", "batch-job", "-f", manifest, "--hook-complete", "--wait", "--timeout", "30s")
		app := rok.app("batch-job")
		if app.Status.CompleteToken == nil || len(*app.Status.CompleteToken) != 64 {
			t.Fatalf("status.complete_token = %v, want a 64-digit token", app.Status.CompleteToken)
		}

		// What the pod sees: the URL and the token, from a Secret beside it.
		env := kubectl(t, kube, kc, "get", "deployment", "batch", "-o", "jsonpath={.spec.template.spec.containers[0].env}")
		path := "/kubernetes/namespaces/" + app.Metadata.Namespace + "/applications/batch-job/complete"
		for _, want := range []string{`"name":"MODE","value":"batch"`, `"name":"KRAKE_COMPLETE_URL","value":"` + hookURL + path + `"`,
			`"name":"KRAKE_COMPLETE_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"krake-complete-batch-job"}}`,
			`"name":"KRAKE_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"krake-complete-batch-job"}}`} {
			if !strings.Contains(env, want) {
				t.Errorf("the container's env lacks %s:\n%s", want, env)
			}
		}
		encoded := kubectl(t, kube, kc, "get", "secret", "krake-complete-batch-job", "-o", "jsonpath={.data.token}")
		token, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || string(token) != *app.Status.CompleteToken {
			t.Fatalf("the Secret's token = %q (%v), want the app's complete_token", token, err)
		}

		// The workload calls back, as it would with curl -X PUT $KRAKE_COMPLETE_URL.
		callBack := func(token string) int {
			req, err := http.NewRequest(http.MethodPut, krake.URL+path, strings.NewReader(`{"token":"`+token+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if code := callBack("not-the-token"); code != http.StatusUnauthorized {
			t.Errorf("a wrong token: status %d, want 401", code)
		}
		if app := rok.app("batch-job"); app.Metadata.Deleted != nil {
			t.Fatal("a wrong token deleted the application")
		}
		if code := callBack(string(token)); code != http.StatusOK {
			t.Fatalf("the right token: status %d, want 200", code)
		}
		eventually(t, 30*time.Second, "the application, its Deployment and the hook's Secret gone", func() (bool, string) {
			_, _, appErr := rok.run("kube", "app", "get", "batch-job")
			deploy, _ := execKubectl(kube, kc, "get", "deployment", "batch", "--ignore-not-found", "-o", "name")
			secret, _ := execKubectl(kube, kc, "get", "secret", "krake-complete-batch-job", "--ignore-not-found", "-o", "name")
			return appErr != nil && deploy == "" && secret == "", fmt.Sprintf("app get err=%v deployment=%q secret=%q", appErr, deploy, secret)
		})
	})

	t.Run("an invalid object fails with the cluster's reason", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "invalid.yaml")
		if err := os.WriteFile(bad, []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: noselector}\nspec: {template: {spec: {containers: []}}}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		rok.must("kube", "app", "create", "invalid", "-f", bad)
		eventually(t, 30*time.Second, "invalid FAILED naming the Deployment", func() (bool, string) {
			app := rok.app("invalid")
			if app.Status.Reason == nil {
				return false, app.Status.State
			}
			return app.Status.State == api.StateFailed && strings.Contains(app.Status.Reason.Message, "spec.manifest[0] Deployment noselector"),
				app.Status.State + ": " + app.Status.Reason.Message
		})
		// --wait ends when the app FAILED, with the reason, rather than
		// when its timeout runs out (the timeout's message would differ).
		_, stderr, err := rok.run("kube", "app", "create", "invalid-wait", "-f", bad, "--wait", "--timeout", "120s")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr, "409 INVALID_STATE") ||
			!strings.Contains(stderr, "is FAILED (INVALID_RESOURCE: ") || !strings.Contains(stderr, "it will not reach RUNNING") {
			t.Errorf("create --wait of an invalid app: %v, stderr %q; want exit 1 and why it FAILED", err, stderr)
		}
	})
}

func execKubectl(kube *framework.KubeEnv, kubeconfig string, args ...string) (string, error) {
	out, err := exec.Command(kube.Kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...).Output()
	return strings.TrimSpace(string(out)), err
}
