package framework

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// RunClients runs b.N operations spread over `clients` goroutines and
// reports throughput, latency percentiles and the CPU that cpu counts
// (this process, or a server's) per second of the run, as "cores". Each
// client first runs a few untimed operations, so connections are open and
// pools warm when the clock starts: the rows measure steady state, not
// dialing. op gets a distinct i per call, warm-up calls included.
func RunClients(b *testing.B, clients int, cpu func() time.Duration, op func(ctx context.Context, i int) error) {
	b.Helper()
	RunClientsMetered(b, clients, cpu, nil, op)
}

// Meter counts the CPU time of one process taking part in a benchmark.
type Meter struct {
	Name string // a metric name without spaces, e.g. "etcd"
	CPU  func() time.Duration
}

// RunClientsMetered is RunClients that also reports, for each meter, the
// CPU its process used per operation as "<name>-us/op": where the cores
// went, so a row's ceiling on this machine can be read off (all the
// processes' CPU per operation, against the cores there are).
func RunClientsMetered(b *testing.B, clients int, cpu func() time.Duration, meters []Meter, op func(ctx context.Context, i int) error) {
	b.Helper()
	ctx := context.Background()
	const warmupPerClient = 4
	var warm sync.WaitGroup
	var warmErr atomic.Value
	for c := range clients {
		warm.Go(func() {
			for j := range warmupPerClient {
				if err := op(ctx, b.N+c*warmupPerClient+j); err != nil {
					warmErr.Store(err)
					return
				}
			}
		})
	}
	warm.Wait()
	if err, _ := warmErr.Load().(error); err != nil {
		b.Fatal(err)
	}
	latencies := make([]time.Duration, b.N)
	var next atomic.Int64
	var failed atomic.Value
	b.ResetTimer()
	cpu0 := cpu()
	meter0 := make([]time.Duration, len(meters))
	for i, m := range meters {
		meter0[i] = m.CPU()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if err := op(ctx, i); err != nil {
					failed.Store(err)
					return
				}
				latencies[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	used := cpu() - cpu0
	metered := make([]time.Duration, len(meters))
	for i, m := range meters {
		metered[i] = m.CPU() - meter0[i]
	}
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(float64(latencies[b.N/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(latencies[b.N*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(used.Seconds()/elapsed.Seconds(), "cores")
	for i, m := range meters {
		b.ReportMetric(float64(metered[i].Microseconds())/float64(b.N), m.Name+"-us/op")
	}
	b.ReportMetric(0, "ns/op") // throughput is the figure; ns/op over parallel clients misleads
}

// SelfCPU is the user and system CPU time this process has used.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ProcessCPU returns a counter of the CPU time another process has used
// (from /proc; 0 when it cannot be read).
func ProcessCPU(pid int) func() time.Duration {
	return func() time.Duration {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return 0
		}
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		utime, _ := strconv.ParseInt(fields[11], 10, 64)
		stime, _ := strconv.ParseInt(fields[12], 10, 64)
		return time.Duration(utime+stime) * 10 * time.Millisecond // USER_HZ = 100
	}
}
