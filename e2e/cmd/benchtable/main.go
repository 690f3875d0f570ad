// Command benchtable turns `go test -bench` output into the tables that
// `make bench` prints and docs/benchmarks.md records. It reads benchmark
// lines named Benchmark<Group>/op=<op>/clients=<n> with custom metrics
// (ops/s, p50-ms, p99-ms), prints one row per op and client count, and
// the ratio of API creates to raw etcd puts at each client count.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

type row struct {
	op      string
	clients int
	metrics map[string]float64
}

var lineRE = regexp.MustCompile(`^Benchmark\w+/op=([\w-]+)/clients=(\d+)(-\d+)?\s+\d+\s+(.*)$`)

func parse(r io.Reader) ([]row, []string) {
	var rows []row
	var passthrough []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		m := lineRE.FindStringSubmatch(line)
		if m == nil {
			if strings.HasPrefix(line, "cpu:") || strings.HasPrefix(line, "goos:") || strings.HasPrefix(line, "FAIL") || strings.Contains(line, "--- FAIL") {
				passthrough = append(passthrough, line)
			}
			continue
		}
		clients, _ := strconv.Atoi(m[2])
		metrics := map[string]float64{}
		fields := strings.Fields(m[4])
		for i := 0; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				metrics[fields[i+1]] = v
			}
		}
		rows = append(rows, row{op: m[1], clients: clients, metrics: metrics})
	}
	return rows, passthrough
}

func main() {
	rows, passthrough := parse(os.Stdin)
	for _, line := range passthrough {
		fmt.Println(line)
	}
	if len(rows) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark lines on stdin")
		os.Exit(1)
	}
	fmt.Println()
	fmt.Printf("| %-20s | %7s | %10s | %9s | %9s |\n", "operation", "clients", "ops/s", "p50 ms", "p99 ms")
	fmt.Printf("|%s|%s|%s|%s|%s|\n", strings.Repeat("-", 22), strings.Repeat("-", 9), strings.Repeat("-", 12), strings.Repeat("-", 11), strings.Repeat("-", 11))
	for _, r := range rows {
		fmt.Printf("| %-20s | %7d | %10.0f | %9.2f | %9.2f |\n", r.op, r.clients, r.metrics["ops/s"], r.metrics["p50-ms"], r.metrics["p99-ms"])
	}
	byKey := map[string]float64{}
	var clients []int
	for _, r := range rows {
		byKey[r.op+"/"+strconv.Itoa(r.clients)] = r.metrics["ops/s"]
		if !slices.Contains(clients, r.clients) {
			clients = append(clients, r.clients)
		}
	}
	rok, kubectl := byKey["rok-app-list-1000/1"], byKey["kubectl-get-deploy-1000/1"]
	if rok > 0 && kubectl > 0 {
		fmt.Println()
		fmt.Println("| command (start-up + list of 1,000 + table) | runs/s | time vs kubectl |")
		fmt.Println("|---------------------------------------------|--------|-----------------|")
		fmt.Printf("| rok kube app list                           | %6.1f | %14.0f%% |\n", rok, 100*kubectl/rok)
		fmt.Printf("| kubectl get deployments -A                  | %6.1f | %14.0f%% |\n", kubectl, 100.0)
	}
	printed := false
	for _, c := range clients {
		api, etcd := byKey["create/"+strconv.Itoa(c)], byKey["etcd-put/"+strconv.Itoa(c)]
		if api == 0 || etcd == 0 {
			continue
		}
		if !printed {
			fmt.Println()
			fmt.Println("| clients | API creates/s | etcd txn puts/s (gRPC) | API/etcd |")
			fmt.Println("|---------|---------------|------------------------|----------|")
			printed = true
		}
		fmt.Printf("| %7d | %13.0f | %22.0f | %7.0f%% |\n", c, api, etcd, 100*api/etcd)
	}
}
