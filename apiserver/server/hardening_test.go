package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/embedetcd"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/apiserver/store"
)

// hardened runs an API as krakectl does on loopback: Host checked, one
// allowed browser origin, a short body timeout.
func hardened(t *testing.T) *httptest.Server {
	t.Helper()
	e, err := embedetcd.Start(embedetcd.Options{Dir: t.TempDir(), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	srv := server.New(server.Options{Store: store.New(e.Client(), store.Options{}), LoopbackOnly: true,
		CORSOrigins: []string{"https://dashboard.example.org"}, BodyTimeout: time.Second})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(srv.StopStreams)
	return ts
}

type rawAnswer struct {
	status  int
	header  http.Header
	problem server.Problem
}

func send(t *testing.T, ts *httptest.Server, method, path string, header map[string]string, body string) rawAnswer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// Keep the path exactly as given (no client-side cleaning).
	req.URL.Opaque = path
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	a := rawAnswer{status: resp.StatusCode, header: resp.Header}
	_ = json.Unmarshal(data, &a.problem)
	return a
}

// TestHardening: the HTTP edges a hostile page or client can reach are
// answered with a 4xx that says why, never a redirect, a panic or a 500.
func TestHardening(t *testing.T) {
	ts := hardened(t)
	app := appBody("victim")
	json := map[string]string{"Content-Type": "application/json"}
	if a := send(t, ts, http.MethodPost, "/kubernetes/namespaces/other/applications", json, app); a.status != http.StatusOK {
		t.Fatalf("create the victim: %d %+v", a.status, a.problem)
	}
	tests := []struct {
		name       string
		method     string
		path       string
		header     map[string]string
		body       string
		wantStatus int
		wantDetail string
	}{
		{"heartbeat NaN", "GET", "/kubernetes/namespaces/a/applications?watch=true&heartbeat=NaN", nil, "", 400, "heartbeat"},
		{"heartbeat infinite", "GET", "/kubernetes/namespaces/a/applications?watch=true&heartbeat=Inf", nil, "", 400, "heartbeat"},
		{"heartbeat below a second", "GET", "/kubernetes/namespaces/a/applications?watch=true&heartbeat=1e-10", nil, "", 400, "from 1 to 3600"},
		{"timeout NaN", "POST", "/kubernetes/namespaces/a/applications?blocking=RUNNING&timeout=NaN", json, appBody("x"), 400, "timeout"},
		{"dot segments never redirect to another namespace", "DELETE",
			"/kubernetes/namespaces/mine/applications/..%2F..%2Fother%2Fapplications%2Fvictim", nil, "", 400, ". or .. segment"},
		{"literal dot segments", "DELETE", "/kubernetes/namespaces/mine/applications/../../other/applications/victim", nil, "", 400, ". or .. segment"},
		{"empty namespace is not all namespaces", "GET", "/kubernetes/namespaces//applications", nil, "", 400, "empty segment"},
		{"trailing slash", "GET", "/kubernetes/namespaces/other/applications/victim/", nil, "", 400, "empty segment"},
		{"write without Content-Type (a form post)", "POST", "/kubernetes/namespaces/a/applications", nil, appBody("csrf"), 415, "no Content-Type"},
		{"cross-site origin", "POST", "/kubernetes/namespaces/a/applications",
			map[string]string{"Content-Type": "application/json", "Origin": "https://evil.example.com"}, appBody("csrf2"), 403, "cross-origin request from https://evil.example.com refused"},
		{"foreign Host on loopback (DNS rebinding)", "GET", "/kubernetes/namespaces/other/applications",
			map[string]string{"Host": "attacker.example.com"}, "", 403, "listens on loopback only"},
		{"foreign Host with our port", "GET", "/kubernetes/namespaces/other/applications",
			map[string]string{"Host": "attacker.example.com:" + strings.Split(ts.Listener.Addr().String(), ":")[1]}, "", 403, "loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, ts, tt.method, tt.path, tt.header, tt.body)
			if a.status != tt.wantStatus || !strings.Contains(a.problem.Detail, tt.wantDetail) {
				t.Errorf("%s %s = %d %q, want %d with %q", tt.method, tt.path, a.status, a.problem.Detail, tt.wantStatus, tt.wantDetail)
			}
			if loc := a.header.Get("Location"); loc != "" {
				t.Errorf("answered with a redirect to %s", loc)
			}
		})
	}
	// The victim survived every attempt.
	if a := send(t, ts, http.MethodGet, "/kubernetes/namespaces/other/applications/victim", nil, ""); a.status != http.StatusOK {
		t.Errorf("the victim is gone: %d", a.status)
	}
	for _, host := range []string{"localhost", "127.0.0.1", "[::1]:8080", "localhost:9", "127.0.0.5:80"} {
		if a := send(t, ts, http.MethodGet, "/healthz", map[string]string{"Host": host}, ""); a.status != http.StatusOK {
			t.Errorf("Host %s refused on a loopback server: %d %q", host, a.status, a.problem.Detail)
		}
	}
}

