//go:build e2e

package e2e

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/e2e/framework"
)

// TestSecureWalkthrough is the walkthrough on a set-up made by `krakectl
// config generate`: mTLS everywhere, RBAC on. The in-process controllers
// act as their own least-privilege users, the scheduler runs apart with
// its own certificate, rok talks as the admin of the generated context,
// a tenant made from bootstrap/tenant-template.yaml sees only its
// namespace, a workload's complete hook verifies the API with the CA
// bundle Krake gave it, and no controller is ever refused nor any kubeconfig secret
// logged.
func TestSecureWalkthrough(t *testing.T) {
	kube := framework.StartKube(t, 1)
	bin := framework.Binaries(t)
	dir := t.TempDir()
	addr := framework.FreeAddr(t)
	krakectl := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(filepath.Join(bin, "krakectl"), args...).CombinedOutput()
		if err != nil {
			t.Fatalf("krakectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	krakectl("config", "generate", "--dir", dir, "--listen", addr)
	pkiDir := filepath.Join(dir, "pki")
	url := "https://" + addr
	krake := framework.Start(t, "krakectl", "serve", "--config", filepath.Join(dir, "krake.yaml"),
		"--controllers=application,cluster,gc", "--probe-interval", "1s", "--resync", "2s", "--log-level", "debug")
	scheduler := framework.Start(t, "krakectl", "controller", "scheduler", "--api-url", url,
		"--api-ca-file", filepath.Join(pkiDir, "ca.crt"), "--api-cert", filepath.Join(pkiDir, "system-scheduler.crt"),
		"--api-key", filepath.Join(pkiDir, "system-scheduler.key"), "--log-level", "debug")

	var rokEnv []string // more environment for the next rok
	rok := func(home string, args ...string) (string, string, error) {
		t.Helper()
		cmd := exec.Command(filepath.Join(bin, "rok"), args...)
		cmd.Env = append(append(os.Environ(), "XDG_CONFIG_HOME="+home, "ROK_NAMESPACE=walk"), rokEnv...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		return string(out), stderr.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, stderr, err := rok(dir, args...)
		if err != nil {
			t.Fatalf("rok %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return out
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _, err := rok(dir, "whoami")
		if err == nil {
			if !strings.Contains(out, "admin") || !strings.Contains(out, "system:masters") {
				t.Fatalf("rok whoami = %q, want admin in system:masters", out)
			}
			break
		}
		if time.Now().After(deadline) || krake.Exited() {
			t.Fatalf("Krake did not answer rok over mTLS: %v\n%s", err, krake.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}

	out := must("kube", "cluster", "register", "-k", kube.Kubeconfigs[0], "--wait", "--timeout", "30s", "-o", "jsonpath={.status.state}")
	if strings.TrimSpace(out) != api.StateOnline {
		t.Fatalf("registered cluster is %q, want ONLINE", out)
	}
	out = must("kube", "app", "create", "echo-demo", "-f", filepath.Join(framework.ModuleRoot(t), "manifests/echo-demo/echo-demo.yaml"),
		"--wait", "--timeout", "60s", "-o", "json")
	var app api.Application
	if err := json.Unmarshal([]byte(out), &app); err != nil {
		t.Fatal(err)
	}
	if app.Status.State != api.StateRunning || app.Status.RunningOn == nil || app.Status.Services["echo-demo"] == "" {
		t.Fatalf("echo-demo is %s on %v with services %v, want RUNNING with a service", app.Status.State, app.Status.RunningOn, app.Status.Services)
	}
	if got := kubectl(t, kube, kube.Kubeconfigs[0], "get", "deployment", "echo-demo", "-o", "name"); !strings.Contains(got, "deployment.apps/echo-demo") {
		t.Errorf("kubectl shows %q, want the Deployment", got)
	}
	// The admin reads the kubeconfig in clear; the viewer-less tenant never.
	if kc := must("kube", "cluster", "get", "cluster-1", "-o", "json"); strings.Contains(kc, "REDACTED") {
		t.Errorf("the admin's cluster get is redacted")
	}

	// A tenant from the template: alice (group team-a) may work in team-a
	// and nowhere else.
	krakectl("bootstrap", "--set", "TENANT=team-a", filepath.Join(framework.ModuleRoot(t), "bootstrap", "tenant-template.yaml"),
		"--api-url", url, "--api-ca-file", filepath.Join(pkiDir, "ca.crt"), "--api-token-file", filepath.Join(dir, "admin.token"))
	krakectl("certs", "issue", "alice", "--group", "team-a", "--dir", pkiDir)
	aliceHome := t.TempDir()
	if _, stderr, err := rok(aliceHome, "config", "set-context", "alice", "--api-url", url, "--ca", filepath.Join(pkiDir, "ca.crt"),
		"--cert", filepath.Join(pkiDir, "alice.crt"), "--key", filepath.Join(pkiDir, "alice.key"), "--use"); err != nil {
		t.Fatalf("rok config set-context: %v %s", err, stderr)
	}
	deadline = time.Now().Add(5 * time.Second)
	for {
		_, stderr, err := rok(aliceHome, "kube", "app", "list", "-n", "team-a")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alice lists team-a: %v %s", err, stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, stderr, err := rok(aliceHome, "kube", "app", "get", "echo-demo", "-n", "walk")
	if err == nil || !strings.Contains(stderr, "403") || !strings.Contains(stderr, `"alice"`) {
		t.Errorf("alice gets echo-demo in walk: %v %q, want 403 naming alice", err, stderr)
	}
	if out, _, err := rok(aliceHome, "kube", "app", "list", "-A", "-o", "name"); err != nil || strings.Contains(out, "echo-demo") {
		t.Errorf("alice lists all namespaces: %q %v, want none of walk's apps", out, err)
	}
	// Roles under RBAC: the admin reads them, the tenant may not.
	if roles := must("core", "role", "list", "-o", "name"); !strings.Contains(roles, "system:scheduler") || !strings.Contains(roles, "tenant:team-a") {
		t.Errorf("the admin's role list lacks the base or the tenant's role:\n%s", roles)
	}
	if _, stderr, err := rok(aliceHome, "core", "role", "list"); err == nil || !strings.Contains(stderr, "403") || !strings.Contains(stderr, "core/roles") {
		t.Errorf("alice lists roles: %v %q, want 403 naming core/roles", err, stderr)
	}
	// A context without a CA trusts the system's, which SSL_CERT_FILE sets.
	noCA := t.TempDir()
	if _, stderr, err := rok(noCA, "config", "set-context", "alice", "--api-url", url,
		"--cert", filepath.Join(pkiDir, "alice.crt"), "--key", filepath.Join(pkiDir, "alice.key"), "--use"); err != nil {
		t.Fatalf("rok config set-context: %v %s", err, stderr)
	}
	if _, stderr, err := rok(noCA, "whoami"); err == nil || !strings.Contains(stderr, "certificate") {
		t.Errorf("without the CA anywhere: %v %q, want a certificate error", err, stderr)
	}
	rokEnv = []string{"SSL_CERT_FILE=" + filepath.Join(pkiDir, "ca.crt")}
	if out, stderr, err := rok(noCA, "whoami"); err != nil || !strings.Contains(out, "alice") {
		t.Errorf("with SSL_CERT_FILE: %q %v %s, want alice", out, err, stderr)
	}
	rokEnv = nil

	// The complete hook over TLS: the workload finds the CA bundle in its
	// Secret, mounted at KRAKE_CA_FILE, and verifies the API with it alone.
	manifest := filepath.Join(t.TempDir(), "job.yaml")
	if err := os.WriteFile(manifest, []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: batch}\nspec:\n  replicas: 1\n"+
		"  selector: {matchLabels: {app: batch}}\n  template:\n    metadata: {labels: {app: batch}}\n"+
		"    spec: {containers: [{name: work, image: registry.k8s.io/echoserver:1.10}]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	must("kube", "app", "create", "batch-job", "-f", manifest, "--hook-complete", "--wait", "--timeout", "60s")
	spec := kubectl(t, kube, kube.Kubeconfigs[0], "get", "deployment", "batch", "-o", "jsonpath={.spec.template.spec}")
	for _, want := range []string{`"name":"KRAKE_CA_FILE","value":"/etc/krake/hook/ca.pem"`, `"mountPath":"/etc/krake/hook"`, `"secretName":"krake-complete-batch-job"`} {
		if !strings.Contains(spec, want) {
			t.Errorf("the workload's pod spec lacks %s:\n%s", want, spec)
		}
	}
	decode := func(field string) []byte {
		t.Helper()
		raw, err := base64.StdEncoding.DecodeString(kubectl(t, kube, kube.Kubeconfigs[0], "get", "secret", "krake-complete-batch-job", "-o", "jsonpath={.data."+field+"}"))
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	caPEM, hookToken := decode(`ca\.pem`), decode("token")
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatalf("the hook Secret's ca.pem holds no certificate: %q", caPEM)
	}
	workload := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	req, _ := http.NewRequest(http.MethodPut, url+"/kubernetes/namespaces/walk/applications/batch-job/complete", strings.NewReader(`{"token":"`+string(hookToken)+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := workload.Do(req)
	if err != nil {
		t.Fatalf("the workload's callback over TLS with the Secret's CA: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the workload's callback: %s, want 200", resp.Status)
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		if _, _, err := rok(dir, "kube", "app", "get", "batch-job"); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("batch-job still exists 30 s after its complete hook")
		}
		time.Sleep(200 * time.Millisecond)
	}

	must("kube", "app", "delete", "echo-demo", "--wait", "--timeout", "60s")
	must("kube", "cluster", "delete", "cluster-1", "--wait", "--timeout", "30s")

	// No controller was refused anything; no kubeconfig secret was logged.
	kcData, err := os.ReadFile(kube.Kubeconfigs[0])
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	for _, line := range strings.Split(string(kcData), "\n") {
		for _, key := range []string{"client-key-data:", "token:"} {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), key); ok && len(strings.TrimSpace(v)) > 16 {
				secrets = append(secrets, strings.TrimSpace(v))
			}
		}
	}
	if len(secrets) == 0 {
		t.Fatal("the cluster's kubeconfig holds no key or token to look for")
	}
	// The only 403s the server logs are alice's.
	if n := strings.Count(krake.Output(), "status=403"); n != 2 {
		t.Errorf("the server answered 403 %d times, want 2 (alice's get in walk, her role list): a controller was refused something", n)
	}
	for name, log := range map[string]string{"krakectl serve": krake.Output(), "scheduler": scheduler.Output()} {
		if strings.Contains(strings.ToLower(log), "forbidden") {
			t.Errorf("%s was refused something under its least-privilege role:\n%s", name, log)
		}
		for _, s := range secrets {
			if strings.Contains(log, s[:16]) {
				t.Errorf("%s logged a kubeconfig secret", name)
			}
		}
	}
}
