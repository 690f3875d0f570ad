//go:build e2e

package e2e

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// BenchmarkDeploy measures the time from create to RUNNING of an
// application (a Deployment and a NodePort Service) on a real local
// cluster: scheduling, server-side apply and status, through krakectl
// serve. `make bench` runs it 50 times and reports P50 and P99.
func BenchmarkDeploy(b *testing.B) {
	kube := framework.StartKube(b, 1)
	krake := framework.StartKrake(b, "")
	c, err := client.New(krake.URL, client.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cluster := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
	cluster.Metadata.Name = "bench"
	kc, err := loadKubeconfigMap(kube.Kubeconfigs[0])
	if err != nil {
		b.Fatal(err)
	}
	cluster.Spec.Kubeconfig = kc
	if _, err := c.Clusters("bench").Create(b.Context(), cluster, client.WriteOptions{Blocking: api.StateOnline, Timeout: 60}); err != nil {
		b.Fatal(err)
	}
	b.Run("op=create-to-running/clients=1", func(b *testing.B) {
		var latencies []time.Duration
		i := 0
		start := time.Now()
		for b.Loop() {
			i++
			app := api.MustKind("kubernetes", "Application").New().(*api.Application)
			app.Metadata.Name = fmt.Sprintf("echo-%d-%d", b.N, i)
			app.Spec.Manifest = api.MustRawObjects(
				map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": app.Metadata.Name},
					"spec": map[string]any{"selector": map[string]any{"matchLabels": map[string]any{"app": app.Metadata.Name}},
						"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": app.Metadata.Name}},
							"spec": map[string]any{"containers": []any{map[string]any{"name": "echo", "image": "registry.k8s.io/echoserver:1.10"}}}}}},
				map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": app.Metadata.Name},
					"spec": map[string]any{"type": "NodePort", "selector": map[string]any{"app": app.Metadata.Name}, "ports": []any{map[string]any{"port": 8080}}}},
			)
			t0 := time.Now()
			got, err := c.Applications("bench").Create(b.Context(), app, client.WriteOptions{Blocking: api.StateRunning, Timeout: 60})
			latencies = append(latencies, time.Since(t0))
			if err != nil || got.Status.State != api.StateRunning {
				b.Fatalf("create %s: %v (state %v)", app.Metadata.Name, err, got)
			}
		}
		elapsed := time.Since(start)
		slices.Sort(latencies)
		b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "ops/s")
		b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(0, "ns/op")
	})
}
