package client_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
)

// refusedURL is an address nothing listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestFailover: with several API URLs, a request the first refuses goes
// to the next, which is used from then on; a write whose connection broke
// after it was sent is not sent again (it may have been done).
func TestFailover(t *testing.T) {
	var served atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"api":"core","kind":"Lease","metadata":{"name":"l"},"spec":{}}`))
	}))
	defer up.Close()
	c, err := client.New(refusedURL(t)+", "+up.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Leases().Get(context.Background(), "l"); err != nil {
		t.Fatalf("get with the first URL down: %v", err)
	}
	if c.BaseURL() != up.URL {
		t.Errorf("in use after the failover: %s, want %s", c.BaseURL(), up.URL)
	}
	l := api.MustKind("core", "Lease").New().(*api.Lease)
	l.Metadata.Name = "l"
	if _, err := c.Leases().Create(context.Background(), l, client.WriteOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	if served.Load() != 2 {
		t.Errorf("the live server served %d requests, want 2", served.Load())
	}

	// A server that takes a write and drops the connection: the write is
	// not repeated on the next server.
	var cut atomic.Int32
	dropper := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cut.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer dropper.Close()
	served.Store(0)
	c2, err := client.New(dropper.URL+","+up.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c2.Leases().Create(context.Background(), l, client.WriteOptions{})
	if err == nil || !client.IsUnreachable(err) {
		t.Errorf("a write whose connection dropped: %v, want an unreachable error", err)
	}
	if served.Load() != 0 {
		t.Errorf("the write was sent again to the next server (%d requests)", served.Load())
	}
	if _, err := c2.Leases().Get(context.Background(), "l"); err != nil {
		t.Errorf("a read fails over even after the request was sent: %v", err)
	}
	if _, err := client.New("http://ok:1, ftp://nope", client.Options{}); err == nil || !strings.Contains(err.Error(), "ftp://nope") {
		t.Errorf("a bad URL in the list: %v", err)
	}
}
