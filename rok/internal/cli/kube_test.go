package cli_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
)

// TestApp walks an application through its verbs and compares every
// output format, on a terminal and in a pipe, with golden files.
func TestApp(t *testing.T) {
	r := newRunner(t)
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	// The shutdown hook needs the Service through which Krake calls it.
	withShutdown := writeFile(t, r.cwd, "echo-shutdown.yaml", echoManifest+shutdownService)
	r.tty = true
	golden(t, r.stable(r.must("kube", "app", "create", "echo-demo", "-f", withShutdown,
		"-l", "app=echo", "-L", "location in (DE, FR)", "-R", "crontabs.stable.example.com",
		"-M", "latency < 0.5", "--hook-shutdown", "45", "give_up", "2", "--backoff_limit", "3").stdout))
	r.tty = false
	r.must("kube", "app", "create", "second", "-f", manifest, "--disable-migration")

	for _, tc := range []struct {
		name string
		tty  bool
		args []string
	}{
		{"list_tty", true, []string{"kube", "app", "list"}},
		{"list_pipe", false, []string{"kube", "app", "list"}},
		{"list_wide_tty", true, []string{"kube", "app", "list", "-o", "wide"}},
		{"list_json", false, []string{"kube", "app", "list", "-o", "json"}},
		{"list_yaml", false, []string{"kube", "app", "list", "-o", "yaml"}},
		{"list_name", false, []string{"kube", "app", "list", "-o", "name"}},
		{"list_jsonpath", false, []string{"kube", "app", "list", "-o", "jsonpath={.items[*].metadata.name}"}},
		{"list_sorted_no_headers", false, []string{"kube", "app", "list", "--sort-by", ".metadata.name", "--no-headers"}},
		{"list_selector", false, []string{"kube", "application", "ls", "-l", "app=echo"}},
		{"get_tty", true, []string{"kube", "app", "get", "echo-demo"}},
		{"get_pipe", false, []string{"kube", "app", "get", "echo-demo"}},
		{"get_json", false, []string{"kube", "app", "get", "echo-demo", "-o", "json"}},
		{"get_yaml", false, []string{"kube", "app", "get", "echo-demo", "-o", "yaml"}},
		{"update", true, []string{"kube", "app", "update", "echo-demo", "--remove-existing-label-constraints", "-L", "tier=gold", "-l", "team=red"}},
		{"delete", true, []string{"kube", "app", "delete", "second"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r.tty = tc.tty
			golden(t, r.stable(r.must(tc.args...).stdout))
		})
	}
}

const shutdownService = `---
apiVersion: v1
kind: Service
metadata: {name: shutdown}
spec: {type: NodePort, selector: {app: echo}, ports: [{port: 9000}]}
`

// TestApp_hookShutdownGrammar: the original's --hook-shutdown [GRACE]
// [STRATEGY] [RETRIES], in any place on the line, and its errors.
func TestApp_hookShutdownGrammar(t *testing.T) {
	r := newRunner(t)
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest+shutdownService)
	for _, tc := range []struct {
		args           []string
		grace, retries int
		strategy       string
	}{
		{[]string{"--hook-shutdown"}, 30, 0, api.ShutdownDelete},
		{[]string{"--hook-shutdown", "60"}, 60, 0, api.ShutdownDelete},
		{[]string{"--hook-shutdown", "10", "give_up"}, 10, 0, api.ShutdownGiveUp},
		{[]string{"--hook-shutdown", "10", "delete", "3"}, 10, 3, api.ShutdownDelete},
		{[]string{"--hook-shutdown=5,give_up,1"}, 5, 1, api.ShutdownGiveUp},
	} {
		name := "app-" + strings.Join(tc.args, "-")
		name = strings.NewReplacer("=", "-", ",", "-", "_", "-").Replace(name)
		r.must(append([]string{"kube", "app", "create", "-f", manifest}, append(tc.args, name)...)...)
		app := r.app(name)
		s := app.Spec.Shutdown()
		if !slices.Contains(app.Spec.Hooks, api.HookShutdown) || s.GraceTime != tc.grace || s.Strategy != tc.strategy || s.Retries != tc.retries {
			t.Errorf("%v: hooks %v, settings %+v; want shutdown, %d, %q, %d", tc.args, app.Spec.Hooks, s, tc.grace, tc.strategy, tc.retries)
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--hook-shutdown=x"}, `the grace time "x" is a whole number of seconds`},
		{[]string{"--hook-shutdown=5,maybe"}, `the strategy "maybe" is delete or give_up`},
		{[]string{"--hook-shutdown=5,delete,-1"}, `the retry count "-1" is a whole number`},
	} {
		res := r.run(append([]string{"kube", "app", "create", "bad", "-f", manifest}, tc.args...)...)
		if res.code != 2 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want a usage error saying %q", tc.args, res.code, res.stderr, tc.want)
		}
	}
	plain := writeFile(t, r.cwd, "plain.yaml", echoManifest)
	if res := r.run("kube", "app", "create", "no-service", "-f", plain, "--hook-shutdown"); res.code == 0 || !strings.Contains(res.stderr, `a Service named "shutdown"`) {
		t.Errorf("the hook without a shutdown Service: exit %d, stderr %q; want the 422 naming the Service", res.code, res.stderr)
	}
}

