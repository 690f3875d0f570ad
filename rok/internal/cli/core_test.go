package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
)

// TestCore covers the core and infra kinds with the original's flags,
// including two-value flags and negative numbers.
func TestCore(t *testing.T) {
	r := newRunner(t)
	r.tty = true
	steps := []struct {
		name string
		args []string
	}{
		{"metric_negative_min", []string{"core", "metric", "create", "heat", "--min", "-2", "--max", "8", "--mp-name", "prom"}},
		{"globalmetric", []string{"core", "gm", "create", "testcore-cost", "--min", "0", "--max", "1", "--gmp-name", "static", "--metric-name", "cost_eur"}},
		{"mp_prometheus", []string{"core", "mp", "create", "prom", "--type", "prometheus", "--url", "http://127.0.0.1:9090"}},
		{"gmp_static_pairs", []string{"core", "gmp", "create", "testcore-static", "--type", "static", "-m", "cost_eur", "0.3", "-m", "temp", "-2"}},
		{"role", []string{"core", "role", "create", "testcore-viewer", "--api", "kubernetes", "--resource", "applications", "--verb", "get", "--verb", "list"}},
		{"rolebinding", []string{"core", "rolebinding", "create", "testcore-alice", "--user", "alice", "--role", "testcore-viewer"}},
		{"infra_provider", []string{"infra", "provider", "create", "im", "--url", "http://127.0.0.1:8800", "--username", "u", "--password", "p"}},
		{"infra_cloud", []string{"infra", "cloud", "create", "os1", "--url", "https://127.0.0.1:5000/v3", "--username", "u", "--password", "p", "--project", "demo", "--infra-provider", "im", "--metric", "heat", "0.7"}},
		{"metric_list", []string{"core", "metric", "list"}},
		{"mp_list_wide", []string{"core", "mp", "list", "-o", "wide"}},
		{"metric_update", []string{"core", "metric", "update", "heat", "--max", "10"}},
		// The original's command names, verbs and flags.
		{"gip_register_original", []string{"infra", "gip", "register", "testcore-gim", "--type", "im", "--url", "http://127.0.0.1:8800", "--user", "u", "--password", "p"}},
		{"gcloud_register_original", []string{"infra", "gcloud", "register", "testcore-gos", "--type", "openstack", "--url", "https://127.0.0.1:5000/v3",
			"--user", "u", "--password", "p", "--project", "demo", "--domain-name", "Dom", "--domain-id", "dom-id", "--global-infra-provider", "testcore-gim", "-o", "json"}},
		{"ip_register_original", []string{"infra", "infrastructureprovider", "register", "im2", "--url", "http://127.0.0.1:8801", "--username", "u2", "--password", "p2", "-o", "json"}},
		{"cloud_our_flag_names", []string{"infra", "cloud", "create", "os2", "--url", "https://127.0.0.1:5000/v3", "--username", "u", "--password", "p", "--project", "demo",
			"--user-domain-name", "Ours", "--project-domain-id", "ours-id", "--infra-provider", "im2", "-o", "json"}},
		{"gmp_update_replaces_values", []string{"core", "gmp", "update", "testcore-static", "-m", "cost_eur", "0.5", "-o", "json"}},
	}
	// Every kind's list in the structured formats and wide.
	for _, group := range [][]string{{"core", "metric"}, {"core", "gm"}, {"core", "mp"}, {"core", "gmp"}, {"core", "role"},
		{"core", "rolebinding"}, {"infra", "provider"}, {"infra", "cloud"}} {
		for _, format := range []string{"json", "yaml", "wide"} {
			args := append(append([]string{}, group...), "list", "-o", format)
			steps = append(steps, struct {
				name string
				args []string
			}{group[1] + "_list_" + format, args})
		}
	}
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) { golden(t, r.stable(r.must(step.args...).stdout)) })
	}
	res := r.run("core", "metric", "update", "heat", "--min", "20")
	if res.code != 1 || !strings.Contains(res.stderr, "spec.min: must be less than spec.max") {
		t.Errorf("min above max: exit %d, stderr %q; want a 422 naming spec.min", res.code, res.stderr)
	}
	res = r.run("core", "mp", "create", "x", "--type", "graphite")
	if res.code != 2 || !strings.Contains(res.stderr, `--type "graphite"`) {
		t.Errorf("unknown provider type: exit %d, stderr %q", res.code, res.stderr)
	}
	// An infrastructure update that changes nothing fails, as in the original.
	res = r.run("infra", "gcloud", "update", "testcore-gos", "--project", "demo")
	if res.code != 1 || !strings.Contains(res.stderr, "Error: 400 UPDATE_ERROR: the update of globalcloud \"testcore-gos\" changes nothing") {
		t.Errorf("no-op infra update: exit %d, stderr %q; want 1 and 400 UPDATE_ERROR", res.code, res.stderr)
	}
	// Other kinds' no-op updates keep succeeding.
	r.must("core", "metric", "update", "heat", "--max", "10")
	// Global metrics name their provider with --gmp-name, not --mp-name.
	res = r.run("core", "gm", "create", "x", "--min", "0", "--max", "1", "--mp-name", "p")
	if res.code != 2 || !strings.Contains(res.stderr, "unknown flag: --mp-name") {
		t.Errorf("gm create --mp-name: exit %d, stderr %q; want a usage error", res.code, res.stderr)
	}
}

