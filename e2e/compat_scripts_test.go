//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/krake-go/krake/e2e/framework"
)

// compatScripts are shell snippets in the style of scripts written for
// the original CLI: each runs rok (on PATH) against a real krakectl serve
// and checks exit codes and output the way such scripts do. A snippet
// passes when it exits 0.
var compatScripts = []struct{ name, script string }{
	{"a missing app exits 1", `rok kube app get missing; test $? -eq 1`},
	{"the error line names the status and title", `rok kube app get missing 2>err; grep -q '^Error: 404 NOT_FOUND_ERROR: application "missing" in namespace "compat" not found$' err`},
	{"creating a name twice exits 1 with RESOURCE_ALREADY_EXISTS",
		`rok kube app create twice -f echo.yaml >/dev/null && { rok kube app create twice -f echo.yaml 2>err; test $? -eq 1; } && grep -q '409 RESOURCE_ALREADY_EXISTS' err`},
	{"an invalid app exits 1 with VALIDATION_ERROR", `rok kube app create bad- -f echo.yaml 2>err; test $? -eq 1 && grep -q '422 VALIDATION_ERROR' err`},
	{"an unreachable API exits 1", `rok --api-url http://127.0.0.1:1 kube app list; test $? -eq 1`},
	{"a usage mistake exits 2", `rok kube app frobnicate; test $? -eq 2`},
	{"-o json puts the problem document on stderr",
		`rok kube app get missing -o json 2>err.json >out; test $? -eq 1 && test ! -s out && grep -q '"title": "NOT_FOUND_ERROR"' err.json && grep -q '"type": "urn:krake:problem/not-found-error"' err.json`},
	{"-o yaml puts the problem document on stderr", `rok kube app get missing -o yaml 2>err.yaml; test $? -eq 1 && grep -q '^title: NOT_FOUND_ERROR$' err.yaml`},
	{"global metrics take --gmp-name",
		`rok core gm create compat-gm --min 0 --max 1 --gmp-name compat-p >/dev/null && test "$(rok core gm get compat-gm -o jsonpath='{.spec.provider.name}')" = compat-p`},
	{"a static provider's update replaces its values",
		`rok core gmp create compat-static --type static -m a 1 -m b 2 >/dev/null && rok core gmp update compat-static -m a 3 >/dev/null &&
		 test "$(rok core gmp get compat-static -o jsonpath='{.spec.static.metrics}')" = '{"a":3}'`},
	{"rok infra has the original's names, verb and flags",
		`rok infra gip register compat-im --type im --url http://127.0.0.1:8800 --user u --password p >/dev/null &&
		 rok infra gcloud register compat-os --type openstack --url https://127.0.0.1:5000/v3 --user u --password p --project demo --domain-name D --domain-id d --global-infra-provider compat-im >/dev/null &&
		 rok infra globalinfrastructureprovider get compat-im -o name | grep -q compat-im && rok infra globalcloud list -o name | grep -q compat-os`},
	{"an infrastructure update that changes nothing exits 1 with UPDATE_ERROR",
		`rok infra gip register compat-same --url http://127.0.0.1:8800 --user u --password p >/dev/null && { rok infra gip update compat-same --url http://127.0.0.1:8800 2>err; test $? -eq 1; } && grep -q '400 UPDATE_ERROR' err`},
	{"a metrics provider URL without a scheme is accepted as given",
		`rok core gmp create compat-bare --type prometheus --url 1.2.3.4:9090 >/dev/null && test "$(rok core gmp get compat-bare -o jsonpath='{.spec.prometheus.url}')" = 1.2.3.4:9090`},
	{"a role without rules and a binding without users are valid",
		`curl -sf -X POST -H 'Content-Type: application/json' -d '{"metadata":{"name":"compat-empty"},"rules":[]}' "$ROK_API_URL/core/roles" >/dev/null &&
		 curl -sf -X POST -H 'Content-Type: application/json' -d '{"metadata":{"name":"compat-empty"},"users":[],"roles":[]}' "$ROK_API_URL/core/rolebindings" >/dev/null`},
	{"a deleted role is gone at once and its name is free again",
		`rok core role create compat-gone --api kubernetes --resource applications --verb get >/dev/null && rok core role delete compat-gone >/dev/null &&
		 for i in $(seq 50); do rok core role get compat-gone >/dev/null 2>&1 || break; sleep 0.1; done; { rok core role get compat-gone 2>/dev/null; test $? -eq 1; } &&
		 rok core role create compat-gone --api kubernetes --resource applications --verb get >/dev/null`},
	{"a cluster is named after the kubeconfig's cluster entry",
		`rok kube cluster register -k kubeconfig >/dev/null && rok kube cluster get entry-name -o name | grep -q entry-name`},
	{"krakectl.yaml's user is the namespace",
		`mkdir -p sub && cd sub && printf 'api_url: %s\nuser: from-krakectl-yaml\n' "$ROK_API_URL" > krakectl.yaml &&
		 env -u ROK_NAMESPACE -u ROK_API_URL rok kube app create via-yaml -f ../echo.yaml -o jsonpath='{.metadata.namespace}' | grep -qx from-krakectl-yaml`},
	{"reason codes are names", `rok kube app create waits -f echo.yaml -L 'location=Nowhere' >/dev/null &&
		 for i in $(seq 100); do code=$(rok kube app get waits -o jsonpath='{.status.reason.code}'); test "$code" = NO_SUITABLE_RESOURCE && break; sleep 0.1; done; test "$code" = NO_SUITABLE_RESOURCE`},
}

const compatKubeconfig = `apiVersion: v1
kind: Config
current-context: ctx-name
clusters:
- name: entry-name
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: t}
contexts:
- name: ctx-name
  context: {cluster: entry-name, user: u}
`

// TestCompatScripts runs compatScripts against a real krakectl serve.
func TestCompatScripts(t *testing.T) {
	krake := framework.StartKrake(t, "")
	bin := framework.Binaries(t)
	dir := t.TempDir()
	manifest, err := os.ReadFile(filepath.Join(framework.ModuleRoot(t), "manifests/echo-demo/echo-demo.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"echo.yaml": string(manifest), "kubeconfig": compatKubeconfig} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"ROK_API_URL="+krake.URL, "ROK_NAMESPACE=compat", "XDG_CONFIG_HOME="+t.TempDir(), "NO_COLOR=1")
	for _, tc := range compatScripts {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command("bash", "-c", tc.script)
			cmd.Dir, cmd.Env = dir, env
			out, err := cmd.CombinedOutput()
			if err != nil {
				errText, _ := os.ReadFile(filepath.Join(dir, "err"))
				t.Errorf("script failed (%v):\n%s\n--- output\n%s\n--- err file\n%s", err, strings.TrimSpace(tc.script), out, errText)
			}
		})
	}
}
