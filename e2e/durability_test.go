//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

func newClient(t testing.TB, url string) *client.Client {
	t.Helper()
	c, err := client.New(url, client.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newApp(name string) *api.Application {
	app := api.MustKind("kubernetes", "Application").New().(*api.Application)
	app.Metadata.Name = name
	app.Spec.Manifest = api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": name}})
	return app
}

// hammer creates apps from workers until stop closes, and returns the names
// whose create got a 2xx answer; count follows them as they come.
func hammer(ctx context.Context, c *client.Client, ns string, workers int, stop <-chan struct{}, count *atomic.Int64) []string {
	var mu sync.Mutex
	var acked []string
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("app-%06d", next.Add(1))
				if _, err := c.Applications(ns).Create(ctx, newApp(name), client.WriteOptions{}); err == nil {
					mu.Lock()
					acked = append(acked, name)
					mu.Unlock()
					count.Add(1)
				} else if client.IsUnreachable(err) || ctx.Err() != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	return acked
}

func assertAllPresent(t *testing.T, c *client.Client, ns string, acked []string) {
	t.Helper()
	list, err := c.Applications(ns).ListAll(t.Context(), client.ListOptions{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, app := range list.Items {
		stored[app.Metadata.Name] = true
	}
	missing := 0
	for _, name := range acked {
		if !stored[name] {
			missing++
			if missing <= 5 {
				t.Errorf("%s was acknowledged with 2xx but is gone after the restart", name)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d of %d acknowledged creates lost", missing, len(acked))
	}
	t.Logf("%d acknowledged creates, %d stored after restart", len(acked), len(stored))
}

// TestDurability_kill9 kills the server with SIGKILL while 16 clients
// create objects; after a restart on the same data directory every create
// that got a 2xx is there.
func TestDurability_kill9(t *testing.T) {
	dataDir := framework.ShortTempDir(t)
	krake := framework.StartKrake(t, dataDir)
	c := newClient(t, krake.URL)
	stop := make(chan struct{})
	ackedCh := make(chan []string)
	var count atomic.Int64
	go func() { ackedCh <- hammer(t.Context(), c, "durable", 16, stop, &count) }()

	// Let a few hundred creates land, then pull the plug mid-stream.
	deadline := time.Now().Add(30 * time.Second)
	for count.Load() < 300 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	krake.Kill()
	close(stop)
	acked := <-ackedCh
	if len(acked) < 300 {
		t.Fatalf("only %d creates were acknowledged before the kill; the test needs load", len(acked))
	}

	restarted := framework.StartKrake(t, dataDir)
	assertAllPresent(t, newClient(t, restarted.URL), "durable", acked)
}

// TestGracefulShutdown: on SIGTERM the server finishes in-flight requests,
// closes etcd cleanly and exits 0; nothing acknowledged is lost.
func TestGracefulShutdown(t *testing.T) {
	dataDir := framework.ShortTempDir(t)
	krake := framework.StartKrake(t, dataDir)
	c := newClient(t, krake.URL)
	stop := make(chan struct{})
	ackedCh := make(chan []string)
	var count atomic.Int64
	go func() { ackedCh <- hammer(t.Context(), c, "graceful", 8, stop, &count) }()
	time.Sleep(500 * time.Millisecond)
	if err := krake.Stop(20 * time.Second); err != nil {
		t.Fatalf("krakectl exited with %v after SIGTERM, want a clean exit:\n%s", err, krake.Output())
	}
	close(stop)
	acked := <-ackedCh
	out := krake.Output()
	for _, want := range []string{"shutting down", "embedded etcd closed"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	restarted := framework.StartKrake(t, dataDir)
	assertAllPresent(t, newClient(t, restarted.URL), "graceful", acked)
}

// TestExternalEtcd_twoAPIServersShareOneStore: `krakectl api
// --etcd-endpoints` serves the same store as the serve process that owns
// the etcd, which is how Krake scales past one API process. A watch on one
// sees writes made through the other.
func TestExternalEtcd_twoAPIServersShareOneStore(t *testing.T) {
	owner := framework.StartKrake(t, "")
	second := framework.StartKrakeAPI(t, "unix://"+filepath.Join(owner.DataDir, "client.sock"))
	a, b := newClient(t, owner.URL), newClient(t, second.URL)

	list, err := b.Applications("shared").List(t.Context(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	events := b.Applications("shared").Watch(ctx, client.WatchOptions{ResourceVersion: list.Metadata.ResourceVersion})
	if _, err := a.Applications("shared").Create(ctx, newApp("echo"), client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	ev := <-events
	if ev.Err != nil || ev.Type != api.Added || ev.Object.Metadata.Name != "echo" {
		t.Fatalf("watch on the second API server: %+v, want ADDED echo", ev)
	}
	got, err := b.Applications("shared").Get(ctx, "echo")
	if err != nil || got.Metadata.UID == "" {
		t.Fatalf("get through the second API server: %v, %v", got, err)
	}
	if out := second.Output(); !strings.Contains(out, "using external etcd") {
		t.Errorf("krakectl api did not use the external etcd:\n%s", out)
	}
}
