package cli_test

import (
	"context"
	"strings"
	"testing"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/client"
)

// TestExplain: rok kube app explain and create --dry-run show every
// cluster's verdict, from the API's placement endpoints.
func TestExplain(t *testing.T) {
	r := newRunner(t)
	ctx := context.Background()
	c, err := client.New(apiURL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	min0, max1 := 0.0, 1.0
	gm := api.MustKind("core", "GlobalMetric").New().(*api.Metric)
	gm.Metadata.Name = "testexplain-green"
	gm.Spec.Min, gm.Spec.Max, gm.Spec.Provider = &min0, &max1, api.MetricSpecProvider{Name: "static", Metric: "green"}
	if _, err := c.GlobalMetrics().Create(ctx, gm, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	kc := writeFile(t, r.cwd, "kubeconfig", twoContextKubeconfig)
	writeFile(t, r.cwd, "ca.crt", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	for i, setup := range []struct {
		ctx, name, location string
		green               float64
	}{{"kind-one", "one", "DE", 0.3}, {"kind-two", "two", "DE", 0.8}} {
		r.must("kube", "cluster", "register", "-k", kc, "-c", setup.ctx, "-l", "location="+setup.location, "--global-metric", "testexplain-green", "1")
		cl, err := c.Clusters(r.namespace).Get(ctx, setup.name)
		if err != nil {
			t.Fatal(err)
		}
		cl.Status.State = api.StateOnline
		cl.Status.MetricValues = map[string]float64{"testexplain-green": setup.green}
		if _, err := c.Clusters(r.namespace).UpdateStatus(ctx, cl); err != nil {
			t.Fatal(err)
		}
		_ = i
	}
	r.must("kube", "cluster", "register", "-k", kc, "-c", "kind-two", "--name", "offline-one")
	manifest := writeFile(t, r.cwd, "echo.yaml", echoManifest)
	r.must("kube", "app", "create", "echo-demo", "-f", manifest, "-L", "location=DE")

	r.tty = true
	t.Run("explain_tty", func(t *testing.T) { golden(t, r.must("kube", "app", "explain", "echo-demo").stdout) })
	r.tty = false
	out := r.must("kube", "app", "explain", "echo-demo", "-o", "json").stdout
	var e placement.Explanation
	if err := json.Unmarshal([]byte(out), &e); err != nil {
		t.Fatalf("explain -o json: %v\n%s", err, out)
	}
	if e.Chosen != "two" || len(e.Clusters) != 3 || e.Clusters[0].Score == nil || e.Clusters[0].Score.Parts[0].Value != 0.8 {
		t.Errorf("explanation = %+v, want two chosen with green 0.8", e)
	}
	r.tty = true
	t.Run("create_dry_run", func(t *testing.T) {
		golden(t, r.must("kube", "app", "create", "ghost", "-f", manifest, "-L", "location=FR", "--dry-run").stdout)
	})
	if res := r.run("kube", "app", "get", "ghost"); res.code != 1 {
		t.Errorf("--dry-run stored the application (get exit %d)", res.code)
	}
	if res := r.run("kube", "app", "explain", "missing"); res.code != 1 || !strings.Contains(res.stderr, "not found") {
		t.Errorf("explain of a missing app: exit %d %s", res.code, res.stderr)
	}
	if res := r.run("kube", "app", "create", "bad-", "-f", manifest, "--dry-run"); res.code != 1 || !strings.Contains(res.stderr, "metadata.name") {
		t.Errorf("dry-run of an invalid app: exit %d %s", res.code, res.stderr)
	}
}
