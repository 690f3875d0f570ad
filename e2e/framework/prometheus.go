package framework

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// StartPrometheus runs Debian's prometheus (unpacked by `make test-deps`)
// on 127.0.0.1, scraping targets every second, and returns its URL once
// it is ready. It is stopped by PID when the test ends.
func StartPrometheus(t testing.TB, targets ...string) string {
	t.Helper()
	bin := os.Getenv("KRAKE_PROMETHEUS")
	if bin == "" {
		cache, _ := os.UserCacheDir()
		bin = filepath.Join(cache, "krake", "prometheus", "usr", "bin", "prometheus")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("prometheus is required (%v); run `make test-deps`", err)
	}
	dir := t.TempDir()
	config := "global: {scrape_interval: 1s}\nscrape_configs:\n- job_name: e2e\n  static_configs:\n  - targets: ["
	for i, target := range targets {
		if i > 0 {
			config += ", "
		}
		config += fmt.Sprintf("'%s'", target)
	}
	config += "]\n"
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	p := startPath(t, bin, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if p.Exited() {
			t.Fatalf("prometheus exited:\n%s", p.Output())
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/-/ready", nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("prometheus not ready within 30s:\n%s", p.Output())
	return ""
}
