package metrics_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/metrics"
)

// prometheusBin is Debian's prometheus, unpacked by `make test-deps`.
func prometheusBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("KRAKE_PROMETHEUS"); bin != "" {
		return bin
	}
	cache, _ := os.UserCacheDir()
	bin := filepath.Join(cache, "krake", "prometheus", "usr", "bin", "prometheus")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("prometheus is required (%v); run `make test-deps`", err)
	}
	return bin
}

// TestPrometheus_realServer: a real Prometheus scrapes an exporter the
// test serves on loopback, and the provider reads the values, following
// a change.
func TestPrometheus_realServer(t *testing.T) {
	var heat atomic.Value
	heat.Store("0.3")
	exporter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "# TYPE heat_zone_1 gauge\nheat_zone_1 %s\n", heat.Load())
	}))
	defer exporter.Close()

	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf("global: {scrape_interval: 1s}\nscrape_configs:\n- job_name: test\n  static_configs:\n  - targets: ['%s']\n", exporter.Listener.Addr())), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(prometheusBin(t), "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	p, err := metrics.New(api.MetricsProviderSpec{Type: "prometheus", Prometheus: &api.PrometheusSpec{URL: "http://" + addr}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitValue := func(want float64) {
		t.Helper()
		var last error
		var got float64
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			got, last = p.Value(context.Background(), "heat_zone_1")
			if last == nil && got == want {
				return
			}
		}
		t.Fatalf("heat_zone_1 = %v (%v), want %v", got, last, want)
	}
	waitValue(0.3)
	heat.Store("0.85")
	waitValue(0.85)
	// A URL without a scheme (the original accepts 1.2.3.4:9090) means http://.
	bare, err := metrics.New(api.MetricsProviderSpec{Type: "prometheus", Prometheus: &api.PrometheusSpec{URL: addr}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := bare.Value(context.Background(), "heat_zone_1"); err != nil || got != 0.85 {
		t.Errorf("through %s (no scheme): heat_zone_1 = %v, %v; want 0.85", addr, got, err)
	}
	if _, err := p.Value(context.Background(), "no_such_metric"); err == nil {
		t.Error("a metric Prometheus does not have gave a value")
	}
}
