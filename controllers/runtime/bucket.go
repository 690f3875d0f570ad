package runtime

import "golang.org/x/time/rate"

// newBucket is the overall rate limit of retries (sample-controller's
// values): 10 per second, bursts of 100.
func newBucket() *rate.Limiter { return rate.NewLimiter(rate.Limit(10), 100) }
