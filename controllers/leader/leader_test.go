package leader

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/server/servertest"
)

// flaky is the API's leases until cut, then an API that does not answer
// (a replica cut off from the API, or frozen). With loseAnswer set, the
// next update is written but its answer is lost (a renewal cut short by
// the stop). It remembers when the last update that was written started.
type flaky struct {
	leases
	cut        atomic.Bool
	loseAnswer atomic.Bool
	lost       chan struct{} // closed once an answer was lost

	mu           sync.Mutex
	writtenSince time.Time
}

var errCut = errors.New("cut off")

func (f *flaky) Get(ctx context.Context, name string) (*api.Lease, error) {
	if f.cut.Load() {
		return nil, errCut
	}
	return f.leases.Get(ctx, name)
}

func (f *flaky) Update(ctx context.Context, l *api.Lease, o client.WriteOptions) (*api.Lease, error) {
	if f.cut.Load() {
		return nil, errCut
	}
	started := time.Now()
	written, err := f.leases.Update(ctx, l, o)
	if err == nil {
		f.mu.Lock()
		f.writtenSince = started
		f.mu.Unlock()
		if f.loseAnswer.CompareAndSwap(true, false) {
			close(f.lost)
			return nil, context.Canceled
		}
	}
	return written, err
}

// lastWrite is when the last update that was written started: no other
// replica can have seen that record earlier.
func (f *flaky) lastWrite() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writtenSince
}

// leaders counts the replicas leading at once.
type leaders struct {
	mu      sync.Mutex
	now     int
	most    int
	changes int
}

func (l *leaders) onChange(leading bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changes++
	if leading {
		l.now++
	} else {
		l.now--
	}
	l.most = max(l.most, l.now)
}

