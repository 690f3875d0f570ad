package placement_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
)

// BenchmarkExplain is one placement decision for an app with a label and
// a metric constraint over 100 and 1,000 clusters with 3 metrics each.
func BenchmarkExplain(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("op=decide-%d-clusters/clients=1", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			cands := make([]placement.Candidate, n)
			for i := range cands {
				cl := cluster(fmt.Sprintf("c%04d", i), api.StateOnline, map[string]string{"location": []string{"DE", "FR", "IT"}[i%3]})
				cands[i] = placement.Candidate{Cluster: cl, Metrics: []placement.MetricValue{
					{Name: "green", Value: rng.Float64(), Min: 0, Max: 1, Weight: 2},
					{Name: "cost", Value: rng.Float64() * 100, Min: 0, Max: 100, Weight: 1},
					{Name: "latency", Value: rng.Float64() * 50, Min: 0, Max: 50, Weight: 1},
				}}
			}
			a := app([]string{"location in (DE, FR)"}, nil, []string{"latency < 40"})
			var latencies []time.Duration
			start := time.Now()
			for b.Loop() {
				t0 := time.Now()
				if e := placement.Explain(a, cands, placement.DefaultStickiness, rng); e.Chosen == "" {
					b.Fatal("nothing chosen")
				}
				latencies = append(latencies, time.Since(t0))
			}
			elapsed := time.Since(start)
			slices.Sort(latencies)
			b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "ops/s")
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
