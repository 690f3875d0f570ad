//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// TestSnapshot: a snapshot saved from a running Krake under write load,
// restored into a new data directory and served from there, holds every
// object acknowledged at or before its revision and none after; periodic
// snapshots of `serve` keep the newest few, and one of them restores too.
func TestSnapshot(t *testing.T) {
	krakectl := filepath.Join(framework.Binaries(t), "krakectl")
	dataDir := framework.ShortTempDir(t)
	snapDir := filepath.Join(t.TempDir(), "periodic")
	krake := framework.StartKrake(t, dataDir, "--controllers=", "--snapshot-every", "1s", "--snapshot-keep", "2", "--snapshot-dir", snapDir)
	c, err := client.New(krake.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	metrics := c.Metrics("snap")
	min, max := 0.0, 1.0

	// 16 writers create metrics until told to stop, recording each
	// acknowledged create's revision.
	var mu sync.Mutex
	acked := map[string]int64{}
	stop := make(chan struct{})
	var writers sync.WaitGroup
	for w := range 16 {
		writers.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m := api.MustKind("core", "Metric").New().(*api.Metric)
				m.Metadata.Name = fmt.Sprintf("m-%02d-%05d", w, i)
				m.Spec.Min, m.Spec.Max = &min, &max
				m.Spec.Provider = api.MetricSpecProvider{Name: "p", Metric: "m"}
				created, err := metrics.Create(t.Context(), m, client.WriteOptions{})
				if err != nil {
					continue // not acknowledged: not counted
				}
				rv, err := strconv.ParseInt(created.Metadata.ResourceVersion, 10, 64)
				if err != nil {
					t.Errorf("resource_version %q: %v", created.Metadata.ResourceVersion, err)
					return
				}
				mu.Lock()
				acked[m.Metadata.Name] = rv
				mu.Unlock()
			}
		})
	}
	time.Sleep(time.Second)
	snap := filepath.Join(t.TempDir(), "backup.db")
	out, err := exec.Command(krakectl, "snapshot", "save", snap, "--data-dir", dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("snapshot save: %v\n%s", err, out)
	}
	time.Sleep(500 * time.Millisecond) // writes after the snapshot
	close(stop)
	writers.Wait()
	if m := regexp.MustCompile(`revision (\d+)`).FindSubmatch(out); m == nil {
		t.Errorf("snapshot save does not say its revision: %s", out)
	}
	if err := krake.Stop(10 * time.Second); err != nil {
		t.Fatalf("krakectl: %v\n%s", err, krake.Output())
	}
	periodic, _ := filepath.Glob(filepath.Join(snapDir, "krake-snapshot-*.db"))
	if len(periodic) == 0 || len(periodic) > 2 {
		t.Errorf("periodic snapshots: %v, want 1 or 2 (--snapshot-keep 2)", periodic)
	}

	// Restore into a new directory; refuse the live one.
	if out, err := exec.Command(krakectl, "snapshot", "restore", snap, "--data-dir", dataDir).CombinedOutput(); err == nil {
		t.Errorf("restore over the existing store succeeded:\n%s", out)
	}
	restored := framework.ShortTempDir(t)
	if out, err := exec.Command(krakectl, "snapshot", "restore", snap, "--data-dir", restored).CombinedOutput(); err != nil {
		t.Fatalf("snapshot restore: %v\n%s", err, out)
	}
	again := framework.StartKrake(t, restored, "--controllers=")
	rc, err := client.New(again.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := rc.Metrics("snap").ListAll(t.Context(), client.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing was written since the restore: the list's revision is the
	// snapshot's.
	rev, err := strconv.ParseInt(list.Metadata.ResourceVersion, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, m := range list.Items {
		have[m.Metadata.Name] = true
	}
	before, after, missing, extra := 0, 0, 0, 0
	for name, r := range acked {
		switch {
		case r <= rev:
			before++
			if !have[name] {
				missing++
			}
		default:
			after++
			if have[name] {
				extra++
			}
		}
	}
	t.Logf("%d acknowledged creates, %d at or before the snapshot's revision %d, %d after", len(acked), before, rev, after)
	if before == 0 || after == 0 {
		t.Fatalf("the snapshot was not taken under load (%d creates before it, %d after)", before, after)
	}
	if missing > 0 || extra > 0 {
		t.Errorf("restored store: %d acknowledged objects of the snapshot missing, %d later ones present", missing, extra)
	}
	if len(list.Items) != before {
		t.Errorf("restored %d metrics, want the %d acknowledged before the snapshot", len(list.Items), before)
	}
	// The restored Krake takes writes.
	m := api.MustKind("core", "Metric").New().(*api.Metric)
	m.Metadata.Name = "after-restore"
	m.Spec.Min, m.Spec.Max = &min, &max
	m.Spec.Provider = api.MetricSpecProvider{Name: "p", Metric: "m"}
	if _, err := rc.Metrics("snap").Create(t.Context(), m, client.WriteOptions{}); err != nil {
		t.Errorf("create after the restore: %v", err)
	}
	if err := again.Stop(10 * time.Second); err != nil {
		t.Fatal(err)
	}

	// A periodic snapshot restores as well.
	fromPeriodic := framework.ShortTempDir(t)
	if len(periodic) > 0 {
		if out, err := exec.Command(krakectl, "snapshot", "restore", periodic[len(periodic)-1], "--data-dir", fromPeriodic).CombinedOutput(); err != nil {
			t.Errorf("restore of a periodic snapshot: %v\n%s", err, out)
		}
	}
	_ = os.RemoveAll(fromPeriodic)
}
