// Package leader elects one leader among the replicas of a controller run
// apart (krakectl controller), through a core Lease in Krake's own API,
// with client-go's semantics: the holder renews the lease every
// RetryPeriod; it stops leading when it could not renew for RenewDeadline;
// another replica takes the lease once it has seen the same record for
// LeaseDuration (its own clock, so clocks need not agree); a clean stop
// releases it at once. Every write carries the record's resource_version,
// so two replicas can never both hold it.
package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
)

// Options time the election (client-go's defaults when zero).
type Options struct {
	LeaseDuration time.Duration // 15s
	RenewDeadline time.Duration // 10s
	RetryPeriod   time.Duration // 2s
	// OnChange is told each time this replica starts or stops leading
	// (metrics, logs).
	OnChange func(leading bool)
	// Now replaces the clock (tests).
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.LeaseDuration == 0 {
		o.LeaseDuration = 15 * time.Second
	}
	if o.RenewDeadline == 0 {
		o.RenewDeadline = 10 * time.Second
	}
	if o.RetryPeriod == 0 {
		o.RetryPeriod = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.OnChange == nil {
		o.OnChange = func(bool) {}
	}
}

// leases is what the elector calls: the API's leases.
type leases interface {
	Get(ctx context.Context, name string) (*api.Lease, error)
	Create(ctx context.Context, l *api.Lease, opts client.WriteOptions) (*api.Lease, error)
	Update(ctx context.Context, l *api.Lease, opts client.WriteOptions) (*api.Lease, error)
}

// Elector runs one election for one lease.
type Elector struct {
	leases   leases
	name     string
	identity string
	opts     Options
	log      *slog.Logger

	observedRV   string
	observedTime time.Time // when it last changed, by our clock
	current      *api.Lease
}

// New returns an elector of lease name for identity (unique per replica:
// host and PID, say).
func New(c *client.Client, name, identity string, opts Options, log *slog.Logger) (*Elector, error) {
	if identity == "" {
		return nil, errors.New("leader election needs an identity")
	}
	opts.defaults()
	if opts.RenewDeadline >= opts.LeaseDuration {
		return nil, fmt.Errorf("the renew deadline (%s) must be shorter than the lease (%s)", opts.RenewDeadline, opts.LeaseDuration)
	}
	return &Elector{leases: c.Leases(), name: name, identity: identity, opts: opts, log: log}, nil
}

// ErrLost is returned by Run when this replica stopped leading while it
// was not asked to stop: the caller should end (its work may now be done
// by another leader).
var ErrLost = errors.New("leader election lost")

// Run waits until this replica holds the lease, runs lead with a context
// that ends when it stops holding it (or ctx ends), and returns once lead
// returned: nil after ctx ended (the lease is then released), ErrLost
// when the lease could not be renewed.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) error {
	if !e.acquire(ctx) {
		return nil // ctx ended first
	}
	e.opts.OnChange(true)
	e.log.Info("became the leader", "lease", e.name, "identity", e.identity)
	leadCtx, stopLeading := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(leadCtx)
	}()
	lost := e.renew(leadCtx)
	stopLeading()
	<-done
	e.opts.OnChange(false)
	if lost {
		e.log.Error("stopped leading: the lease could not be renewed", "lease", e.name, "identity", e.identity)
		return ErrLost
	}
	e.release(ctx)
	e.log.Info("released the lease", "lease", e.name, "identity", e.identity)
	return nil
}

// acquire tries every RetryPeriod until it holds the lease or ctx ends.
func (e *Elector) acquire(ctx context.Context) bool {
	for {
		if e.tryAcquireOrRenew(ctx) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(e.opts.RetryPeriod):
		}
	}
}

// renew renews every RetryPeriod until ctx ends (false) or no renewal
// succeeded for RenewDeadline (true: lost).
func (e *Elector) renew(ctx context.Context) (lost bool) {
	lastRenew := e.opts.Now()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(e.opts.RetryPeriod):
		}
		attemptCtx, cancel := context.WithTimeout(ctx, e.opts.RenewDeadline)
		ok := e.tryAcquireOrRenew(attemptCtx)
		cancel()
		if ctx.Err() != nil {
			return false
		}
		if ok {
			lastRenew = e.opts.Now()
			continue
		}
		if e.opts.Now().Sub(lastRenew) >= e.opts.RenewDeadline {
			return true
		}
	}
}

// tryAcquireOrRenew takes or renews the lease when it is free, expired or
// ours; it reports whether this replica holds it now.
func (e *Elector) tryAcquireOrRenew(ctx context.Context) bool {
	now := e.opts.Now()
	t := api.NewTime(now)
	seconds := int((e.opts.LeaseDuration + time.Second - 1) / time.Second) // whole seconds on the wire, rounded up
	current, err := e.leases.Get(ctx, e.name)
	if client.IsNotFound(err) {
		l := api.MustKind("core", "Lease").New().(*api.Lease)
		l.Metadata.Name = e.name
		l.Spec = api.LeaseSpec{HolderIdentity: e.identity, LeaseDurationSeconds: seconds, AcquireTime: &t, RenewTime: &t}
		created, err := e.leases.Create(ctx, l, client.WriteOptions{})
		if err != nil {
			return false // another replica created it first (409), or the API is away
		}
		e.see(created, now)
		return true
	}
	if err != nil {
		return false
	}
	if current.Metadata.ResourceVersion != e.observedRV {
		e.see(current, now)
	}
	held := current.Spec.HolderIdentity != "" && current.Spec.HolderIdentity != e.identity
	expired := e.observedTime.Add(time.Duration(current.Spec.LeaseDurationSeconds) * time.Second).Before(now)
	if held && !expired {
		return false
	}
	updated := api.DeepCopy(current)
	if current.Spec.HolderIdentity != e.identity {
		updated.Spec.AcquireTime = &t
		updated.Spec.LeaseTransitions++
	}
	updated.Spec.HolderIdentity, updated.Spec.LeaseDurationSeconds, updated.Spec.RenewTime = e.identity, seconds, &t
	// current's resource_version: if another replica wrote since, 409.
	written, err := e.leases.Update(ctx, updated, client.WriteOptions{})
	if err != nil {
		return false
	}
	e.see(written, now)
	return true
}

func (e *Elector) see(l *api.Lease, now time.Time) {
	e.observedRV, e.observedTime, e.current = l.Metadata.ResourceVersion, now, l
}

// release gives the lease up so another replica takes it at once (ctx
// has ended: the release gets a deadline of its own). It reads the lease
// first: a renewal cut short by the stop may have been written without
// this replica seeing its answer, and releasing the older record would
// get a 409 and leave the others waiting out the whole lease.
func (e *Elector) release(ctx context.Context) {
	if e.current == nil || e.current.Spec.HolderIdentity != e.identity {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.RenewDeadline)
	defer cancel()
	current, err := e.leases.Get(ctx, e.name)
	if err != nil {
		current = e.current
	}
	if current.Spec.HolderIdentity != e.identity {
		return // the lease ran out and another replica holds it now
	}
	released := api.DeepCopy(current)
	released.Spec.HolderIdentity, released.Spec.LeaseDurationSeconds = "", 1
	if _, err := e.leases.Update(ctx, released, client.WriteOptions{}); err != nil {
		e.log.Info("could not release the lease; it expires by itself", "lease", e.name, "err", err)
	}
}
