package embedetcd_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/embedetcd"
)

// TestSnapshot_saveRestore: a snapshot of a running embedded etcd,
// restored into a new data directory, starts with every key written
// before it and none written after; a directory with a store is refused.
func TestSnapshot_saveRestore(t *testing.T) {
	dir := shortDir(t)
	e, err := embedetcd.Start(embedetcd.Options{Dir: dir, UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for i := range 50 {
		if _, err := e.Client().Put(t.Context(), fmt.Sprintf("/k/%02d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	snap := filepath.Join(t.TempDir(), "snap.db")
	sock, err := embedetcd.SocketOf(dir)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := embedetcd.SaveSnapshot(t.Context(), clientv3.Config{Endpoints: []string{sock}}, snap)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client().Put(t.Context(), "/k/after", "v"); err != nil {
		t.Fatal(err)
	}
	if rev < 51 {
		t.Errorf("snapshot revision %d, want at least the 50 puts'", rev)
	}

	if err := embedetcd.RestoreSnapshot(snap, dir); err == nil || !strings.Contains(err.Error(), "already holds a store") {
		t.Errorf("restore over a live store: %v", err)
	}
	restored := shortDir(t)
	if err := embedetcd.RestoreSnapshot(snap, restored); err != nil {
		t.Fatal(err)
	}
	r, err := embedetcd.Start(embedetcd.Options{Dir: restored, UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := r.Client().Get(t.Context(), "/k/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	if got.Count != 50 {
		t.Errorf("restored %d keys, want the 50 written before the snapshot", got.Count)
	}
	if got.Header.Revision != rev {
		t.Errorf("restored revision %d, want the snapshot's %d", got.Header.Revision, rev)
	}
	if _, err := r.Client().Put(t.Context(), "/k/new", "v"); err != nil {
		t.Errorf("the restored store does not take writes: %v", err)
	}
}

// TestSnapshot_notAFile: a damaged snapshot is refused and leaves no store.
func TestSnapshot_notAFile(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, []byte("not a snapshot"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := shortDir(t)
	if err := embedetcd.RestoreSnapshot(bad, dir); err == nil {
		t.Fatal("a damaged snapshot was restored")
	}
	if _, err := os.Stat(filepath.Join(dir, "etcd")); !os.IsNotExist(err) {
		t.Errorf("a failed restore left %s/etcd (%v)", dir, err)
	}
}

func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ke-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}
