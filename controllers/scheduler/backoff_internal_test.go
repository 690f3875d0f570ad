package scheduler

import (
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
)

func TestBackoff(t *testing.T) {
	tests := []struct {
		name           string
		backoff, delay float64
		limit, retries int
		wantState      string
		wantRetries    int
		wantDelay      time.Duration
	}{
		{"no limit keeps degraded", 1, 1, -1, 7, api.StateDegraded, 8, 128 * time.Second},
		{"a factor of 1 still doubles", 1, 1, -1, 2, api.StateDegraded, 3, 4 * time.Second},
		{"first retry", 2, 0.5, 5, 0, api.StateDegraded, 1, 500 * time.Millisecond},
		{"exponential", 2, 0.5, 5, 3, api.StateDegraded, 4, 4 * time.Second},
		{"limit reached fails", 1, 1, 3, 2, api.StateFailed, 3, 4 * time.Second},
		{"limit 0 fails at once", 1, 1, 0, 0, api.StateFailed, 1, time.Second},
		{"capped at five minutes", 10, 1, -1, 9, api.StateDegraded, 10, 5 * time.Minute},
		{"a zero delay still waits a little", 1, 0, -1, 0, api.StateDegraded, 1, 100 * time.Millisecond},
		{"many retries stay at the cap", 2, 1, -1, 5000, api.StateDegraded, 5001, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := api.ApplicationSpec{Backoff: tt.backoff, BackoffDelay: tt.delay, BackoffLimit: tt.limit}
			state, retries, delay := backoff(spec, tt.retries)
			if state != tt.wantState || retries != tt.wantRetries || delay != tt.wantDelay {
				t.Errorf("backoff = %s %d %s, want %s %d %s", state, retries, delay, tt.wantState, tt.wantRetries, tt.wantDelay)
			}
		})
	}
}