// TestColor: states are coloured on a terminal that allows colour, and
// the text stays aligned.
func TestColor(t *testing.T) {
	r := newRunner(t)
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	r.must("kube", "app", "create", "echo-demo", "-f", manifest)
	r.tty, r.color = true, true
	out := r.must("kube", "app", "list").stdout
	if !strings.Contains(out, "\x1b[33mPENDING\x1b[0m") {
		t.Errorf("PENDING is not yellow on a colour terminal:\n%q", out)
	}
	r.color = false
	if out := r.must("kube", "app", "list").stdout; strings.Contains(out, "\x1b[") {
		t.Errorf("colour without permission (NO_COLOR or a pipe):\n%q", out)
	}
}

// TestConfig_replicas: a context may name several API replicas, comma
// separated; rok goes on with the next when one is down, and says which
// it tried when none answers.
func TestConfig_replicas(t *testing.T) {
	r := newRunner(t)
	delete(r.env, "ROK_API_URL")
	r.env["ROK_NAMESPACE"] = ""
	r.must("config", "set-context", "ha", "--api-url", "http://127.0.0.1:1,"+apiURL, "--namespace", "team-ha", "--use")
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	r.must("kube", "app", "create", "through-replicas", "-f", manifest)
	if out := r.must("kube", "app", "get", "through-replicas", "-o", "jsonpath={.metadata.namespace}").stdout; strings.TrimSpace(out) != "team-ha" {
		t.Errorf("app through the second replica: namespace %q, want team-ha", out)
	}
	r.must("config", "set-context", "ha-down", "--api-url", "http://127.0.0.1:1,http://127.0.0.1:2", "--use")
	if res := r.run("kube", "app", "list"); res.code != 1 || !strings.Contains(res.stderr, "127.0.0.1:1") || !strings.Contains(res.stderr, "127.0.0.1:2") {
		t.Errorf("every replica down: exit %d, stderr %q, want 1 naming both", res.code, res.stderr)
	}
}

func TestConfig(t *testing.T) {
	r := newRunner(t)
	delete(r.env, "ROK_API_URL")
	r.env["ROK_NAMESPACE"] = "" // unset: the context's namespace applies
	if view := r.must("config", "view").stdout; !strings.Contains(view, "(not written yet: rok config set-context NAME --api-url URL creates it)\ncontexts: []\n") {
		t.Errorf("config view before any context:\n%s", view)
	}
	r.must("config", "set-context", "local", "--api-url", apiURL, "--namespace", "team-a")
	r.must("config", "set-context", "other", "--api-url", "http://127.0.0.1:1")
	view := r.must("config", "view").stdout
	if strings.Contains(view, "not written yet") || !strings.Contains(view, "current-context: local") || !strings.Contains(view, "# in effect: api_url "+apiURL+" (from context local), namespace team-a (from context local)") {
		t.Errorf("config view:\n%s", view)
	}
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	r.must("kube", "app", "create", "in-context", "-f", manifest)
	if out := r.must("kube", "app", "get", "in-context", "-o", "jsonpath={.metadata.namespace}").stdout; strings.TrimSpace(out) != "team-a" {
		t.Errorf("namespace from the context = %q, want team-a", out)
	}
	// -n beats the context; --context picks another one.
	if res := r.run("-n", "elsewhere", "kube", "app", "get", "in-context"); res.code != 1 || !strings.Contains(res.stderr, "404 NOT_FOUND_ERROR") {
		t.Errorf("-n elsewhere: exit %d, stderr %q, want 1 and not found there", res.code, res.stderr)
	}
	if res := r.run("--context", "other", "kube", "app", "list"); res.code != 1 || !strings.Contains(res.stderr, "cannot reach the Krake API at http://127.0.0.1:1") {
		t.Errorf("--context other: exit %d, stderr %q, want 1 and its API down", res.code, res.stderr)
	}
	r.must("config", "use-context", "other")
	if res := r.run("kube", "app", "list"); res.code != 1 || !strings.Contains(res.stderr, "cannot reach the Krake API at http://127.0.0.1:1") {
		t.Errorf("after use-context other: exit %d, stderr %q, want 1 and its API down", res.code, res.stderr)
	}
	// ROK_API_URL beats the context.
	r.env["ROK_API_URL"] = apiURL
	r.must("kube", "app", "list")
	if res := r.run("config", "use-context", "missing"); res.code != 2 {
		t.Errorf("use-context missing: exit %d, want 2", res.code)
	}
	data, err := os.ReadFile(filepath.Join(r.env["XDG_CONFIG_HOME"], "rok", "config.yaml"))
	if err != nil || !strings.Contains(string(data), "api_url: http://127.0.0.1:1") {
		t.Errorf("config.yaml: %v\n%s", err, data)
	}
}

