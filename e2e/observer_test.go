//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/e2e/framework"
)

// TestObserverSchema: with a schema observing only spec.replicas (and the
// containers list's length) of a Deployment, a kubectl change of an
// unobserved label stays while a change of replicas, or a second
// container, is reverted; without a schema both the label and replicas
// are reverted.
func TestObserverSchema(t *testing.T) {
	kube := framework.StartKube(t, 1)
	krake := framework.StartKrake(t, "", "--probe-interval", "1s", "--resync", "1s")
	rok := newRok(t, krake.URL)
	kc := kube.Kubeconfigs[0]
	rok.must("kube", "cluster", "register", "-k", kc, "--wait", "--timeout", "30s")
	deployment := func(name string) string {
		return writeManifest(t, name+".yaml", fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata: {name: %[1]s, labels: {tier: gold}}
spec:
  replicas: 2
  selector: {matchLabels: {app: %[1]s}}
  template:
    metadata: {labels: {app: %[1]s}}
    spec: {containers: [{name: main, image: registry.k8s.io/echoserver:1.10}]}
`, name))
	}
	schema := writeManifest(t, "schema.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: observed}
spec:
  replicas: null
  template:
    spec:
      containers:
      - name: null
      - {observer_schema_list_min_length: 1, observer_schema_list_max_length: 1}
`)
	rok.must("kube", "app", "create", "observed", "-f", deployment("observed"), "-O", schema, "--wait", "--timeout", "30s")
	rok.must("kube", "app", "create", "plain", "-f", deployment("plain"), "--wait", "--timeout", "30s")
	get := func(name, path string) string {
		out, _ := execKubectl(kube, kc, "get", "deployment", name, "-o", "jsonpath="+path)
		return out
	}
	for _, name := range []string{"observed", "plain"} {
		kubectl(t, kube, kc, "label", "deployment", name, "tier=silver", "--overwrite")
		kubectl(t, kube, kc, "scale", "deployment", name, "--replicas=5")
	}
	eventually(t, 30*time.Second, "replicas reverted on both", func() (bool, string) {
		o, p := get("observed", "{.spec.replicas}"), get("plain", "{.spec.replicas}")
		return o == "2" && p == "2", "observed " + o + ", plain " + p
	})
	eventually(t, 30*time.Second, "the label reverted without a schema", func() (bool, string) {
		l := get("plain", "{.metadata.labels.tier}")
		return l == "gold", "plain tier=" + l
	})
	time.Sleep(3 * time.Second) // three resyncs: an unobserved field would have been reverted by now
	if l := get("observed", "{.metadata.labels.tier}"); l != "silver" {
		t.Errorf("the unobserved label is %q, want the user's silver to stay", l)
	}
	kubectl(t, kube, kc, "patch", "deployment", "observed", "--type", "json", "-p",
		`[{"op":"add","path":"/spec/template/spec/containers/-","value":{"name":"extra","image":"busybox"}}]`)
	eventually(t, 30*time.Second, "the containers list back to one (outside the markers 1..1)", func() (bool, string) {
		names := get("observed", "{.spec.template.spec.containers[*].name}")
		return names == "main", "containers: " + names
	})
	if l := get("observed", "{.metadata.labels.tier}"); l != "silver" {
		t.Errorf("after reverting the list the unobserved label is %q, want silver still", l)
	}
	eventually(t, 30*time.Second, "status.last_observed_manifest: the observed fields as seen", func() (bool, string) {
		app := rok.app("observed")
		if len(app.Status.LastObservedManifest) != 1 {
			return false, fmt.Sprintf("%d objects", len(app.Status.LastObservedManifest))
		}
		var seen struct {
			Metadata map[string]any `json:"metadata"`
			Spec     struct {
				Replicas *int `json:"replicas"`
			} `json:"spec"`
		}
		if err := json.Unmarshal(app.Status.LastObservedManifest[0], &seen); err != nil {
			return false, err.Error()
		}
		_, hasLabels := seen.Metadata["labels"]
		return seen.Spec.Replicas != nil && *seen.Spec.Replicas == 2 && !hasLabels, string(app.Status.LastObservedManifest[0])
	})
	out := rok.must("kube", "app", "get", "observed", "-o", "yaml")
	if !strings.Contains(out, "observer_schema_list_max_length: 1") {
		t.Errorf("rok kube app get -o yaml lacks the schema:\n%s", out)
	}
}