// electionEnv starts a real API and etcd, and returns its client and a
// maker of electors for one lease, each over its own flaky leases.
func electionEnv(t *testing.T, lease string, opts Options) (*client.Client, func(identity string) (*Elector, *flaky)) {
	t.Helper()
	srv, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := client.New(srv.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	return c, func(identity string) (*Elector, *flaky) {
		e, err := New(c, lease, identity, opts, log)
		if err != nil {
			t.Fatal(err)
		}
		f := &flaky{leases: e.leases, lost: make(chan struct{})}
		e.leases = f
		return e, f
	}
}

// result is what one replica's Run returned.
type result struct {
	who string
	err error
}

// replicas returns a runner of electors: each leads until its context
// ends, says so on leading when it starts, and sends its Run's result.
func replicas() (leading chan string, results chan result, run func(ctx context.Context, who string, e *Elector)) {
	leading, results = make(chan string, 3), make(chan result, 3)
	run = func(ctx context.Context, who string, e *Elector) {
		go func() {
			err := e.Run(ctx, func(ctx context.Context) {
				leading <- who
				<-ctx.Done()
			})
			results <- result{who, err}
		}()
	}
	return leading, results, run
}

// TestElection: against a real API and etcd, one of two replicas leads;
// a clean stop hands over at once; a replica cut off from the API stops
// leading within the renew deadline, and the other takes over only after
// the lease ran out: never two leaders.
func TestElection(t *testing.T) {
	count := &leaders{}
	// The lease is three renew deadlines: a replica cut off stops leading
	// with two seconds to spare, even on a loaded machine.
	opts := Options{LeaseDuration: 3 * time.Second, RenewDeadline: time.Second, RetryPeriod: 100 * time.Millisecond, OnChange: count.onChange}
	c, newElector := electionEnv(t, "controller-test", opts)
	leading, results, run := replicas()
	ctxA, stopA := context.WithCancel(t.Context())
	ctxB, stopB := context.WithCancel(t.Context())
	defer stopB()
	a, _ := newElector("a")
	run(ctxA, "a", a)
	if who := <-leading; who != "a" {
		t.Fatalf("%s leads first, want a (alone)", who)
	}
	b, cutB := newElector("b")
	run(ctxB, "b", b)
	select {
	case who := <-leading:
		t.Fatalf("%s leads while a holds the lease", who)
	case <-time.After(2 * opts.LeaseDuration):
	}

	// A clean stop releases: b leads well before the lease would run out.
	stopped := time.Now()
	stopA()
	if r := <-results; r.who != "a" || r.err != nil {
		t.Fatalf("a's Run after its stop: %s %v, want nil", r.who, r.err)
	}
	if who := <-leading; who != "b" || time.Since(stopped) > opts.LeaseDuration {
		t.Fatalf("%s leads %s after a's release, want b sooner than the lease (%s)", who, time.Since(stopped), opts.LeaseDuration)
	}
	lease, err := c.Leases().Get(t.Context(), "controller-test")
	if err != nil || lease.Spec.HolderIdentity != "b" || lease.Spec.LeaseTransitions != 1 {
		t.Fatalf("lease %+v (%v), want b holding it after 1 transition", lease.Spec, err)
	}

	// b is cut off: it stops within the renew deadline (ErrLost); c takes
	// over only once the lease ran out.
	c3, _ := newElector("c")
	ctxC, stopC := context.WithCancel(t.Context())
	defer stopC()
	run(ctxC, "c", c3)
	cutAt := time.Now()
	cutB.cut.Store(true)
	r := <-results
	if r.who != "b" || !errors.Is(r.err, ErrLost) {
		t.Fatalf("b cut off: %s %v, want ErrLost", r.who, r.err)
	}
	// Safety: b stops before the lease could run out for the others.
	if lostAfter := time.Since(cutAt); lostAfter >= opts.LeaseDuration {
		t.Errorf("b stopped leading %s after the cut, not before the lease (%s) ran out", lostAfter, opts.LeaseDuration)
	}
	if who := <-leading; who != "c" {
		t.Fatalf("%s leads after b, want c", who)
	}
	if took := time.Since(cutB.lastWrite()); took < opts.LeaseDuration {
		t.Errorf("c led %s after b's last renewal, before the lease (%s) ran out", took, opts.LeaseDuration)
	}
	count.mu.Lock()
	defer count.mu.Unlock()
	if count.most != 1 {
		t.Errorf("%d replicas led at once", count.most)
	}
}

// TestElection_releaseAfterLostAnswer: a renewal written just as the
// replica stops, whose answer it never saw, does not keep the release from
// handing over at once. The lease is long, so a handover that waited for
// it to run out is plain.
func TestElection_releaseAfterLostAnswer(t *testing.T) {
	opts := Options{LeaseDuration: 60 * time.Second, RenewDeadline: 5 * time.Second, RetryPeriod: 50 * time.Millisecond}
	c, newElector := electionEnv(t, "release-test", opts)
	leading, results, run := replicas()
	ctxA, stopA := context.WithCancel(t.Context())
	defer stopA()
	ctxB, stopB := context.WithCancel(t.Context())
	defer stopB()
	a, fa := newElector("a")
	run(ctxA, "a", a)
	if who := <-leading; who != "a" {
		t.Fatalf("%s leads first, want a", who)
	}
	b, _ := newElector("b")
	run(ctxB, "b", b)
	fa.loseAnswer.Store(true)
	<-fa.lost
	stopped := time.Now()
	stopA()
	if r := <-results; r.who != "a" || r.err != nil {
		t.Fatalf("a's Run after its stop: %s %v, want nil", r.who, r.err)
	}
	select {
	case who := <-leading:
		if who != "b" {
			t.Fatalf("%s leads after a's release, want b", who)
		}
	case <-time.After(opts.LeaseDuration / 2):
		t.Fatalf("b does not lead %s after a's release: the release did not take (the lease is %s)", time.Since(stopped), opts.LeaseDuration)
	}
	lease, err := c.Leases().Get(t.Context(), "release-test")
	if err != nil || lease.Spec.HolderIdentity != "b" || lease.Spec.LeaseTransitions != 1 {
		t.Fatalf("lease %+v (%v), want b holding it after 1 transition", lease.Spec, err)
	}
}

// TestNew_refusesBadTimings: a renew deadline as long as the lease would
// let two replicas lead.
func TestNew_refusesBadTimings(t *testing.T) {
	c, _ := client.New("http://127.0.0.1:1", client.Options{})
	if _, err := New(c, "x", "me", Options{LeaseDuration: time.Second, RenewDeadline: time.Second}, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("a renew deadline equal to the lease was accepted")
	}
	if _, err := New(c, "x", "", Options{}, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("an empty identity was accepted")
	}
}
