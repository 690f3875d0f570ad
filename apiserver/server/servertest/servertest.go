// Package servertest runs a real Krake API in-process for other packages'
// tests (rok, the TUI): an embedded etcd in a temporary directory and the
// API server on 127.0.0.1, with a fixed clock and sequential UIDs so that
// golden output does not churn.
package servertest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"time"

	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/embedetcd"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/apiserver/store/watchcache"
)

// Clock is the fixed time the test server stamps on objects.
var Clock = time.Date(2026, 11, 24, 10, 0, 0, 123456000, time.UTC)

// Server is a running API.
type Server struct {
	URL   string
	close func()
}

// Options change the test API.
type Options struct {
	// Authenticator replaces the static admin user (e.g. auth.Tokens).
	Authenticator auth.Authenticator
}

// Start runs the API; call Close when done (TestMain style, so one server
// can serve a whole package).
func Start() (*Server, error) { return StartWith(Options{}) }

// StartWith is Start with options.
func StartWith(opts Options) (*Server, error) {
	dir, err := os.MkdirTemp("", "krake-servertest-")
	if err != nil {
		return nil, err
	}
	e, err := embedetcd.Start(embedetcd.Options{Dir: dir, UnsafeNoFsync: true})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	var uid atomic.Int64
	st := store.New(e.Client(), store.Options{})
	cache := watchcache.New(st, watchcache.Options{})
	cacheCtx, stopCache := context.WithCancel(context.Background())
	cache.Start(cacheCtx)
	srv := server.New(server.Options{
		Store:         st,
		Watcher:       cache,
		Authenticator: opts.Authenticator,
		Version:       "test",
		Now:           func() time.Time { return Clock },
		NewUID: func() string {
			return fmt.Sprintf("00000000-0000-4000-8000-%012d", uid.Add(1))
		},
	})
	ts := httptest.NewServer(srv.Handler())
	return &Server{URL: ts.URL, close: func() {
		srv.StopStreams()
		ts.Close()
		stopCache()
		e.Close()
		_ = os.RemoveAll(dir)
	}}, nil
}

// Close stops the API and etcd and removes their files.
func (s *Server) Close() { s.close() }