// TestApp_jsonIsTheAPIObject: -o json is exactly the API's object, so
// scripts can rely on every field being present.
func TestApp_jsonIsTheAPIObject(t *testing.T) {
	r := newRunner(t)
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	r.must("kube", "app", "create", "echo-demo", "-f", manifest)
	out := r.must("kube", "app", "get", "echo-demo", "-o", "json").stdout
	var app api.Application
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatalf("-o json is not an application: %v\n%s", err, out)
	}
	if len(app.Spec.Manifest) != 2 || !strings.Contains(out, `"deleted": null`) || !strings.Contains(out, `"labels": {}`) {
		t.Errorf("-o json lacks fields of the API object:\n%s", out)
	}
	var list []any
	if err := json.Unmarshal([]byte(r.must("kube", "app", "list", "-o", "json").stdout), &list); err != nil || len(list) != 1 {
		t.Errorf("list -o json is not a bare array of 1: %v", err)
	}
}

func TestApp_manifestFromStdin(t *testing.T) {
	r := newRunner(t)
	r.stdin = echoManifest
	out := r.must("kube", "app", "create", "piped", "-f", "-", "-o", "json").stdout
	if !strings.Contains(out, `"kind": "Service"`) {
		t.Errorf("manifest from stdin not used:\n%s", out)
	}
}

