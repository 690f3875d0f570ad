package server_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/embedetcd"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/apiserver/server/servertest"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/apiserver/store/watchcache"
)

// One real embedded etcd and one API server serve the whole package; each
// test works in its own namespace.
var (
	etcdClient *clientv3.Client
	apiURL     string
	handler    http.Handler
	nsCounter  atomic.Int64
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "krake-server-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	e, err := embedetcd.Start(embedetcd.Options{Dir: dir, UnsafeNoFsync: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer e.Close()
	etcdClient = e.Client()
	// As krakectl serves: watches through the watch cache.
	st := store.New(etcdClient, store.Options{})
	// A small ring, so tests reach both the cache and etcd behind it.
	cache := watchcache.New(st, watchcache.Options{Events: 64})
	cacheCtx, stopCache := context.WithCancel(context.Background())
	defer stopCache()
	cache.Start(cacheCtx)
	srv := server.New(server.Options{Store: st, Watcher: cache, Version: "test"})
	handler = srv.Handler()
	ts := httptest.NewServer(handler) // listens on 127.0.0.1
	defer ts.Close()
	defer srv.StopStreams()
	apiURL = ts.URL
	return m.Run()
}

// namespace returns a namespace no other test uses.
func namespace(t *testing.T) string {
	return fmt.Sprintf("ns%d", nsCounter.Add(1))
}

func newClient(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(apiURL, client.Options{Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// response is a raw HTTP answer.
type response struct {
	status      int
	contentType string
	body        []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("answer is not JSON (%d): %s", r.status, r.body)
	}
	return doc
}

// do sends a raw request; contentType "" sends none.
func do(t *testing.T, method, path, contentType, body string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, apiURL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: data}
}

func doJSON(t *testing.T, method, path, body string) response {
	return do(t, method, path, "application/json", body)
}

// mustStatus fails unless the answer has the status.
func mustStatus(t *testing.T, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body: %s", r.status, status, bytes.TrimSpace(r.body))
	}
}

func fixture(kind, name string) string { return servertest.Fixture(kind, name) }

func appBody(name string) string { return fixture("Application", name) }
