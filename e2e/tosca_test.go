//go:build e2e

package e2e

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/e2e/framework"
)

const toscaEcho = `tosca_definitions_version: tosca_simple_yaml_1_2
imports: [{ec3_custom_types: https://raw.githubusercontent.com/grycap/ec3/tosca/tosca/custom_types.yaml}]
topology_template:
  inputs:
    replicas: {type: integer, default: 1}
  node_templates:
    deployment:
      type: tosca.nodes.indigo.KubernetesObject
      properties:
        spec:
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: tosca-echo}
          spec:
            replicas: {get_input: replicas}
            selector: {matchLabels: {app: tosca-echo}}
            template:
              metadata: {labels: {app: tosca-echo}}
              spec: {containers: [{name: echo, image: registry.k8s.io/echoserver:1.10}]}
    service:
      type: tosca.nodes.indigo.KubernetesObject
      properties:
        spec:
          concat: ["apiVersion: v1\nkind: Service\nmetadata: {name: tosca-echo}\nspec: {type: NodePort, selector: {app: tosca-echo}, ports: [{port: ", 8080, "}]}\n"]
`

// TestTOSCA: an application from an inline TOSCA template reaches RUNNING
// on a real cluster with its service address, and `rok kube app update -f`
// with a changed input re-applies.
func TestTOSCA(t *testing.T) {
	kube := framework.StartKube(t, 1)
	krake := framework.StartKrake(t, "", "--probe-interval", "1s", "--resync", "2s")
	rok := newRok(t, krake.URL)
	kc := kube.Kubeconfigs[0]
	rok.must("kube", "cluster", "register", "-k", kc, "--wait", "--timeout", "30s")
	rok.must("kube", "app", "create", "tosca-echo", "-f", writeManifest(t, "echo.yaml", toscaEcho), "--wait", "--timeout", "60s")
	app := rok.app("tosca-echo")
	if app.Status.State != api.StateRunning || !strings.HasPrefix(app.Status.Services["tosca-echo"], "127.0.0.1:") {
		t.Fatalf("state %s, services %v; want RUNNING with the Service's address", app.Status.State, app.Status.Services)
	}
	rok.must("kube", "app", "update", "tosca-echo", "-f", writeManifest(t, "echo2.yaml", strings.Replace(toscaEcho, "default: 1", "default: 3", 1)))
	eventually(t, 60*time.Second, "the Deployment scaled to the new input", func() (bool, string) {
		out, _ := execKubectl(kube, kc, "get", "deployment", "tosca-echo", "-o", "jsonpath={.spec.replicas}")
		return out == "3", "replicas " + out
	})
	rok.must("kube", "app", "delete", "tosca-echo", "--wait", "--timeout", "60s")

	// Templates and CSARs by URL, from a loopback server the test runs.
	renamed := strings.ReplaceAll(toscaEcho, "tosca-echo", "csar-echo")
	var csar bytes.Buffer
	zw := zip.NewWriter(&csar)
	for name, body := range map[string]string{"TOSCA-Metadata/TOSCA.meta": "TOSCA-Meta-File-Version: 1.0\nEntry-Definitions: Definitions/echo.yaml\n",
		"Definitions/echo.yaml": renamed} {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"/url-echo.yaml": []byte(strings.ReplaceAll(toscaEcho, "tosca-echo", "url-echo")),
		"/echo.csar":     csar.Bytes(),
		"/broken.yaml":   []byte(strings.Replace(toscaEcho, "{get_input: replicas}", "{get_input: nope}", 1)),
	}
	var mu sync.Mutex // files changes below, while the server reads it
	templates := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		body, ok := files[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	}))
	defer templates.Close()
	for _, tc := range []struct{ app, path string }{{"url-echo", "/url-echo.yaml"}, {"csar-echo", "/echo.csar"}} {
		rok.must("kube", "app", "create", tc.app, "-u", templates.URL+tc.path)
		eventually(t, 60*time.Second, tc.app+" from "+tc.path+" RUNNING", func() (bool, string) {
			app := rok.app(tc.app)
			return app.Status.State == api.StateRunning && len(app.Spec.Manifest) == 2, fmt.Sprintf("%s, %d objects", app.Status.State, len(app.Spec.Manifest))
		})
	}
	rok.must("kube", "app", "create", "broken", "-u", templates.URL+"/broken.yaml")
	eventually(t, 30*time.Second, "broken FAILED with INVALID_TOSCA_MANIFEST", func() (bool, string) {
		app := rok.app("broken")
		if app.Status.Reason == nil {
			return false, app.Status.State
		}
		return app.Status.State == api.StateFailed && app.Status.Reason.Code == api.ReasonInvalidToscaManifest &&
			strings.Contains(app.Status.Reason.Message, `no input "nope"`), app.Status.State + ": " + app.Status.Reason.Message
	})
	// Fixed at its URL, a retry fetches it again.
	mu.Lock()
	files["/broken.yaml"] = []byte(strings.ReplaceAll(toscaEcho, "tosca-echo", "fixed-echo"))
	mu.Unlock()
	rok.must("kube", "app", "retry", "broken")
	eventually(t, 60*time.Second, "broken RUNNING after the retry", func() (bool, string) {
		app := rok.app("broken")
		return app.Status.State == api.StateRunning, app.Status.State
	})
}
