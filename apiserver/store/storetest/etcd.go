// Package storetest gives tests a real etcd: an embedded single member in a
// temporary directory, stopped when the test ends.
package storetest

import (
	"os"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/embedetcd"
)

// RunEtcd starts an embedded etcd for t and returns a client. It listens on
// unix sockets in a temporary directory only and skips fsync for speed.
func RunEtcd(t testing.TB) *clientv3.Client {
	t.Helper()
	// Socket paths must be short, and t.TempDir's can be long.
	dir, err := os.MkdirTemp("", "krake-etcd-")
	if err != nil {
		t.Fatalf("temp dir: %v", err)
	}
	e, err := embedetcd.Start(embedetcd.Options{Dir: dir, UnsafeNoFsync: true})
	if err != nil {
		_ = os.RemoveAll(dir)
		t.Fatalf("start etcd: %v", err)
	}
	t.Cleanup(func() {
		e.Close()
		_ = os.RemoveAll(dir)
	})
	return e.Client()
}
