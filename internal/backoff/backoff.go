// Package backoff waits between retries of a loop that reconnects (the
// store's watch cache, the client's watch, the informers): each wait is
// twice the last, up to a cap, and ends early when the context does.
package backoff

import (
	"context"
	"time"
)

// Max is the longest wait.
const Max = 5 * time.Second

// Backoff is the delay of the next retry; the zero value is not usable,
// start from New.
type Backoff struct{ initial, next time.Duration }

// New starts at initial.
func New(initial time.Duration) *Backoff { return &Backoff{initial: initial, next: initial} }

// Wait sleeps the current delay and doubles it (up to Max); false when ctx
// ended first.
func (b *Backoff) Wait(ctx context.Context) bool {
	t := time.NewTimer(b.next)
	defer t.Stop()
	b.next = min(b.next*2, Max)
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Reset goes back to the initial delay, after a success.
func (b *Backoff) Reset() { b.next = b.initial }
