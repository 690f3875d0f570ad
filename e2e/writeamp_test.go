//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// unschedulable creates n apps in ns that no cluster can take yet and
// waits until each says so (NO_SUITABLE_RESOURCE).
func unschedulable(tb testing.TB, c *client.Client, ns string, n int) {
	tb.Helper()
	framework.ForEach(tb, n, 32, func(i int) error {
		_, err := c.Applications(ns).Create(context.Background(), newApp(fmt.Sprintf("waiting-%05d", i)), client.WriteOptions{})
		return err
	})
	deadline := time.Now().Add(5 * time.Minute)
	for {
		list, err := c.Applications(ns).ListAll(context.Background(), client.ListOptions{Limit: 1000})
		if err != nil {
			tb.Fatal(err)
		}
		waiting := 0
		for _, a := range list.Items {
			if a.Status.Reason != nil && a.Status.Reason.Code == api.ReasonNoSuitableResource {
				waiting++
			}
		}
		if waiting == n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d of %d apps say NO_SUITABLE_RESOURCE after 5 minutes", waiting, n)
		}
		time.Sleep(time.Second)
	}
}

// revision is the store's current revision, as a list reports it.
func revision(tb testing.TB, c *client.Client) int64 {
	tb.Helper()
	list, err := c.Applications("no-such-namespace").List(context.Background(), client.ListOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	rv, err := strconv.ParseInt(list.Metadata.ResourceVersion, 10, 64)
	if err != nil {
		tb.Fatal(err)
	}
	return rv
}

// steadyState measures writes (etcd revisions) per second and the
// server's CPU share over d.
func steadyState(tb testing.TB, c *client.Client, pid int, d time.Duration) (writesPerSecond, cpuShare float64) {
	tb.Helper()
	cpu := framework.ProcessCPU(pid)
	rev0, cpu0, start := revision(tb, c), cpu(), time.Now()
	time.Sleep(d)
	rev1, cpu1, elapsed := revision(tb, c), cpu(), time.Since(start).Seconds()
	return float64(rev1-rev0) / elapsed, (cpu1 - cpu0).Seconds() / elapsed
}

// onlineCluster registers a cluster and marks it ONLINE through the API
// (no cluster controller runs: only the scheduler's work is measured).
func onlineCluster(tb testing.TB, c *client.Client, ns string) {
	tb.Helper()
	cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
	cl.Metadata.Name = "late"
	cl.Spec.Kubeconfig = map[string]any{"apiVersion": "v1", "kind": "Config", "current-context": "x",
		"clusters": []any{map[string]any{"name": "x", "cluster": map[string]any{"server": "https://127.0.0.1:1"}}},
		"users":    []any{map[string]any{"name": "u", "user": map[string]any{"token": "t"}}},
		"contexts": []any{map[string]any{"name": "x", "context": map[string]any{"cluster": "x", "user": "u"}}}}
	created, err := c.Clusters(ns).Create(context.Background(), cl, client.WriteOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	created.Status.State = api.StateOnline
	if _, err := c.Clusters(ns).UpdateStatus(context.Background(), created); err != nil {
		tb.Fatal(err)
	}
}

// TestWriteAmplification: apps that no cluster can take cost no writes
// once they have said why (they used to rewrite their status every second
// each), and a cluster that appears takes them at once, not after their
// back-off. CPU is logged; its number lives in BenchmarkUnschedulable.
func TestWriteAmplification(t *testing.T) {
	const apps = 2000
	krake := framework.StartKrake(t, "", "--controllers=scheduler")
	c := newClient(t, krake.URL)
	unschedulable(t, c, "amp", apps)
	writes, cpu := steadyState(t, c, krake.PID(), 20*time.Second)
	t.Logf("%d unschedulable apps: %.2f writes/s, %.1f%% of a core", apps, writes, 100*cpu)
	if writes >= 5 {
		t.Errorf("%d unschedulable apps cost %.1f writes/s in steady state, want under 5", apps, writes)
	}
	onlineCluster(t, c, "amp")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		list, err := c.Applications("amp").ListAll(context.Background(), client.ListOptions{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		bound := 0
		for _, a := range list.Items {
			if a.Status.ScheduledTo != nil {
				bound++
			}
		}
		if bound == apps {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d apps bound 2 minutes after a cluster appeared", bound, apps)
		}
		time.Sleep(time.Second)
	}
}

// BenchmarkUnschedulable: 10,000 apps no cluster can take, 60 s of
// steady state in a separate krakectl serve process (embedded etcd):
// writes/s and the share of a core it costs. Goal: under 5 and under 5%.
func BenchmarkUnschedulable(b *testing.B) {
	for b.Loop() {
		krake := framework.StartKrake(b, "", "--controllers=scheduler")
		c := newClient(b, krake.URL)
		unschedulable(b, c, "amp", 10000)
		writes, cpu := steadyState(b, c, krake.PID(), 60*time.Second)
		b.ReportMetric(writes, "writes/s")
		b.ReportMetric(100*cpu, "cpu%")
		b.ReportMetric(0, "ns/op")
	}
}
