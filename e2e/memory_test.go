//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// peakRSS is the highest resident set size of a process so far (VmHWM).
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// bigYAML is an application body of about 2 MB of YAML (many small
// objects: the costly shape to convert).
func bigYAML(name string) string {
	var b strings.Builder
	b.WriteString("metadata:\n  name: " + name + "\nspec:\n  manifest:\n")
	for i := 0; b.Len() < 2<<20-200; i++ {
		fmt.Fprintf(&b, "  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c%d}\n    data: {a: b, c: d}\n", i)
	}
	return b.String()
}

// TestMemory: 16 concurrent 2 MB YAML bodies and 32 concurrent lists of
// 10,000 applications keep the server (a separate krakectl serve) under
// 500 MB; with a small in-flight limit the excess is answered 429 instead
// of growing the server.
func TestMemory(t *testing.T) {
	krake := framework.StartKrake(t, "", "--controllers=")
	c := newClient(t, krake.URL)
	framework.ForEach(t, 10000, 32, func(i int) error {
		_, err := c.Applications("mem").Create(context.Background(), newApp(fmt.Sprintf("app-%05d", i)), client.WriteOptions{})
		return err
	})
	before := peakRSS(t, krake.PID())

	var failures atomic.Int64
	var run sync.WaitGroup
	for i := range 16 {
		run.Go(func() {
			resp, err := http.Post(krake.URL+"/kubernetes/namespaces/mem/applications", "application/yaml", strings.NewReader(bigYAML(fmt.Sprintf("big-%d", i))))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			if body, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
				failures.Add(1)
				t.Errorf("2 MB YAML body: %d %s", resp.StatusCode, body[:min(len(body), 300)])
			}
		})
	}
	for range 32 {
		run.Go(func() {
			resp, err := http.Get(krake.URL + "/kubernetes/namespaces/mem/applications")
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			n, _ := io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != http.StatusOK || n < 10000*500 {
				failures.Add(1)
				t.Errorf("list of 10,000: %d, %d bytes", resp.StatusCode, n)
			}
		})
	}
	run.Wait()
	peak := peakRSS(t, krake.PID())
	t.Logf("peak RSS %d MB after creating 10,000 apps, %d MB after the load", before>>20, peak>>20)
	if peak > 500<<20 {
		t.Errorf("peak RSS %d MB under 16 YAML bodies of 2 MB and 32 lists of 10,000, want under 500 MB", peak>>20)
	}

	// A small in-flight limit answers the excess with 429.
	small := framework.StartKrake(t, "", "--controllers=", "--max-requests-inflight", "4")
	var tooMany, ok atomic.Int64
	var burst sync.WaitGroup
	for range 32 {
		burst.Go(func() {
			resp, err := http.Get(small.URL + "/kubernetes/namespaces/mem/applications?limit=1")
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusTooManyRequests:
				if resp.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
				tooMany.Add(1)
			case http.StatusOK:
				ok.Add(1)
			default:
				t.Errorf("burst GET answered %d", resp.StatusCode)
			}
		})
	}
	burst.Wait()
	t.Logf("32 concurrent GETs with 4 read slots: %d served, %d answered 429", ok.Load(), tooMany.Load())
	if ok.Load() == 0 {
		t.Error("no request was served")
	}
}
