package embedetcd

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunSnapshots: periodic snapshots keep the newest Keep files, and
// leave files of other names alone.
func TestRunSnapshots(t *testing.T) {
	dir, err := os.MkdirTemp("", "ke-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	e, err := Start(Options{Dir: dir, UnsafeNoFsync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	snaps := filepath.Join(dir, "snapshots")
	if err := os.MkdirAll(snaps, 0o700); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(snaps, "mine.db")
	if err := os.WriteFile(other, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- e.RunSnapshots(ctx, SnapshotOptions{Dir: snaps, Every: 100 * time.Millisecond, Keep: 2}, slog.New(slog.DiscardHandler))
	}()
	count := func() int {
		entries, _ := os.ReadDir(snaps)
		n := 0
		for _, en := range entries {
			if strings.HasPrefix(en.Name(), snapshotPrefix) && strings.HasSuffix(en.Name(), ".db") {
				n++
			}
		}
		return n
	}
	// Wait for more snapshots than are kept to have been taken.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) && !(count() == 2 && time.Since(deadline.Add(-20*time.Second)) > time.Second) {
		if n := count(); n > 3 {
			t.Fatalf("%d snapshots kept, want at most 2 (3 between a save and its prune)", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Errorf("%d snapshots after a second of 100ms snapshots, want the 2 kept", n)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file of another name was removed: %v", err)
	}
}
