package embedetcd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/embedetcd"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestMaintenance_compactsByRevisionCount: under a stream of writes the
// history kept is capped, so a write storm cannot fill the disk; a read
// of a revision before the cap is refused as compacted.
func TestMaintenance_compactsByRevisionCount(t *testing.T) {
	e, err := embedetcd.Start(embedetcd.Options{Dir: t.TempDir(), UnsafeNoFsync: true,
		CompactionRevisions: 20, CompactionInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := e.Client()
	ctx := t.Context()
	first, err := c.Put(ctx, "/k", "0")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if _, err := c.Put(ctx, "/k", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := c.Get(ctx, "/k", clientv3.WithRev(first.Header.Revision))
		if errors.Is(err, rpctypes.ErrCompacted) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revision %d still readable 10s later (err %v): history is not capped", first.Header.Revision, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The recent history stays.
	now, err := c.Get(ctx, "/k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, "/k", clientv3.WithRev(now.Header.Revision-10)); err != nil {
		t.Errorf("a revision 10 back from the head is gone: %v", err)
	}
}

// TestMaintenance_noSpace: past the quota writes fail with NOSPACE (the
// store turns it into a 507), reads keep working, and the maintainer says
// so in the log.
func TestMaintenance_noSpace(t *testing.T) {
	var logs syncBuffer
	e, err := embedetcd.Start(embedetcd.Options{Dir: t.TempDir(), UnsafeNoFsync: true, QuotaBytes: 1 << 20,
		CompactionInterval: 100 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	c := e.Client()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	value := strings.Repeat("x", 64<<10)
	var putErr error
	for i := 0; i < 200 && putErr == nil; i++ {
		_, putErr = c.Put(ctx, fmt.Sprintf("/big/%d", i), value)
	}
	if !errors.Is(putErr, rpctypes.ErrGRPCNoSpace) && !errors.Is(putErr, rpctypes.ErrNoSpace) {
		t.Fatalf("12 MB into a 1 MB quota: last error %v, want NOSPACE", putErr)
	}
	if _, err := c.Get(ctx, "/big/0"); err != nil {
		t.Errorf("a read while out of space: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "etcd is out of space (NOSPACE alarm)") {
		if time.Now().After(deadline) {
			t.Fatalf("no NOSPACE log line within 10s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
