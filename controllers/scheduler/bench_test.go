package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/server/servertest"
	"github.com/krake-go/krake/controllers/runtime"
	"github.com/krake-go/krake/controllers/scheduler"
)

// BenchmarkBindings measures scheduling end to end through the API: 100
// ONLINE clusters with 3 metrics each (a static provider), 10,000 pending
// applications, and the scheduler binding them all (list + watch, filter,
// score, PUT binding). It reports bindings per second.
func BenchmarkBindings(b *testing.B) {
	const clusters, apps = 100, 10000
	srv, err := servertest.Start()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(srv.URL, client.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	values := map[string]float64{}
	for i := range clusters {
		for _, m := range []string{"green", "cost", "latency"} {
			values[fmt.Sprintf("%s-%d", m, i)] = float64((i*7+len(m))%100) / 100
		}
	}
	gmp := api.MustKind("core", "GlobalMetricsProvider").New().(*api.MetricsProvider)
	gmp.Metadata.Name = "static"
	gmp.Spec = api.MetricsProviderSpec{Type: "static", Static: &api.StaticSpec{Metrics: values}}
	must(b, func() error { _, err := c.GlobalMetricsProviders().Create(ctx, gmp, client.WriteOptions{}); return err })
	lo, hi := 0.0, 1.0
	for name := range values {
		gm := api.MustKind("core", "GlobalMetric").New().(*api.Metric)
		gm.Metadata.Name = name
		gm.Spec.Min, gm.Spec.Max, gm.Spec.Provider = &lo, &hi, api.MetricSpecProvider{Name: "static", Metric: name}
		must(b, func() error { _, err := c.GlobalMetrics().Create(ctx, gm, client.WriteOptions{}); return err })
	}
	kubeconfig := map[string]any{"apiVersion": "v1", "kind": "Config", "current-context": "x",
		"clusters": []any{map[string]any{"name": "x", "cluster": map[string]any{"server": "https://127.0.0.1:1"}}},
		"users":    []any{map[string]any{"name": "u", "user": map[string]any{"token": "t"}}},
		"contexts": []any{map[string]any{"name": "x", "context": map[string]any{"cluster": "x", "user": "u"}}}}
	for i := range clusters {
		cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
		cl.Metadata.Name = fmt.Sprintf("cluster-%03d", i)
		cl.Metadata.Labels = map[string]string{"location": []string{"DE", "FR", "IT"}[i%3]}
		cl.Spec.Kubeconfig = kubeconfig
		for _, m := range []string{"green", "cost", "latency"} {
			cl.Spec.Metrics = append(cl.Spec.Metrics, api.MetricRef{Name: fmt.Sprintf("%s-%d", m, i), Weight: 1})
		}
		created, err := c.Clusters("bench").Create(ctx, cl, client.WriteOptions{})
		if err != nil {
			b.Fatal(err)
		}
		created.Status.State = api.StateOnline
		must(b, func() error { _, err := c.Clusters("bench").UpdateStatus(ctx, created); return err })
	}
	createApps(b, c, apps)

	b.Run("op=bind-10000-apps-100-clusters/clients=1", func(b *testing.B) { runBindings(b, c, apps) })
}

func runBindings(b *testing.B, c *client.Client, apps int) {
	ctx := context.Background()
	for b.Loop() {
		sctx, stop := context.WithCancel(ctx)
		start := time.Now()
		done := make(chan struct{})
		go func() {
			quiet := slog.New(slog.DiscardHandler)
			inf := runtime.NewInformers(c, quiet)
			s := scheduler.New(c, quiet, scheduler.Options{RescheduleAfter: time.Hour}, inf)
			informers := make(chan struct{})
			go func() { inf.Run(sctx); close(informers) }()
			_ = s.Start(sctx)
			<-informers
			close(done)
		}()
		for {
			list, err := c.Applications("bench").ListAll(ctx, client.ListOptions{})
			if err != nil {
				b.Fatal(err)
			}
			bound := 0
			for _, a := range list.Items {
				if a.Status.ScheduledTo != nil {
					bound++
				}
			}
			if bound == apps {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		elapsed := time.Since(start)
		stop()
		<-done
		b.ReportMetric(float64(apps)/elapsed.Seconds(), "ops/s")
		b.ReportMetric(0, "ns/op")
	}
}

func createApps(b *testing.B, c *client.Client, n int) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	manifest := api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}})
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			a := api.MustKind("kubernetes", "Application").New().(*api.Application)
			a.Metadata.Name = fmt.Sprintf("app-%05d", i)
			a.Spec.Manifest = manifest
			a.Spec.Constraints.Cluster.Labels = []string{"location in (DE, FR)"}
			if _, err := c.Applications("bench").Create(context.Background(), a, client.WriteOptions{}); err != nil {
				b.Error(err)
			}
		})
	}
	wg.Wait()
}

func must(b *testing.B, f func() error) {
	b.Helper()
	if err := f(); err != nil {
		b.Fatal(err)
	}
}
