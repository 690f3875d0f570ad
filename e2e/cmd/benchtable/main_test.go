package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
cpu: Intel(R) Xeon(R) Processor
goos: linux
cpu: Intel(R) Xeon(R) Processor
BenchmarkAPI/op=etcd-put/clients=64-2   20000   1.500 cores   15000 ops/s   3.0 p50-ms   11.0 p99-ms   0 ns/op
BenchmarkAPI/op=etcd-put/clients=64-2   20000   1.500 cores   20000 ops/s   2.0 p50-ms   10.0 p99-ms   0 ns/op
BenchmarkAPI/op=etcd-put/clients=64-2   20000   1.500 cores   18000 ops/s   2.5 p50-ms   10.5 p99-ms   0 ns/op
BenchmarkAPI/op=create/clients=64-2     20000   1.600 cores   11000 ops/s   5.0 p50-ms   15.0 p99-ms   0 ns/op
BenchmarkAPI/op=create/clients=64-2     20000   1.600 cores   12000 ops/s   4.0 p50-ms   14.0 p99-ms   0 ns/op
BenchmarkAPI/op=create/clients=64-2     20000   1.600 cores   10000 ops/s   6.0 p50-ms   16.0 p99-ms   0 ns/op
BenchmarkAPI/op=get/clients=1-2          5000                 9000 ops/s   0.1 p50-ms    0.3 p99-ms   0 ns/op
BenchmarkBindings/op=bind/clients=1-2       1                 2000 ops/s   0 ns/op
`

func TestWrite_mediansAndRatio(t *testing.T) {
	runs, passthrough := parse(strings.NewReader(sample))
	if len(runs) != 8 || len(passthrough) != 2 {
		t.Fatalf("parsed %d runs and %d passthrough lines, want 8 and 2", len(runs), len(passthrough))
	}
	rows := group(runs)
	if len(rows) != 4 || rows[0].op != "etcd-put" || rows[1].op != "create" || rows[2].op != "get" {
		t.Fatalf("rows = %+v, want etcd-put, create, get in first-seen order", rows)
	}
	var out strings.Builder
	write(&out, rows)
	got := out.String()
	for _, want := range []string{
		// medians: etcd 18000 of {15000, 18000, 20000}, create 11000 of {10000, 11000, 12000}
		"| etcd-put                     |      64 |    3 |      18000 |     15000–20000 |      2.50 |     10.50 |         83 |",
		"| create                       |      64 |    3 |      11000 |     10000–12000 |      5.00 |     15.00 |        145 |",
		"| get                          |       1 |    1 |       9000 |                 |      0.10 |      0.30 |            |",
		"| bind                         |       1 |    1 |       2000 |                 |         - |         - |            |",
		// 11000/18000 = 61%; CPU per op 83.3/145.5 = 57%
		"|      64 |         11000 |                  18000 |                61% |                 57% |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}

// TestWrite_cores: the side-by-side rows' CPU per process adds up, and
// krakectl's budget for the goal is what is left of the raw put's cost
// over 60% once etcd (at its raw-put cost), the load and kube-apiserver
// are paid.
func TestWrite_cores(t *testing.T) {
	in := `BenchmarkSideBySide/op=sep-etcd-put/clients=64-2   5000   1.0 cores   11000 ops/s   4.0 p50-ms   12.0 p99-ms   90 etcd-us/op   1 krake-us/op   2 kube-us/op   57 load-us/op   0 ns/op
BenchmarkSideBySide/op=sep-create/clients=64-2   5000   0.7 cores   3500 ops/s   16.0 p50-ms   40.0 p99-ms   110 etcd-us/op   220 krake-us/op   5 kube-us/op   125 load-us/op   0 ns/op
BenchmarkSideBySide/op=sep-kube-create/clients=64-2   5000   0.9 cores   1400 ops/s   40.0 p50-ms   90.0 p99-ms   300 etcd-us/op   3 krake-us/op   900 kube-us/op   197 load-us/op   0 ns/op
`
	runs, _ := parse(strings.NewReader(in))
	var out strings.Builder
	write(&out, group(runs))
	got := out.String()
	for _, want := range []string{
		// 90+1+2+57 = 150 µs: 2 cores allow 13333/s.
		"|      64 | sep-etcd-put    |         90 |                  1 |                    2 |         57 |       150 |                 13333 |                            |                        |",
		// 110+220+5+125 = 460 µs: 4348/s; 150/460 = 33%; budget 150/0.6 - (90+5+125) = 30 µs.
		"|      64 | sep-create      |        110 |                220 |                    5 |        125 |       460 |                  4348 |                        33% |                     30 |",
		"|      64 | sep-kube-create |        300 |                  3 |                  900 |        197 |      1400 |                  1429 |                            |                        |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
