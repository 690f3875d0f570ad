package cli_test

import (
	"strings"
	"testing"
)

// TestErrors: every failure is one or two lines on stderr (or, under -o
// json|yaml, the problem document), nothing on stdout, and exit 1 (2 for
// usage mistakes), as the original CLI and kubectl.
func TestErrors(t *testing.T) {
	r := newRunner(t)
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	badYAML := writeFile(t, r.cwd, "bad.yaml", "apiVersion: v1\nkind: [Service\n")
	notObject := writeFile(t, r.cwd, "list.yaml", "- a\n- b\n")
	noContexts := writeFile(t, r.cwd, "empty-kubeconfig.yaml", "apiVersion: v1\nkind: Config\nclusters: []\n")
	twoContexts := writeFile(t, r.cwd, "two-kubeconfig.yaml", "apiVersion: v1\nkind: Config\ncontexts:\n- name: a\n  context: {cluster: a, user: a}\n- name: b\n  context: {cluster: b, user: b}\n")
	r.must("kube", "app", "create", "exists", "-f", manifest)

	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		wantCode   int
		wantStderr []string
	}{
		{"server down", map[string]string{"ROK_API_URL": "http://127.0.0.1:1"}, []string{"kube", "app", "list"}, 1,
			[]string{"cannot reach the Krake API at http://127.0.0.1:1: connection refused", "Is Krake running (http://127.0.0.1:1 from ROK_API_URL)?"}},
		{"not found", nil, []string{"kube", "app", "get", "missing"}, 1,
			[]string{`Error: 404 NOT_FOUND_ERROR: application "missing" in namespace "testerrors" not found`}},
		{"already exists", nil, []string{"kube", "app", "create", "exists", "-f", manifest}, 1,
			[]string{`Error: 409 RESOURCE_ALREADY_EXISTS: application "exists" in namespace "testerrors" already exists`}},
		{"invalid with field detail", nil, []string{"kube", "app", "create", "bad-", "-f", manifest, "-L", "location ~ DE"}, 1,
			[]string{"Error: 422 VALIDATION_ERROR", "  metadata.name: \"bad-\" must start and end", "  spec.constraints.cluster.labels[0]: unknown operator"}},
		{"bad YAML file", nil, []string{"kube", "app", "create", "x", "-f", badYAML}, 1,
			[]string{"bad.yaml: document 1 is not valid YAML"}},
		{"manifest not an object", nil, []string{"kube", "app", "create", "x", "-f", notObject}, 1,
			[]string{"document 1 is not a Kubernetes object"}},
		{"missing file", nil, []string{"kube", "app", "create", "x", "-f", "/nonexistent.yaml"}, 1,
			[]string{"read manifest", "no such file"}},
		{"missing -f", nil, []string{"kube", "app", "create", "x"}, 2,
			[]string{"give the application's Kubernetes manifest with -f FILE", "Run 'rok kube app create --help' for usage."}},
		{"missing name", nil, []string{"kube", "app", "get"}, 2, []string{"give the name of the application"}},
		{"unknown flag", nil, []string{"kube", "app", "list", "--colour"}, 2, []string{"unknown flag: --colour"}},
		{"unknown command", nil, []string{"kube", "apps", "frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{"unknown top-level command, with cobra's suggestion", nil, []string{"kub"}, 2, []string{`unknown command "kub" for "rok"`, "Did you mean this?\n\tkube"}},
		{"too many arguments", nil, []string{"version", "extra"}, 2, []string{`unknown command "extra" for "rok version"`}},
		{"bad output format", nil, []string{"kube", "app", "list", "-o", "xml"}, 2, []string{`-o "xml" is not a format`}},
		{"sort by a field no item has", nil, []string{"kube", "app", "list", "--sort-by", ".metadata.nmae"}, 1,
			[]string{"--sort-by .metadata.nmae: no item has this field; give a path as -o json shows it"}},
		{"bad jsonpath", nil, []string{"kube", "app", "list", "-o", "jsonpath={.items[}"}, 2, []string{"-o jsonpath"}},
		{"conflicting flags", nil, []string{"kube", "app", "update", "exists", "--enable-migration", "--disable-migration"}, 2,
			[]string{"--enable-migration and --disable-migration cannot be used together"}},
		{"bad metric pair", nil, []string{"kube", "cluster", "register", "-k", manifest, "--metric", "heat", "hot"}, 2,
			[]string{`--metric heat: "hot" is not a number`}},
		{"kubeconfig without contexts", nil, []string{"kube", "cluster", "register", "-k", noContexts}, 1,
			[]string{"empty-kubeconfig.yaml defines no contexts"}},
		{"kubeconfig with two contexts and no current one", nil, []string{"kube", "cluster", "register", "-k", twoContexts}, 2,
			[]string{"has no current context; choose one with -c CONTEXT (it has a, b)"}},
		{"kubeconfig without the context asked for", nil, []string{"kube", "cluster", "register", "-k", twoContexts, "-c", "z"}, 2,
			[]string{`has no context "z" (it has a, b)`}},
		{"unknown context", nil, []string{"--context", "nowhere", "kube", "app", "list"}, 1,
			[]string{`context "nowhere" is not in the configuration`}},
		{"bad API URL", map[string]string{"ROK_API_URL": "localhost:8080"}, []string{"kube", "app", "list"}, 2,
			[]string{"must look like http://host:port", "from ROK_API_URL"}},
		{"retry of a pending app", nil, []string{"kube", "app", "retry", "exists"}, 1, []string{"409 INVALID_STATE", "only FAILED or DEGRADED"}},
		{"not found as a JSON problem", nil, []string{"kube", "app", "get", "missing", "-o", "json"}, 1,
			[]string{`"title": "NOT_FOUND_ERROR"`, `"status": 404`, `"type": "urn:krake:problem/not-found-error"`}},
		{"conflict as a YAML problem", nil, []string{"kube", "app", "create", "exists", "-f", manifest, "-o", "yaml"}, 1,
			[]string{"title: RESOURCE_ALREADY_EXISTS", "status: 409", "detail: application \"exists\" in namespace \"testerrors\" already exists"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := r.env
			r.env = map[string]string{}
			for k, v := range saved {
				r.env[k] = v
			}
			for k, v := range tt.env {
				r.env[k] = v
			}
			defer func() { r.env = saved }()
			res := r.run(tt.args...)
			if res.code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr: %s", res.code, tt.wantCode, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("stdout = %q, want nothing on failure", res.stdout)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, res.stderr)
				}
			}
		})
	}
}
