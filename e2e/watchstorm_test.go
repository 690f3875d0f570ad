//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// TestWatchStorm: 500 watchers open, then all cut at once (half with FIN,
// half with RST), ten rounds. After each round a new watch gets the next
// event, and the server's goroutines return to their baseline: the
// embedded etcd once wedged here for good (etcd's in-process client
// deadlocks under cancellation storms). Run on the embedded etcd and on
// an external one.
func TestWatchStorm(t *testing.T) {
	t.Run("embedded etcd", func(t *testing.T) {
		watchStorm(t, framework.StartKrake(t, "", "--controllers="))
	})
	t.Run("external etcd", func(t *testing.T) {
		watchStorm(t, framework.StartKrakeAPIArgs(t, "--etcd-endpoints", framework.StartEtcd(t, nil)))
	})
}

func watchStorm(t *testing.T, krake *framework.Krake) {
	const watchers, rounds = 500, 10
	c := newClient(t, krake.URL)
	addr := strings.TrimPrefix(krake.URL, "http://")
	path := "/kubernetes/namespaces/storm/applications?watch=true"
	baseline := goroutines(t, krake.URL)
	for round := range rounds {
		conns := make([]net.Conn, watchers)
		framework.ForEach(t, watchers, 50, func(i int) error {
			conn, err := openWatch(addr, path)
			if err != nil {
				return fmt.Errorf("round %d: open a watch: %w", round, err)
			}
			conns[i] = conn
			return nil
		})
		// Cut them all at once: half reset, half closed.
		for i, conn := range conns {
			if tcp, ok := conn.(*net.TCPConn); ok && i%2 == 0 {
				_ = tcp.SetLinger(0)
			}
			go conn.Close()
		}
		// A new watch still gets the next event.
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		list, err := c.Applications("storm").List(ctx, client.ListOptions{})
		if err != nil {
			cancel()
			t.Fatalf("round %d: list after the cut: %v", round, err)
		}
		events := c.Applications("storm").Watch(ctx, client.WatchOptions{ResourceVersion: list.Metadata.ResourceVersion})
		name := fmt.Sprintf("after-cut-%d", round)
		start := time.Now()
		if _, err := c.Applications("storm").Create(ctx, newApp(name), client.WriteOptions{}); err != nil {
			cancel()
			t.Fatalf("round %d: create after the cut: %v", round, err)
		}
		select {
		case ev := <-events:
			if ev.Err != nil || ev.Type != api.Added || ev.Object.Metadata.Name != name {
				t.Fatalf("round %d: first event after the cut = %+v, want ADDED %s", round, ev, name)
			}
			if waited := time.Since(start); waited > time.Second {
				t.Logf("round %d: the event took %s (goal: under 1 s)", round, waited)
			}
		case <-ctx.Done():
			t.Fatalf("round %d: no event within 10 s of the write after %d watchers were cut: the server is wedged", round, watchers)
		}
		cancel()
	}
	// Every cut watch's goroutines end.
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := goroutines(t, krake.URL)
		if n <= baseline+50 {
			t.Logf("goroutines: %d at the start, %d after %d rounds of %d cut watchers", baseline, n, rounds, watchers)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("goroutines still %d 20 s after the last cut, baseline %d: watches leak", n, baseline)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// openWatch sends a raw watch request and returns once the stream's
// headers arrived (the server holds the watch).
func openWatch(addr, path string) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: application/x-ndjson\r\n\r\n", path, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		conn.Close()
		return nil, fmt.Errorf("watch answered %d: %s", resp.StatusCode, body)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// goroutines reads go_goroutines from the server's /metrics.
func goroutines(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	scanner := bufio.NewScanner(resp.Body)
	for scanner.Scan() {
		if line := scanner.Text(); strings.HasPrefix(line, "go_goroutines ") {
			n, err := strconv.ParseFloat(strings.TrimPrefix(line, "go_goroutines "), 64)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
	}
	t.Fatal("no go_goroutines in /metrics")
	return 0
}
