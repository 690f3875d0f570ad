//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

const cliObjects = 1000

// BenchmarkCLI compares `rok kube app list` on 1,000 applications with
// `kubectl get deployments -A` on 1,000 deployments of a real local
// kube-apiserver: process start-up, one list request, and a table printed
// to a pipe. `make bench` prints it next to the API table.
func BenchmarkCLI(b *testing.B) {
	krake := framework.StartKrake(b, "")
	c, err := client.New(krake.URL, client.Options{})
	if err != nil {
		b.Fatal(err)
	}
	framework.ForEach(b, cliObjects, 16, func(i int) error {
		_, err := c.Applications("bench").Create(context.Background(), newApp(fmt.Sprintf("app-%04d", i)), client.WriteOptions{})
		return err
	})

	kube := framework.StartKube(b, 1)
	var manifest strings.Builder
	for i := range cliObjects {
		fmt.Fprintf(&manifest, `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: echo-%04d, namespace: default}
spec:
  replicas: 0
  selector: {matchLabels: {app: echo-%04d}}
  template:
    metadata: {labels: {app: echo-%04d}}
    spec: {containers: [{name: echo, image: registry.k8s.io/echoserver:1.10}]}
`, i, i, i)
	}
	path := filepath.Join(b.TempDir(), "deployments.yaml")
	if err := os.WriteFile(path, []byte(manifest.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command(kube.Kubectl, "--kubeconfig", kube.Kubeconfigs[0], "apply", "--server-side", "-f", path).CombinedOutput(); err != nil {
		b.Fatalf("kubectl apply: %v\n%s", err, out)
	}

	rok := filepath.Join(framework.Binaries(b), "rok")
	for _, tc := range []struct {
		name string
		cmd  func() *exec.Cmd
		want int
	}{
		{"rok-app-list-1000", func() *exec.Cmd {
			cmd := exec.Command(rok, "kube", "app", "list", "-n", "bench")
			cmd.Env = append(os.Environ(), "ROK_API_URL="+krake.URL, "XDG_CONFIG_HOME="+b.TempDir())
			return cmd
		}, cliObjects + 1},
		{"kubectl-get-deploy-1000", func() *exec.Cmd {
			return exec.Command(kube.Kubectl, "--kubeconfig", kube.Kubeconfigs[0], "get", "deployments", "-A")
		}, cliObjects + 1},
	} {
		b.Run("op="+tc.name+"/clients=1", func(b *testing.B) {
			var latencies []time.Duration
			start := time.Now()
			for b.Loop() {
				t0 := time.Now()
				out, err := tc.cmd().Output()
				latencies = append(latencies, time.Since(t0))
				if err != nil {
					b.Fatalf("%s: %v", tc.name, err)
				}
				if lines := strings.Count(string(out), "\n"); lines != tc.want {
					b.Fatalf("%s printed %d lines, want %d", tc.name, lines, tc.want)
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
}
