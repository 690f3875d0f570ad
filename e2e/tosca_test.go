//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
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
	dir := t.TempDir()
	write := func(name, doc string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	rok.must("kube", "app", "create", "tosca-echo", "-f", write("echo.yaml", toscaEcho), "--wait", "--timeout", "60s")
	app := rok.app("tosca-echo")
	if app.Status.State != api.StateRunning || !strings.HasPrefix(app.Status.Services["tosca-echo"], "127.0.0.1:") {
		t.Fatalf("state %s, services %v; want RUNNING with the Service's address", app.Status.State, app.Status.Services)
	}
	rok.must("kube", "app", "update", "tosca-echo", "-f", write("echo2.yaml", strings.Replace(toscaEcho, "default: 1", "default: 3", 1)))
	eventually(t, 60*time.Second, "the Deployment scaled to the new input", func() (bool, string) {
		out, _ := execKubectl(kube, kc, "get", "deployment", "tosca-echo", "-o", "jsonpath={.spec.replicas}")
		return out == "3", "replicas " + out
	})
}
