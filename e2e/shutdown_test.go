//go:build e2e

package e2e

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/e2e/framework"
)

// workload stands in for a stateful workload behind its "shutdown"
// Service: the manifest pins the Service's nodePort to a port the test
// listens on at 127.0.0.1 (the address the harness's clusters report), so
// Krake's PUT /shutdown reaches the test.
type workload struct {
	port   int
	mu     sync.Mutex
	calls  []time.Time
	onCall func()
}

// listenNodePort listens on a free port of the NodePort range.
func listenNodePort(t *testing.T) *workload {
	t.Helper()
	w := &workload{}
	for p := 30000 + int(time.Now().UnixNano()%2000); p < 32767; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			continue
		}
		w.port = p
		srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPut || r.URL.Path != "/shutdown" {
				http.NotFound(rw, r)
				return
			}
			w.mu.Lock()
			defer w.mu.Unlock()
			w.calls = append(w.calls, time.Now())
			if w.onCall != nil {
				w.onCall() // under mu: what it records is read under mu
			}
		}), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(l) }()
		t.Cleanup(func() { _ = srv.Close() })
		return w
	}
	t.Fatal("no free port in 30000-32767")
	return nil
}

func (w *workload) callCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.calls)
}

// manifest is a Deployment and its shutdown Service on w's port, in a
// namespace of the app's name, so that each case has its own "shutdown"
// Service whatever the others left behind.
func (w *workload) manifest(t *testing.T, name string) string {
	t.Helper()
	return writeManifest(t, name+".yaml", fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata: {name: %[1]s}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, namespace: %[1]s}
spec:
  replicas: 1
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec: {containers: [{name: work, image: registry.k8s.io/echoserver:1.10}]}
---
apiVersion: v1
kind: Service
metadata: {name: shutdown, namespace: %[1]s}
spec: {type: NodePort, selector: {app: %[1]s}, ports: [{port: 8080, nodePort: %[2]d}]}
`, name, w.port))
}

// TestShutdownHook: before a delete or a migration Krake calls the
// workload, waits for its callback, and only then removes the objects;
// without a callback it retries, then deletes (strategy delete) or keeps
// them with the app DEGRADED (give_up). A wrong token gets 401.
func TestShutdownHook(t *testing.T) {
	kube := framework.StartKube(t, 2)
	// --shutdown-grace is the grace time of apps that do not give one.
	krake := framework.StartKrake(t, "", "--probe-interval", "1s", "--reschedule-after", "1s", "--shutdown-grace", "120")
	rok := newRok(t, krake.URL)
	rok.must("kube", "cluster", "register", "-k", kube.Kubeconfigs[0], "-l", "location=DE", "--wait", "--timeout", "30s")
	rok.must("kube", "cluster", "register", "-k", kube.Kubeconfigs[1], "-l", "location=FR", "--wait", "--timeout", "30s")
	old, next := kube.Kubeconfigs[0], kube.Kubeconfigs[1]
	exists := func(kc, name string) bool {
		out, _ := execKubectl(kube, kc, "-n", name, "get", "deployment", name, "--ignore-not-found", "-o", "name")
		return out != ""
	}
	callback := func(name, token string) int {
		code, _ := krake.Do(t, http.MethodPut, "/kubernetes/namespaces/walk/applications/"+name+"/shutdown", nil, `{"token":"`+token+`"}`)
		return code
	}
	tokenOf := func(kc, name string) string {
		encoded := kubectl(t, kube, kc, "-n", name, "get", "secret", "krake-shutdown-"+name, "-o", "jsonpath={.data.token}")
		token, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil {
			t.Fatalf("the shutdown Secret's token %q: %v", encoded, err)
		}
		return string(token)
	}
	state := func(name string) string { return rok.app(name).Status.State }
	gone := func(name string) func() (bool, string) {
		return func() (bool, string) {
			_, _, err := rok.run("kube", "app", "get", name)
			return err != nil && !exists(old, name), fmt.Sprintf("app get err=%v, deployment on the cluster: %v", err, exists(old, name))
		}
	}

	t.Run("delete with the callback: call, callback, objects removed", func(t *testing.T) {
		w := listenNodePort(t)
		rok.must("kube", "app", "create", "keeper", "-f", w.manifest(t, "keeper"), "-L", "location=DE", "--hook-shutdown", "--wait", "--timeout", "30s")
		app := rok.app("keeper")
		if s := app.Spec.Shutdown(); s.GraceTime != 120 || s.Strategy != api.ShutdownDelete || s.Retries != 0 {
			t.Errorf("a bare --hook-shutdown gave %+v, want krakectl's --shutdown-grace 120, delete, 0 retries", s)
		}
		if got, want := app.Status.Services[api.ShutdownServiceName], "127.0.0.1:"+strconv.Itoa(w.port); got != want {
			t.Fatalf("status.services[shutdown] = %q, want %q", got, want)
		}
		env := kubectl(t, kube, old, "-n", "keeper", "get", "deployment", "keeper", "-o", "jsonpath={.spec.template.spec.containers[0].env}")
		for _, want := range []string{`"name":"KRAKE_SHUTDOWN_URL","value":"` + krake.URL + `/kubernetes/namespaces/walk/applications/keeper/shutdown"`,
			`"name":"KRAKE_SHUTDOWN_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"krake-shutdown-keeper"}}`} {
			if !strings.Contains(env, want) {
				t.Errorf("the container's env lacks %s:\n%s", want, env)
			}
		}
		token := tokenOf(old, "keeper")
		if token != *app.Status.ShutdownToken {
			t.Fatal("the Secret's token is not the app's shutdown_token")
		}
		rok.must("kube", "app", "delete", "keeper")
		eventually(t, 30*time.Second, "Krake's call, and WAITING_FOR_CLEANING", func() (bool, string) {
			st := state("keeper")
			return w.callCount() == 1 && st == api.StateWaitingForCleaning, fmt.Sprintf("calls=%d state=%s", w.callCount(), st)
		})
		if !exists(old, "keeper") {
			t.Fatal("the Deployment went before the workload called back")
		}
		if code := callback("keeper", "not-the-token"); code != http.StatusUnauthorized {
			t.Errorf("a wrong token: status %d, want 401", code)
		}
		if code := callback("keeper", token); code != http.StatusOK {
			t.Fatalf("the callback: status %d, want 200", code)
		}
		eventually(t, 30*time.Second, "the app and its Deployment gone", gone("keeper"))
		if n := w.callCount(); n != 1 {
			t.Errorf("Krake called the workload %d times, want once", n)
		}
	})

	t.Run("no callback, strategy delete: gone after grace x calls", func(t *testing.T) {
		w := listenNodePort(t)
		rok.must("kube", "app", "create", "silent", "-f", w.manifest(t, "silent"), "-L", "location=DE", "--hook-shutdown", "2", "delete", "1", "--wait", "--timeout", "30s")
		start := time.Now()
		rok.must("kube", "app", "delete", "silent")
		eventually(t, 60*time.Second, "the app and its Deployment gone", gone("silent"))
		if n := w.callCount(); n != 2 {
			t.Errorf("Krake called the workload %d times, want 2 (the call and one retry)", n)
		}
		if took := time.Since(start); took < 4*time.Second {
			t.Errorf("the app went after %s, before two grace times of 2s", took)
		}
	})

	t.Run("migration with the hook: the old copy is called before anything reaches the new cluster", func(t *testing.T) {
		w := listenNodePort(t)
		var newHadIt []bool
		w.mu.Lock()
		w.onCall = func() { newHadIt = append(newHadIt, exists(next, "mover")) }
		w.mu.Unlock()
		rok.must("kube", "app", "create", "mover", "-f", w.manifest(t, "mover"), "-L", "location=DE", "--hook-shutdown", "120", "--wait", "--timeout", "30s")
		token := tokenOf(old, "mover")
		if out := rok.must("kube", "app", "explain", "mover"); !strings.Contains(out, "On a move: break-before-make") {
			t.Errorf("rok kube app explain does not say how the app moves:\n%s", out)
		}
		rok.must("kube", "app", "update", "mover", "--remove-existing-label-constraints", "-L", "location=FR")
		eventually(t, 30*time.Second, "the old copy called, WAITING_FOR_CLEANING", func() (bool, string) {
			st := state("mover")
			return w.callCount() == 1 && st == api.StateWaitingForCleaning, fmt.Sprintf("calls=%d state=%s", w.callCount(), st)
		})
		w.mu.Lock()
		if len(newHadIt) != 1 || newHadIt[0] {
			t.Errorf("when the old copy was called, the new cluster had the Deployment: %v (want break-before-make)", newHadIt)
		}
		w.mu.Unlock()
		if exists(next, "mover") || !exists(old, "mover") {
			t.Fatal("before the callback the new copy exists or the old one is gone")
		}
		if code := callback("mover", token); code != http.StatusOK {
			t.Fatalf("the callback: status %d, want 200", code)
		}
		eventually(t, 60*time.Second, "RUNNING on cluster-2, gone from cluster-1", func() (bool, string) {
			app := rok.app("mover")
			on := ""
			if app.Status.RunningOn != nil {
				on = app.Status.RunningOn.Name
			}
			return app.Status.State == api.StateRunning && on == "cluster-2" && exists(next, "mover") && !exists(old, "mover"),
				fmt.Sprintf("%s on %q; new has it %v, old has it %v", app.Status.State, on, exists(next, "mover"), exists(old, "mover"))
		})
		rok.must("kube", "app", "delete", "mover", "--force")
	})

	t.Run("no callback, strategy give_up: DEGRADED, the objects stay", func(t *testing.T) {
		w := listenNodePort(t)
		rok.must("kube", "app", "create", "stubborn", "-f", w.manifest(t, "stubborn"), "-L", "location=DE", "--hook-shutdown", "2", "give_up", "--wait", "--timeout", "30s")
		rok.must("kube", "app", "delete", "stubborn")
		eventually(t, 30*time.Second, "DEGRADED saying the shutdown did not complete", func() (bool, string) {
			app := rok.app("stubborn")
			if app.Status.Reason == nil {
				return false, app.Status.State
			}
			return app.Status.State == api.StateDegraded && strings.Contains(app.Status.Reason.Message, "the shutdown did not complete"),
				app.Status.State + ": " + app.Status.Reason.Message
		})
		time.Sleep(3 * time.Second) // past another grace time: nothing more happens
		if n := w.callCount(); n != 1 {
			t.Errorf("Krake called the workload %d times, want once (no retries given)", n)
		}
		if !exists(old, "stubborn") {
			t.Error("the Deployment went although the strategy is give_up")
		}
		if st := state("stubborn"); st != api.StateDegraded {
			t.Errorf("state %s after giving up, want DEGRADED to stay", st)
		}
	})
}
