package cmd

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestMain_refusesUnworkableValues: a limit or period that cannot work is
// refused at start-up, naming the flag, before anything listens or
// connects (a zero probe interval used to spin, a limit of -3 to be the
// default without a word).
func TestMain_refusesUnworkableValues(t *testing.T) {
	dir := t.TempDir()
	serve := []string{"serve", "--data-dir", dir, "--listen", "127.0.0.1:0"}
	api := []string{"api", "--etcd-endpoints", "http://127.0.0.1:1", "--listen", "127.0.0.1:0"}
	controller := []string{"controller", "cluster", "--api-url", "http://127.0.0.1:1"}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{append(serve, "--probe-interval", "0s"), "--probe-interval 0s: give a positive duration"},
		{append(serve, "--resync", "-1s"), "--resync -1s: give a positive duration"},
		{append(serve, "--reschedule-after", "0"), "--reschedule-after 0s"},
		{append(serve, "--infra-poll-interval", "-5s"), "--infra-poll-interval -5s"},
		{append(serve, "--auto-cluster-retention", "0s"), "--auto-cluster-retention 0s"},
		{append(serve, "--stickiness", "-0.5"), "--stickiness -0.5: give a weight of 0 (none) or more"},
		{append(serve, "--stickiness", "NaN"), "--stickiness NaN"},
		{append(serve, "--max-list-items", "-3"), "--max-list-items -3: give 1 or more"},
		{append(serve, "--max-requests-inflight", "0"), "--max-requests-inflight 0: give 1 or more"},
		{append(serve, "--max-mutating-requests-inflight", "-1"), "--max-mutating-requests-inflight -1"},
		{append(serve, "--etcd-quota-bytes", "0"), "--etcd-quota-bytes 0: give the embedded etcd's space quota in bytes"},
		{append(api, "--max-list-items", "0"), "--max-list-items 0: give 1 or more"},
		{append(controller, "--probe-interval", "-1s"), "--probe-interval -1s"},
		{append(controller, "--leader-elect-retry-period", "0s"), "give positive durations"},
		{append(controller, "--leader-elect-retry-period", "12s"), "each must be shorter than the next"},
		{append(controller, "--leader-elect-renew-deadline", "20s"), "each must be shorter than the next"},
	} {
		t.Run(strings.Join(tt.args[len(tt.args)-2:], " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := make(chan int, 1)
			go func() { code <- Main(tt.args, "test", &stdout, &stderr) }()
			select {
			case c := <-code:
				if c == 0 || !strings.Contains(stderr.String(), tt.want) {
					t.Errorf("krakectl %s: exit %d, stderr %q; want a failure saying %q", strings.Join(tt.args, " "), c, stderr.String(), tt.want)
				}
			case <-time.After(20 * time.Second):
				t.Fatalf("krakectl %s started instead of refusing the value", strings.Join(tt.args, " "))
			}
		})
	}
}
