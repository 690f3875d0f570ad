//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// BenchmarkFanout: the latency from a write's answer to its event at each
// of 100 or 1,000 watchers, with etcd, `krakectl api` and the watchers
// (this process) apart, over TCP. Reports P50/P99 and deliveries per
// second. Goal: P99 under 50 ms at 1,000 watchers.
func BenchmarkFanout(b *testing.B) {
	krake := framework.StartKrakeAPIArgs(b, "--etcd-endpoints", framework.StartEtcd(b, nil))
	c := newClient(b, krake.URL)
	addr := strings.TrimPrefix(krake.URL, "http://")
	for _, watchers := range []int{100, 1000} {
		b.Run(fmt.Sprintf("op=watch-fanout/clients=%d", watchers), func(b *testing.B) {
			for b.Loop() {
				fanout(b, c, addr, watchers, 100)
			}
		})
	}
}

func fanout(b *testing.B, c *client.Client, addr string, watchers, events int) {
	ns := fmt.Sprintf("fan-%d-%d", watchers, time.Now().UnixNano())
	path := "/kubernetes/namespaces/" + ns + "/applications?watch=true"
	conns := make([]net.Conn, watchers)
	for i := range conns {
		conn, err := openWatch(addr, path)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = conn
	}
	written := make([]time.Time, events)
	var mu sync.Mutex
	var latencies []float64
	var wg sync.WaitGroup
	for _, conn := range conns {
		wg.Go(func() {
			defer conn.Close()
			_ = conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
			r := bufio.NewReaderSize(conn, 64<<10)
			mine := make([]float64, 0, events)
			for len(mine) < events {
				line, err := r.ReadBytes('\n')
				if err != nil {
					b.Errorf("watcher: %v after %d events", err, len(mine))
					return
				}
				now := time.Now()
				line = bytes.TrimSpace(line)
				if len(line) == 0 || line[0] != '{' {
					continue // heartbeat or chunk framing
				}
				// The name, found without decoding the event: the
				// measuring side must cost less than what it measures.
				j := bytes.Index(line, []byte(`"name":"e-`))
				if j < 0 {
					continue
				}
				var i int
				if _, err := fmt.Sscanf(string(line[j+len(`"name":"e-`):j+len(`"name":"e-`)+4]), "%d", &i); err != nil || i >= events {
					continue
				}
				mu.Lock()
				at := written[i]
				mu.Unlock()
				mine = append(mine, float64(now.Sub(at))/float64(time.Millisecond))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		})
	}
	start := time.Now()
	for i := range events {
		mu.Lock()
		written[i] = time.Now()
		mu.Unlock()
		if _, err := c.Applications(ns).Create(context.Background(), newApp(fmt.Sprintf("e-%04d", i)), client.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(latencies) == 0 {
		b.Fatal("no event delivered")
	}
	slices.Sort(latencies)
	b.ReportMetric(latencies[len(latencies)/2], "p50-ms")
	b.ReportMetric(latencies[len(latencies)*99/100], "p99-ms")
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "ops/s")
	b.ReportMetric(0, "ns/op")
}