// TestApp_waitForRunning: --wait blocks until a controller (played here by
// the test) sets RUNNING.
func TestApp_waitForRunning(t *testing.T) {
	r := newRunner(t)
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	c, err := client.New(apiURL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		apps := c.Applications(r.namespace)
		for range 200 {
			app, err := apps.Get(context.Background(), "echo-demo")
			if err == nil {
				app.Status.State = api.StateRunning
				if _, err := apps.UpdateStatus(context.Background(), app); err == nil {
					return
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	out := r.must("kube", "app", "create", "echo-demo", "-f", manifest, "--wait", "-o", "jsonpath={.status.state}").stdout
	if strings.TrimSpace(out) != "RUNNING" {
		t.Errorf("--wait returned state %q, want RUNNING", out)
	}
	res := r.run("kube", "app", "delete", "echo-demo", "--wait", "--timeout", "1s")
	if res.code != 1 || !strings.Contains(res.stderr, "timed out waiting") {
		t.Errorf("delete --wait with nobody to finish it: exit %d, stderr %q; want 1 and a timeout message", res.code, res.stderr)
	}
}

// TestApp_watchJSON: list -w -o json prints the current objects, then one
// event per line as they change.
func TestApp_watchJSON(t *testing.T) {
	r := newRunner(t)
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	r.must("kube", "app", "create", "first", "-f", manifest)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() { done <- r.runContext(ctx, "kube", "app", "list", "-w", "-o", "json") }()
	time.Sleep(300 * time.Millisecond)
	r.must("kube", "app", "create", "second", "-f", manifest)
	time.Sleep(300 * time.Millisecond)
	cancel()
	res := <-done
	if res.code != 0 {
		t.Fatalf("watch exit %d: %s", res.code, res.stderr)
	}
	var events []string
	for _, line := range strings.Split(strings.TrimSpace(res.stdout), "\n") {
		var ev struct {
			Type   string          `json:"type"`
			Object api.Application `json:"object"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not an event line: %q", line)
		}
		events = append(events, ev.Type+" "+ev.Object.Metadata.Name)
	}
	if strings.Join(events, ",") != "ADDED first,ADDED second" {
		t.Errorf("events = %v, want ADDED first, ADDED second", events)
	}
}

const twoContextKubeconfig = `apiVersion: v1
kind: Config
current-context: kind-one
clusters:
- name: one
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: ca.crt}
- name: two
  cluster: {server: "https://127.0.0.1:7443", insecure-skip-tls-verify: true}
users:
- name: admin-one
  user: {token: secret-one}
- name: admin-two
  user: {token: secret-two}
contexts:
- name: kind-one
  context: {cluster: one, user: admin-one}
- name: kind-two
  context: {cluster: two, user: admin-two}
`

func TestCluster(t *testing.T) {
	r := newRunner(t)
	writeFile(t, r.cwd, "ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	kc := writeFile(t, r.cwd, "kubeconfig", twoContextKubeconfig)
	r.tty = true
	t.Run("list_empty", func(t *testing.T) { golden(t, r.must("kube", "cluster", "list").stdout) })
	t.Run("register_current_context", func(t *testing.T) {
		golden(t, r.stable(r.must("kube", "cluster", "register", "-k", kc, "-l", "location=DE", "--metric", "heat", "0.5", "--global-metric", "cost", "-2").stdout))
	})
	t.Run("register_chosen_context", func(t *testing.T) {
		golden(t, r.stable(r.must("kube", "cluster", "register", "-k", kc, "-c", "kind-two", "-R", "crontabs.stable.example.com").stdout))
	})
	t.Run("list", func(t *testing.T) { golden(t, r.stable(r.must("kube", "cluster", "list").stdout)) })
	r.tty = false
	// Named after the context's cluster entry ("one"), as the original.
	out := r.must("kube", "cluster", "get", "one", "-o", "json").stdout
	var cluster api.Cluster
	if err := json.Unmarshal([]byte(out), &cluster); err != nil {
		t.Fatal(err)
	}
	kubeconfig, _ := json.Marshal(cluster.Spec.Kubeconfig)
	if strings.Contains(string(kubeconfig), "kind-two") || !strings.Contains(string(kubeconfig), "certificate-authority-data") {
		t.Errorf("stored kubeconfig is not the single chosen context with the CA inlined: %s", kubeconfig)
	}
	r.tty = true
	t.Run("delete", func(t *testing.T) { golden(t, r.stable(r.must("kube", "cluster", "delete", "two").stdout)) })
}

// TestApp_observerSchema: -O/--observer-schema stores the file's objects
// in spec.observer_schema on create and update; a file that is not YAML
// objects is refused before anything is sent.
func TestApp_observerSchema(t *testing.T) {
	r := newRunner(t)
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	schema := writeFile(t, r.cwd, "schema.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: echo-demo}\nspec:\n  type: null\n")
	r.must("kube", "app", "create", "observed", "-f", manifest, "-O", schema)
	var app api.Application
	if err := json.Unmarshal([]byte(r.must("kube", "app", "get", "observed", "-o", "json").stdout), &app); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	if len(app.Spec.ObserverSchema) == 1 {
		_ = json.Compact(&compact, app.Spec.ObserverSchema[0])
	}
	if compact.String() != `{"apiVersion":"v1","kind":"Service","metadata":{"name":"echo-demo"},"spec":{"type":null}}` {
		t.Errorf("observer_schema = %s, want the file's Service", app.Spec.ObserverSchema)
	}
	if out := r.must("kube", "app", "get", "observed").stdout; !strings.Contains(out, "Service echo-demo: 1 fields") {
		t.Errorf("rok kube app get does not sum up the schema:\n%s", out)
	}
	second := writeFile(t, r.cwd, "schema2.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: echo-demo}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: echo-demo}\n")
	r.must("kube", "app", "update", "observed", "--observer-schema", second)
	if err := json.Unmarshal([]byte(r.must("kube", "app", "get", "observed", "-o", "json").stdout), &app); err != nil {
		t.Fatal(err)
	}
	if len(app.Spec.ObserverSchema) != 2 {
		t.Errorf("after update observer_schema = %s, want the two objects of schema2.yaml", app.Spec.ObserverSchema)
	}
	bad := writeFile(t, r.cwd, "bad.yaml", "- just\n- a list\n")
	if res := r.run("kube", "app", "update", "observed", "-O", bad); res.code != 1 || !strings.Contains(res.stderr, "observer schema") || !strings.Contains(res.stderr, "not a Kubernetes object") {
		t.Errorf("bad observer schema: exit %d, stderr %q", res.code, res.stderr)
	}
	nameless := writeFile(t, r.cwd, "nameless.yaml", "apiVersion: v1\nkind: Service\n")
	if res := r.run("kube", "app", "update", "observed", "-O", nameless); res.code != 1 || !strings.Contains(res.stderr, "spec.observer_schema[0].metadata.name") {
		t.Errorf("nameless observer schema: exit %d, stderr %q; want the server's 422 naming the field", res.code, res.stderr)
	}
}

// TestApp_inject: -i KEY=VALUE sets the env entries named KEY in every
// container; a KEY no container has is a usage error.
func TestApp_inject(t *testing.T) {
	r := newRunner(t)
	manifest := writeFile(t, r.cwd, "env.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: env}
spec:
  selector: {matchLabels: {app: env}}
  template:
    metadata: {labels: {app: env}}
    spec:
      initContainers: [{name: init, image: busybox, env: [{name: MODE, value: old}]}]
      containers:
      - {name: a, image: busybox, env: [{name: MODE, valueFrom: {configMapKeyRef: {name: c, key: k}}}, {name: OTHER, value: keep}]}
      - {name: b, image: busybox}
`)
	r.must("kube", "app", "create", "env", "-f", manifest, "-i", "MODE=batch")
	app := r.app("env")
	var deploy struct {
		Spec struct {
			Template struct {
				Spec struct {
					InitContainers, Containers []struct {
						Env []map[string]any `json:"env"`
					}
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(app.Spec.Manifest[0], &deploy); err != nil {
		t.Fatal(err)
	}
	pod := deploy.Spec.Template.Spec
	if got := pod.InitContainers[0].Env[0]; got["value"] != "batch" {
		t.Errorf("init container MODE = %v, want batch", got)
	}
	if got := pod.Containers[0].Env[0]; got["value"] != "batch" || got["valueFrom"] != nil {
		t.Errorf("container a MODE = %v, want the value batch and no valueFrom", got)
	}
	if got := pod.Containers[0].Env[1]; got["value"] != "keep" {
		t.Errorf("OTHER = %v, want it untouched", got)
	}
	if len(pod.Containers[1].Env) != 0 {
		t.Errorf("container b got env %v, want none (inject sets entries, it adds none)", pod.Containers[1].Env)
	}
	for _, tc := range []struct{ arg, want string }{
		{"NOPE=1", "no container of the manifest has an env entry named NOPE"},
		{"novalue", `--inject "novalue": use KEY=VALUE`},
	} {
		if res := r.run("kube", "app", "create", "bad", "-f", manifest, "-i", tc.arg); res.code != 2 || !strings.Contains(res.stderr, tc.want) {
			t.Errorf("-i %s: exit %d, stderr %q; want a usage error saying %q", tc.arg, res.code, res.stderr, tc.want)
		}
	}
	r.must("kube", "app", "update", "env", "-i", "MODE=stream")
	if err := json.Unmarshal(r.app("env").Spec.Manifest[0], &deploy); err != nil {
		t.Fatal(err)
	}
	if got := deploy.Spec.Template.Spec.Containers[0].Env[0]["value"]; got != "stream" {
		t.Errorf("after update -i MODE=stream, MODE = %v", got)
	}
}

const toscaTemplate = `tosca_definitions_version: tosca_simple_yaml_1_2
imports: [{ec3_custom_types: https://raw.githubusercontent.com/grycap/ec3/tosca/tosca/custom_types.yaml}]
topology_template:
  inputs:
    replicas: {type: integer, default: 2}
  node_templates:
    echo:
      type: tosca.nodes.indigo.KubernetesObject
      properties:
        spec:
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: echo}
          spec:
            replicas: {get_input: replicas}
            selector: {matchLabels: {app: echo}}
            template:
              metadata: {labels: {app: echo}}
              spec: {containers: [{name: echo, image: registry.k8s.io/echoserver:1.10}]}
`

// TestApp_tosca: -f with a TOSCA template sets spec.tosca, and the API
// stores its translation as the manifest; an invalid template is a 422
// naming the place, with INVALID_TOSCA_MANIFEST.
func TestApp_tosca(t *testing.T) {
	r := newRunner(t)
	r.must("kube", "app", "create", "echo", "-f", writeFile(t, r.cwd, "tosca.yaml", toscaTemplate))
	app := r.app("echo")
	if len(app.Spec.Tosca) == 0 || len(app.Spec.Manifest) != 1 {
		t.Fatalf("tosca %s, manifest %s; want the template and its one object", app.Spec.Tosca, app.Spec.Manifest)
	}
	var deploy struct {
		Kind string `json:"kind"`
		Spec struct {
			Replicas int `json:"replicas"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(app.Spec.Manifest[0], &deploy); err != nil || deploy.Kind != "Deployment" || deploy.Spec.Replicas != 2 {
		t.Errorf("manifest %s (%v), want the Deployment with replicas from the input's default", app.Spec.Manifest[0], err)
	}
	changed := strings.Replace(toscaTemplate, "default: 2", "default: 4", 1)
	r.must("kube", "app", "update", "echo", "-f", writeFile(t, r.cwd, "tosca2.yaml", changed))
	if err := json.Unmarshal(r.app("echo").Spec.Manifest[0], &deploy); err != nil || deploy.Spec.Replicas != 4 {
		t.Errorf("after update with a changed input replicas = %d (%v), want 4", deploy.Spec.Replicas, err)
	}
	bad := strings.Replace(toscaTemplate, "{get_input: replicas}", "{get_input: nope}", 1)
	res := r.run("kube", "app", "create", "bad", "-f", writeFile(t, r.cwd, "bad.yaml", bad))
	if res.code == 0 || !strings.Contains(res.stderr, "spec.tosca.topology_template.node_templates.echo.properties.spec.spec.replicas") ||
		!strings.Contains(res.stderr, `INVALID_TOSCA_MANIFEST: get_input: no input "nope"`) {
		t.Errorf("invalid template: exit %d, stderr %q; want the 422 naming the place", res.code, res.stderr)
	}
}

const kwokTemplate = `tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  inputs: {nodes: {type: integer, default: 2}}
  node_templates:
    workers: {type: tosca.nodes.Compute, capabilities: {scalable: {properties: {count: {get_input: nodes}}}}}
`

// TestCluster_create: `cluster create NAME -f TOSCA` stores a cluster for
// Krake to create, with its cloud constraints and inheritance, as the
// original rok sends it; mistakes are refused before anything is sent,
// and explain says which clouds it may go to.
func TestCluster_create(t *testing.T) {
	r := newRunner(t)
	tosca := writeFile(t, r.cwd, "cluster.yaml", kwokTemplate)
	notTosca := writeFile(t, r.cwd, "app.yaml", echoManifest)
	out := r.must("kube", "cluster", "create", "lab", "-f", tosca, "-L", "location=DE", "-M", "green > 0.5",
		"--inherit-labels", "--inherit-metrics", "-o", "json").stdout
	var cl api.Cluster
	if err := json.Unmarshal([]byte(out), &cl); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if cl.Spec.Tosca["tosca_definitions_version"] != "tosca_simple_yaml_1_0" || len(cl.Spec.Kubeconfig) != 0 {
		t.Errorf("spec.tosca %v, kubeconfig %v: want the template and no kubeconfig", cl.Spec.Tosca, cl.Spec.Kubeconfig)
	}
	cons := cl.Spec.Constraints.Cloud
	if !slices.Equal(cons.Labels, []string{"location=DE"}) || !slices.Equal(cons.Metrics, []string{"green > 0.5"}) ||
		!cl.Metadata.InheritLabels || !cl.Spec.InheritMetrics {
		t.Errorf("cloud constraints %+v, inherit labels %v metrics %v", cons, cl.Metadata.InheritLabels, cl.Spec.InheritMetrics)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"both -k and -f", []string{"kube", "cluster", "create", "x", "-f", tosca, "-k", tosca}, 2, "kubeconfig"},
		{"not a template", []string{"kube", "cluster", "create", "x", "-f", notTosca}, 2, "tosca_definitions_version"},
		{"no name", []string{"kube", "cluster", "create", "-f", tosca}, 2, "rok kube cluster create NAME"},
		{"cloud constraints on a registered cluster", []string{"kube", "cluster", "register", "-k", writeFile(t, r.cwd, "kc", twoContextKubeconfig), "-L", "a=b"}, 2, "-L and -M"},
		{"neither", []string{"kube", "cluster", "create", "x"}, 2, "-f FILE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := r.run(tc.args...)
			if res.code != tc.code || !strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d naming %q", res.code, res.stderr, tc.code, tc.want)
			}
		})
	}
	// Global objects are seen by every test of the shared server: remove them after.
	t.Cleanup(func() {
		r.run("infra", "globalcloud", "delete", "here")
		r.run("infra", "globalcloud", "delete", "there")
		r.run("infra", "globalprovider", "delete", "kwok")
	})
	r.must("infra", "globalprovider", "register", "kwok", "--type", "kwok")
	r.must("infra", "globalcloud", "register", "here", "--type", "kwok", "--global-infra-provider", "kwok", "-l", "location=DE")
	r.must("infra", "globalcloud", "register", "there", "--type", "kwok", "--global-infra-provider", "kwok", "-l", "location=FR")
	got := r.must("kube", "cluster", "explain", "lab").stdout
	for _, want := range []string{"cloud\tresult", "here (global)", "there (global)", "rejected (labels)", "cloud has FR"} {
		if !strings.Contains(got, want) {
			t.Errorf("explain lacks %q:\n%s", want, got)
		}
	}
	// A registered cluster has no cloud to explain.
	if res := r.run("kube", "cluster", "explain", "one"); res.code == 0 {
		t.Errorf("explain of a missing cluster succeeded: %q", res.stdout)
	}
}