// TestHardening_cors: an allowed origin gets CORS headers and its
// preflight answered; others get 403 before any route runs.
func TestHardening_cors(t *testing.T) {
	ts := hardened(t)
	allowed := "https://dashboard.example.org"
	pre := send(t, ts, http.MethodOptions, "/kubernetes/namespaces/a/applications",
		map[string]string{"Origin": allowed, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}, "")
	if pre.status != http.StatusNoContent || pre.header.Get("Access-Control-Allow-Origin") != allowed ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Content-Type") {
		t.Errorf("preflight from an allowed origin = %d %v", pre.status, pre.header)
	}
	got := send(t, ts, http.MethodGet, "/kubernetes/namespaces/a/applications", map[string]string{"Origin": allowed}, "")
	if got.status != http.StatusOK || got.header.Get("Access-Control-Allow-Origin") != allowed {
		t.Errorf("GET from an allowed origin = %d, Access-Control-Allow-Origin %q", got.status, got.header.Get("Access-Control-Allow-Origin"))
	}
	denied := send(t, ts, http.MethodOptions, "/kubernetes/namespaces/a/applications",
		map[string]string{"Origin": "https://evil.example.com", "Access-Control-Request-Method": "DELETE"}, "")
	if denied.status != http.StatusForbidden || denied.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin = %d %v, want 403 without CORS headers", denied.status, denied.header)
	}
}

// TestHardening_slowBody: a body that trickles in is cut at the body
// timeout with 408, and the connection is not held.
func TestHardening_slowBody(t *testing.T) {
	ts := hardened(t)
	conn, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := appBody("slow")
	fmt.Fprintf(conn, "POST /kubernetes/namespaces/a/applications HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:10])
	start := time.Now()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body within 10s: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("stalled body answered %d, want 408", resp.StatusCode)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("the stalled body was held %s, want about the 1s body timeout", waited)
	}
	// The server still serves.
	if a := send(t, ts, http.MethodGet, "/healthz", nil, ""); a.status != http.StatusOK {
		t.Errorf("after a stalled body /healthz = %d", a.status)
	}
}

// TestHardening_inflightLimit: past the in-flight limit the API answers
// 429 with Retry-After instead of taking more work (watches are not
// counted), and the Go client waits and retries.
func TestHardening_inflightLimit(t *testing.T) {
	e, err := embedetcd.Start(embedetcd.Options{Dir: t.TempDir(), UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	srv := server.New(server.Options{Store: store.New(e.Client(), store.Options{}), MaxRequestsInflight: 1, MaxMutatingInflight: 1})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	t.Cleanup(srv.StopStreams)
	jsonCT := map[string]string{"Content-Type": "application/json"}

	// A watch holds no read slot: a GET still gets through.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	watchReq, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/kubernetes/namespaces/a/applications?watch=true", nil)
	watch, err := http.DefaultClient.Do(watchReq)
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Body.Close()
	if a := send(t, ts, http.MethodGet, "/kubernetes/namespaces/a/applications", nil, ""); a.status != http.StatusOK {
		t.Errorf("GET beside an open watch with one read slot = %d %q", a.status, a.problem.Detail)
	}

	// A blocking create holds the one write slot for a second.
	held := make(chan rawAnswer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/kubernetes/namespaces/a/applications?blocking=RUNNING&timeout=1.5", strings.NewReader(appBody("holder")))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			held <- rawAnswer{status: resp.StatusCode}
		} else {
			held <- rawAnswer{}
		}
	}()
	time.Sleep(300 * time.Millisecond) // nothing else writes: the holder has the slot
	full := send(t, ts, http.MethodPost, "/kubernetes/namespaces/a/applications", jsonCT, appBody("second"))
	if full.status != http.StatusTooManyRequests || full.problem.Title != "TOO_MANY_REQUESTS" || full.header.Get("Retry-After") != "1" {
		t.Fatalf("a write while the write slot is held = %d %+v (Retry-After %q), want 429 TOO_MANY_REQUESTS", full.status, full.problem, full.header.Get("Retry-After"))
	}
	// The client retries after Retry-After and gets through once the slot is free.
	c, err := client.New(ts.URL, client.Options{Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Applications("a").Create(t.Context(), mustApp(t, "third"), client.WriteOptions{}); err != nil {
		t.Errorf("client create while the slot was held: %v, want it to wait and succeed", err)
	}
	if h := <-held; h.status != http.StatusGatewayTimeout {
		t.Errorf("the holder (blocking until RUNNING, 1.5 s) answered %d, want 504", h.status)
	}
}

func mustApp(t *testing.T, name string) *api.Application {
	t.Helper()
	app := api.MustKind("kubernetes", "Application").New().(*api.Application)
	if err := json.Unmarshal([]byte(appBody(name)), app); err != nil {
		t.Fatal(err)
	}
	return app
}