// TestConfig_legacyRokYAML: the original's rok.yaml in the working
// directory still points rok at the API.
func TestConfig_legacyRokYAML(t *testing.T) {
	r := newRunner(t)
	delete(r.env, "ROK_API_URL")
	writeFile(t, r.cwd, "rok.yaml", "api_url: "+apiURL+"\nuser: alice\ntls:\n  enabled: false\n")
	out := r.must("config", "view").stdout
	if !strings.Contains(out, "api_url "+apiURL+" (from rok.yaml)") {
		t.Errorf("rok.yaml not used:\n%s", out)
	}
	r.must("kube", "app", "list")
}

// TestConfig_krakectlYAML: rok reads the original CLI's krakectl.yaml
// (api_url, user as the namespace, tls) from ./, $XDG_CONFIG_HOME/ and
// /etc/krakectl/, below rok.yaml, contexts, the environment and flags;
// `rok config view` says where each value came from.
func TestConfig_krakectlYAML(t *testing.T) {
	r := newRunner(t)
	delete(r.env, "ROK_API_URL")
	r.env["ROK_NAMESPACE"] = ""
	xdg := r.env["XDG_CONFIG_HOME"]
	writeFile(t, xdg, "krakectl.yaml", "api_url: "+apiURL+"\nuser: from-krakectl\ntls:\n  enabled: false\n")
	view := r.must("config", "view").stdout
	want := "# in effect: api_url " + apiURL + " (from " + filepath.Join(xdg, "krakectl.yaml") + "), namespace from-krakectl (from " + filepath.Join(xdg, "krakectl.yaml") + ")"
	if !strings.Contains(view, want) {
		t.Errorf("config view lacks %q:\n%s", want, view)
	}
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	if ns := r.must("kube", "app", "create", "via-krakectl-yaml", "-f", manifest, "-o", "jsonpath={.metadata.namespace}").stdout; strings.TrimSpace(ns) != "from-krakectl" {
		t.Errorf("namespace from krakectl.yaml's user = %q, want from-krakectl", ns)
	}
	// ./krakectl.yaml beats the XDG one; rok.yaml beats both; TLS is read.
	writeFile(t, r.cwd, "krakectl.yaml", "api_url: "+apiURL+"\nuser: cwd-krakectl\ntls:\n  enabled: true\n  client_ca: /ca.pem\n  client_cert: /c.pem\n  client_key: /k.pem\n")
	view = r.must("config", "view").stdout
	for _, want := range []string{"namespace cwd-krakectl (from krakectl.yaml)", `# in effect: tls ca "/ca.pem", cert "/c.pem", key "/k.pem" (from krakectl.yaml)`} {
		if !strings.Contains(view, want) {
			t.Errorf("config view lacks %q:\n%s", want, view)
		}
	}
	writeFile(t, r.cwd, "rok.yaml", "user: from-rok-yaml\n")
	view = r.must("config", "view").stdout
	if !strings.Contains(view, "api_url "+apiURL+" (from krakectl.yaml), namespace from-rok-yaml (from rok.yaml)") {
		t.Errorf("rok.yaml should beat krakectl.yaml for user only:\n%s", view)
	}
	// A context beats both files; ROK_NAMESPACE beats the context; -n beats all.
	r.must("config", "set-context", "mine", "--api-url", apiURL, "--namespace", "ctx-ns", "--use")
	if view = r.must("config", "view").stdout; !strings.Contains(view, "namespace ctx-ns (from context mine)") {
		t.Errorf("context should beat the files:\n%s", view)
	}
	r.env["ROK_NAMESPACE"] = "env-ns"
	if view = r.must("config", "view").stdout; !strings.Contains(view, "namespace env-ns (from ROK_NAMESPACE)") {
		t.Errorf("ROK_NAMESPACE should beat the context:\n%s", view)
	}
	if view = r.must("-n", "flag-ns", "config", "view").stdout; !strings.Contains(view, "namespace flag-ns (from --namespace)") {
		t.Errorf("-n should beat everything:\n%s", view)
	}
}

// TestList_pages: rok reads a list larger than one page (500) page by
// page and prints all of it, in every format.
func TestList_pages(t *testing.T) {
	r := newRunner(t)
	c, err := client.New(apiURL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := 0.0, 1.0
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range 1100 {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			m := api.MustKind("core", "Metric").New().(*api.Metric)
			m.Metadata.Name = fmt.Sprintf("m-%04d", i)
			m.Spec.Min, m.Spec.Max, m.Spec.Provider = &lo, &hi, api.MetricSpecProvider{Name: "p", Metric: "x"}
			if _, err := c.Metrics(r.namespace).Create(context.Background(), m, client.WriteOptions{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if lines := strings.Count(r.must("core", "metric", "list", "-o", "name").stdout, "\n"); lines != 1100 {
		t.Errorf("list -o name printed %d lines, want 1100", lines)
	}
	var items []any
	if err := json.Unmarshal([]byte(r.must("core", "metric", "list", "-o", "json").stdout), &items); err != nil || len(items) != 1100 {
		t.Errorf("list -o json: %d items, %v; want 1100", len(items), err)
	}
}
