//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

var haControllers = []string{"application", "cluster", "gc", "scheduler"}

// TestControllersHA: two replicas of the controllers against one API
// elect one leader per controller (the default lease timings). The
// leader is killed with SIGKILL while 200 apps are being created; the
// other takes every lease within 20 s, every app ends RUNNING, each was
// bound exactly once, and the two never led a controller at once.
func TestControllersHA(t *testing.T) {
	kube := framework.StartKube(t, 1)
	krake := framework.StartKrake(t, "", "--controllers=")
	rok := newRok(t, krake.URL)
	c, err := client.New(krake.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	replica := func(identity string) (*framework.Process, string) {
		metrics := framework.FreeAddr(t)
		args := append(append([]string{"controller"}, haControllers...), "--api-url", krake.URL, "--probe-interval", "1s",
			"--leader-elect-identity", identity, "--metrics-listen", metrics)
		return framework.Start(t, "krakectl", args...), metrics
	}
	holders := func() map[string]string {
		out := map[string]string{}
		list, err := c.Leases().List(t.Context(), client.ListOptions{})
		if err != nil {
			return out
		}
		for _, l := range list.Items {
			out[l.Metadata.Name] = l.Spec.HolderIdentity
		}
		return out
	}
	allHeldBy := func(identity string) (bool, string) {
		h := holders()
		for _, name := range haControllers {
			if h["controller-"+name] != identity {
				return false, fmt.Sprint(h)
			}
		}
		return true, ""
	}

	// Every app's bindings (each sets status.scheduled), from a watch.
	var mu sync.Mutex
	bindings := map[string]map[string]bool{}
	watchCtx, stopWatch := context.WithCancel(t.Context())
	defer stopWatch()
	go func() {
		for ev := range c.Applications("ha").Watch(watchCtx, client.WatchOptions{}) {
			if ev.Err != nil || ev.Object.Status.Scheduled == nil {
				continue
			}
			mu.Lock()
			name := ev.Object.Metadata.Name
			if bindings[name] == nil {
				bindings[name] = map[string]bool{}
			}
			bindings[name][ev.Object.Status.Scheduled.String()] = true
			mu.Unlock()
		}
	}()

	a, aMetrics := replica("replica-a")
	eventually(t, 30*time.Second, "replica-a leads every controller", func() (bool, string) { return allHeldBy("replica-a") })
	b, bMetrics := replica("replica-b")
	rok.must("kube", "cluster", "register", "-k", kube.Kubeconfigs[0], "-n", "ha", "--wait", "--timeout", "30s")
	leaderGauge := regexp.MustCompile(`krake_controller_leader\{controller="scheduler"\} (\d)`)
	gauge := func(addr string) string {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if m := leaderGauge.FindSubmatch(body); m != nil {
			return string(m[1])
		}
		return "none"
	}
	eventually(t, 10*time.Second, "the leader gauges", func() (bool, string) {
		ga, gb := gauge(aMetrics), gauge(bMetrics)
		return ga == "1" && gb == "0", "a " + ga + ", b " + gb
	})

	// 200 apps from 8 clients; the leader dies after the first 60.
	manifest := api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "cm"}, "data": map[string]any{"k": "v"}})
	var created sync.WaitGroup
	next := make(chan int)
	var killed time.Time
	killOnce := sync.Once{}
	for range 8 {
		created.Go(func() {
			for i := range next {
				app := api.MustKind("kubernetes", "Application").New().(*api.Application)
				app.Metadata.Name = fmt.Sprintf("app-%03d", i)
				app.Spec.Manifest = manifest
				for attempt := 0; ; attempt++ {
					_, err := c.Applications("ha").Create(t.Context(), app, client.WriteOptions{})
					if err == nil || client.IsConflict(err) || attempt == 20 {
						if err != nil && !client.IsConflict(err) {
							t.Errorf("create %s: %v", app.Metadata.Name, err)
						}
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
		})
	}
	for i := range 200 {
		if i == 60 {
			killOnce.Do(func() {
				a.Kill()
				killed = time.Now()
			})
		}
		next <- i
	}
	close(next)
	created.Wait()

	eventually(t, 20*time.Second-time.Since(killed), "replica-b takes every lease within 20 s of the kill", func() (bool, string) {
		return allHeldBy("replica-b")
	})
	t.Logf("replica-b led every controller %s after replica-a was killed", time.Since(killed).Round(100*time.Millisecond))
	if g := gauge(bMetrics); g != "1" {
		t.Errorf("replica-b's leader gauge for the scheduler is %s, want 1", g)
	}

	eventually(t, 3*time.Minute, "all 200 apps RUNNING", func() (bool, string) {
		list, err := c.Applications("ha").ListAll(t.Context(), client.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		running := 0
		for _, app := range list.Items {
			if app.Status.State == api.StateRunning {
				running++
			}
		}
		return len(list.Items) == 200 && running == 200, fmt.Sprintf("%d apps, %d RUNNING", len(list.Items), running)
	})
	stopWatch()
	mu.Lock()
	twice := []string{}
	for name, times := range bindings {
		if len(times) != 1 {
			twice = append(twice, fmt.Sprintf("%s (%d)", name, len(times)))
		}
	}
	if len(bindings) != 200 || len(twice) > 0 {
		t.Errorf("%d apps seen bound; bound more than once: %v", len(bindings), twice)
	}
	mu.Unlock()

	// Never two leaders: replica-b led nothing before replica-a died, and
	// replica-a took each lease once.
	bLog := b.Output()
	for _, line := range strings.Split(bLog, "\n") {
		if !strings.Contains(line, "became the leader") {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, strings.TrimPrefix(strings.Fields(line)[0], "time="))
		if err != nil {
			t.Fatalf("log line without a time: %q", line)
		}
		if at.Before(killed) {
			t.Errorf("replica-b led while replica-a was alive: %s", line)
		}
	}
	if n := strings.Count(a.Output(), "became the leader"); n != len(haControllers) {
		t.Errorf("replica-a became the leader %d times, want once per controller (%d)", n, len(haControllers))
	}
	if n := strings.Count(bLog, "became the leader"); n != len(haControllers) {
		t.Errorf("replica-b became the leader %d times, want once per controller (%d)", n, len(haControllers))
	}
}
