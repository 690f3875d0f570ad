package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
)

// streamLines opens a raw watch and returns its lines (heartbeats as "").
func streamLines(t *testing.T, ctx context.Context, path string) <-chan string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("watch answered %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	lines := make(chan string, 100)
	go func() {
		defer resp.Body.Close()
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	return lines
}

func nextEvent(t *testing.T, lines <-chan string) (typ, name string, labels map[string]any) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("watch stream closed")
			}
			if line == "" {
				continue // heartbeat
			}
			var ev struct {
				Type   string `json:"type"`
				Object struct {
					Metadata struct {
						Name   string         `json:"name"`
						Labels map[string]any `json:"labels"`
					} `json:"metadata"`
				} `json:"object"`
			}
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("bad event line %q: %v", line, err)
			}
			return ev.Type, ev.Object.Metadata.Name, ev.Object.Metadata.Labels
		case <-timeout:
			t.Fatal("no watch event within 10s")
		}
	}
}

func TestWatch_streamsEventsWithHeartbeatAndSelector(t *testing.T) {
	ns := namespace(t)
	apps := "/kubernetes/namespaces/" + ns + "/applications"
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	listRV := do(t, http.MethodGet, apps, "", "").json(t)["metadata"].(map[string]any)["resource_version"].(string)
	lines := streamLines(t, ctx, apps+"?watch=true&heartbeat=1&label_selector=team%3Dred&resource_version="+listRV)

	mustStatus(t, doJSON(t, http.MethodPost, apps, appBody("blue-app")), http.StatusOK) // filtered out
	red := strings.Replace(appBody("red-app"), `"metadata":{`, `"metadata":{"labels":{"team":"red"},`, 1)
	mustStatus(t, doJSON(t, http.MethodPost, apps, red), http.StatusOK)
	mustStatus(t, do(t, http.MethodPatch, apps+"/red-app", "application/merge-patch+json", `{"metadata":{"labels":{"v":"2"}}}`), http.StatusOK)
	mustStatus(t, do(t, http.MethodDelete, apps+"/red-app?force=true", "", ""), http.StatusOK)

	var got []string
	for range 3 {
		typ, name, _ := nextEvent(t, lines)
		got = append(got, typ+" "+name)
	}
	want := []string{"ADDED red-app", "MODIFIED red-app", "DELETED red-app"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	// An idle stream sends empty heartbeat lines.
	deadline := time.After(5 * time.Second)
	for {
		select {
		case line := <-lines:
			if line == "" {
				return
			}
		case <-deadline:
			t.Fatal("no heartbeat line within 5s at heartbeat=1")
		}
	}
}

func TestWatch_acrossNamespaces(t *testing.T) {
	ns1, ns2 := namespace(t), namespace(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	rv := do(t, http.MethodGet, "/kubernetes/applications", "", "").json(t)["metadata"].(map[string]any)["resource_version"].(string)
	lines := streamLines(t, ctx, "/kubernetes/applications?watch&resource_version="+rv)
	for _, ns := range []string{ns1, ns2} {
		mustStatus(t, doJSON(t, http.MethodPost, "/kubernetes/namespaces/"+ns+"/applications", appBody("app-"+ns)), http.StatusOK)
	}
	seen := map[string]bool{}
	for len(seen) < 2 {
		_, name, _ := nextEvent(t, lines)
		seen[name] = true
	}
	if !seen["app-"+ns1] || !seen["app-"+ns2] {
		t.Errorf("all-namespaces watch saw %v", seen)
	}
}

func TestWatch_compactedRevisionIsGone(t *testing.T) {
	ns := namespace(t)
	apps := "/kubernetes/namespaces/" + ns + "/applications"
	r := doJSON(t, http.MethodPost, apps, appBody("a"))
	mustStatus(t, r, http.StatusOK)
	old := r.json(t)["metadata"].(map[string]any)["resource_version"].(string)
	// More events than the watch cache keeps (64 here), so a resume from
	// old goes to etcd, whose history is compacted.
	for i := range 80 {
		mustStatus(t, doJSON(t, http.MethodPost, apps, appBody(fmt.Sprintf("filler-%d", i))), http.StatusOK)
	}
	r = doJSON(t, http.MethodPost, apps, appBody("b"))
	latest, _ := strconv.ParseInt(r.json(t)["metadata"].(map[string]any)["resource_version"].(string), 10, 64)
	if _, err := etcdClient.Compact(t.Context(), latest); err != nil {
		t.Fatal(err)
	}
	r = do(t, http.MethodGet, apps+"?watch=true&resource_version="+old, "", "")
	mustStatus(t, r, http.StatusGone)
	// The client sees the same as a terminal IsGone error.
	c := newClient(t)
	ev := <-c.Applications(ns).Watch(t.Context(), client.WatchOptions{ResourceVersion: old})
	if !client.IsGone(ev.Err) {
		t.Errorf("client watch from a compacted revision: %+v, want IsGone", ev)
	}
}

// created is what a blocking create answered.
type created struct {
	app *api.Application
	err error
}

// createBlocking creates app name with ?blocking=RUNNING in the
// background and returns its answer to come and the app as stored, once
// it is (for the test to play the controller).
func createBlocking(t *testing.T, apps *client.Resource[*api.Application], name string, timeout float64) (<-chan created, *api.Application) {
	t.Helper()
	done := make(chan created, 1)
	go func() {
		app := api.MustKind("kubernetes", "Application").New().(*api.Application)
		app.Metadata.Name = name
		app.Spec.Manifest = api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"}})
		got, err := apps.Create(t.Context(), app, client.WriteOptions{Blocking: "RUNNING", Timeout: timeout})
		done <- created{got, err}
	}()
	for {
		a, err := apps.Get(t.Context(), name)
		if err == nil {
			return done, a
		}
		if !client.IsNotFound(err) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBlocking_createWaitsForState(t *testing.T) {
	ns := namespace(t)
	apps := newClient(t).Applications(ns)
	done, app := createBlocking(t, apps, "echo", 20)
	// Play the controller: once the app exists, set it RUNNING.
	select {
	case r := <-done:
		t.Fatalf("blocking create returned before RUNNING: %v", r.err)
	default:
	}
	app.Status.State = api.StateRunning
	if _, err := apps.UpdateStatus(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if got := r.app; got.Status.State != api.StateRunning {
		t.Errorf("blocking create answered state %s, want RUNNING", got.Status.State)
	}
}

// TestBlocking_failedEndsTheWait: an app that FAILED will not reach the
// state waited for by itself, so the wait ends at once with the reason,
// not when the timeout runs out.
func TestBlocking_failedEndsTheWait(t *testing.T) {
	ns := namespace(t)
	apps := newClient(t).Applications(ns)
	done, app := createBlocking(t, apps, "doomed", 60)
	// Play the controller: the cluster refused the manifest.
	app.Status.State = api.StateFailed
	app.Status.Reason = &api.Reason{Code: api.ReasonInvalidResource, Message: "Service s: spec.ports: Required value"}
	if _, err := apps.UpdateStatus(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		err := r.err
		var p *client.APIError
		if !errors.As(err, &p) || p.Status != http.StatusConflict || p.Title != "INVALID_STATE" ||
			!strings.Contains(p.Detail, `application "doomed" in namespace "`+ns+`" is FAILED (INVALID_RESOURCE: Service s: spec.ports: Required value): it will not reach RUNNING`) {
			t.Errorf("blocking create of an app that failed: %v, want a 409 INVALID_STATE with the reason", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the blocking create still waits 10 s after the app FAILED")
	}
}

func TestBlocking_deleteWaitsForRemovalAndTimesOut(t *testing.T) {
	ns := namespace(t)
	apps := "/kubernetes/namespaces/" + ns + "/applications"
	mustStatus(t, doJSON(t, http.MethodPost, apps, appBody("echo")), http.StatusOK)
	// Nobody removes the finalizer: the wait times out with 504.
	r := do(t, http.MethodDelete, apps+"/echo?blocking&timeout=0.3", "", "")
	mustStatus(t, r, http.StatusGatewayTimeout)
	if detail := r.json(t)["detail"].(string); !strings.Contains(detail, "timed out") {
		t.Errorf("detail = %q", detail)
	}
	done := make(chan response, 1)
	go func() { done <- do(t, http.MethodDelete, apps+"/echo?blocking=true&timeout=20", "", "") }()
	time.Sleep(100 * time.Millisecond)
	mustStatus(t, do(t, http.MethodPatch, apps+"/echo", "application/merge-patch+json", `{"metadata":{"finalizers":[]}}`), http.StatusOK)
	mustStatus(t, <-done, http.StatusOK)
	mustStatus(t, do(t, http.MethodGet, apps+"/echo", "", ""), http.StatusNotFound)
}

// TestConcurrentUpdates_sameResourceVersion: of two updates carrying the
// same resource_version one wins, the other gets 409, and the winner's
// change is stored.
func TestConcurrentUpdates_sameResourceVersion(t *testing.T) {
	ns := namespace(t)
	c := newClient(t)
	apps := c.Applications(ns)
	for round := range 20 {
		name := fmt.Sprintf("race-%d", round)
		base := createApp(t, c, ns, name)
		var wg sync.WaitGroup
		results := make([]error, 2)
		for i := range 2 {
			wg.Go(func() {
				mine := api.DeepCopy(base)
				mine.Metadata.Labels = map[string]string{"writer": strconv.Itoa(i)}
				_, results[i] = apps.Update(t.Context(), mine, client.WriteOptions{})
			})
		}
		wg.Wait()
		var winner = -1
		for i, err := range results {
			switch {
			case err == nil:
				if winner != -1 {
					t.Fatalf("round %d: both updates succeeded", round)
				}
				winner = i
			case !client.IsConflict(err):
				t.Fatalf("round %d: update %d = %v, want success or 409", round, i, err)
			}
		}
		if winner == -1 {
			t.Fatalf("round %d: both updates failed: %v", round, results)
		}
		stored, err := apps.Get(t.Context(), name)
		if err != nil || stored.Metadata.Labels["writer"] != strconv.Itoa(winner) {
			t.Fatalf("round %d: stored writer %v, %v; want the winner %d", round, stored.Metadata.Labels, err, winner)
		}
	}
}

// cuttingProxy forwards TCP to the API and can cut every open connection,
// as a flaky network or a restarted load balancer would.
type cuttingProxy struct {
	listener net.Listener
	mu       sync.Mutex
	conns    []net.Conn
}

func newCuttingProxy(t *testing.T, target string) *cuttingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{listener: l}
	go func() {
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { _, _ = io.Copy(out, in); out.Close() }()
			go func() { _, _ = io.Copy(in, out); in.Close() }()
		}
	}()
	t.Cleanup(func() { l.Close(); p.cut() })
	return p
}

func (p *cuttingProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	n := len(p.conns) / 2
	p.conns = nil
	return n
}

// TestClientWatch_resumesAcrossCutsExactlyOnce: a watcher whose connection
// is cut again and again while 1,000 objects are written sees each event
// exactly once, in order.
func TestClientWatch_resumesAcrossCutsExactlyOnce(t *testing.T) {
	ns := namespace(t)
	target, _ := url.Parse(apiURL)
	proxy := newCuttingProxy(t, target.Host)
	watchClient, err := client.New("http://"+proxy.listener.Addr().String(), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	writer := newClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()

	list, err := watchClient.Applications(ns).List(ctx, client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	events := watchClient.Applications(ns).Watch(ctx, client.WatchOptions{
		ResourceVersion: list.Metadata.ResourceVersion, RetryDelay: 5 * time.Millisecond})

	const total = 1000
	writeErr := make(chan error, 1)
	go func() {
		var wg sync.WaitGroup
		sem := make(chan struct{}, 8)
		var firstErr error
		var mu sync.Mutex
		for i := range total {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				app := api.MustKind("kubernetes", "Application").New().(*api.Application)
				app.Metadata.Name = fmt.Sprintf("app-%04d", i)
				app.Spec.Manifest = api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"}})
				if _, err := writer.Applications(ns).Create(ctx, app, client.WriteOptions{}); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		writeErr <- firstErr
	}()
	// The proxy cuts every 25 ms, but only once the watch has delivered an
	// event since the last cut: a cut before the reconnect got its first
	// event would only grow the client's back-off (to 5 s under the race
	// detector on two cores), proving nothing more about resuming.
	var cuts, delivered atomic.Int64
	go func() {
		ticker := time.NewTicker(25 * time.Millisecond)
		defer ticker.Stop()
		var atLastCut int64
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
				if n := delivered.Load(); n > atLastCut && proxy.cut() > 0 {
					cuts.Add(1)
					atLastCut = n
				}
			}
		}
	}()

	seen := map[string]int{}
	var lastRV int64
	for len(seen) < total {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("watch closed after %d events", len(seen))
			}
			if ev.Err != nil {
				t.Fatalf("watch gave up: %v", ev.Err)
			}
			rv, _ := strconv.ParseInt(ev.Object.Metadata.ResourceVersion, 10, 64)
			if rv <= lastRV {
				t.Fatalf("event %s at resource_version %d after %d: out of order or repeated", ev.Object.Metadata.Name, rv, lastRV)
			}
			lastRV = rv
			if ev.Type != api.Added {
				t.Fatalf("unexpected %s event for %s", ev.Type, ev.Object.Metadata.Name)
			}
			seen[ev.Object.Metadata.Name]++
			delivered.Add(1)
		case <-ctx.Done():
			t.Fatalf("saw %d of %d events before the deadline (%d cuts)", len(seen), total, cuts.Load())
		}
	}
	if err := <-writeErr; err != nil {
		t.Fatalf("writer: %v", err)
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", name, n)
		}
	}
	// Nothing more may arrive: no duplicates after the last object.
	select {
	case ev := <-events:
		t.Errorf("extra event after all %d: %s %s", total, ev.Type, ev.Object.Metadata.Name)
	case <-time.After(300 * time.Millisecond):
	}
	if n := cuts.Load(); n < 3 {
		t.Errorf("the proxy cut the watch only %d times; the test proves nothing about resuming", n)
	}
	t.Logf("%d events exactly once across %d connection cuts", total, cuts.Load())
}

// TestWatch_linesWholeUnderBursts: events that queue up while a stream
// writes go out batched, each still one whole JSON line, with a label
// selector (events decoded) and without (stored bytes spliced).
func TestWatch_linesWholeUnderBursts(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ns := fmt.Sprintf("burst-lines-%d", time.Now().UnixNano())
	c, err := client.New(apiURL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	apps := c.Applications(ns)
	const n, updates = 8, 40
	created := make([]*api.Application, n)
	for i := range n {
		app := mustApp(t, fmt.Sprintf("app-%d", i))
		app.Metadata.Labels = map[string]string{"tier": "gold"}
		if created[i], err = apps.Create(ctx, app, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	base := "/kubernetes/namespaces/" + ns + "/applications?watch=true"
	streams := map[string]<-chan string{
		"all":      streamLines(t, ctx, base),
		"selected": streamLines(t, ctx, base+"&label_selector=tier%3Dgold"),
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			app := created[i]
			for u := range updates {
				app.Metadata.Labels["round"] = strconv.Itoa(u)
				var err error
				if app, err = apps.Update(ctx, app, client.WriteOptions{}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for name, lines := range streams {
		for got := 0; got < n*updates; {
			select {
			case line := <-lines:
				if line == "" {
					continue
				}
				var ev struct {
					Type string `json:"type"`
				}
				if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Type != api.Modified {
					t.Fatalf("%s: event %d is not one whole line (%v): %.120q", name, got, err, line)
				}
				got++
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: %d of %d events", name, got, n*updates)
			}
		}
	}
}
