package client

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/internal/backoff"
)

// Event is one change seen by a watch. The last event of a watch that
// cannot go on carries Err (IsGone(Err): list again and start a new watch).
type Event[T api.Object] struct {
	Type   string // api.Added, api.Modified, api.Deleted
	Object T
	Err    error
}

// WatchOptions start a watch.
type WatchOptions struct {
	// ResourceVersion to start after (a list's metadata.resource_version).
	// Empty starts from the current revision.
	ResourceVersion string
	LabelSelector   string
	// Heartbeat asks the server for an empty line this often (default 10s);
	// a stream silent for three heartbeats counts as broken.
	Heartbeat time.Duration
	// RetryDelay is the first pause before reconnecting (default 100ms,
	// doubling to 5s).
	RetryDelay time.Duration
}

func secondsToDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Watch streams changes until ctx ends. When the connection breaks it
// reconnects and resumes after the last event it delivered, so each change
// arrives exactly once and in order. It gives up only when the server says
// the history is gone (410) or rejects the request; then the last event
// carries the error and the channel closes.
func (r *Resource[T]) Watch(ctx context.Context, opts WatchOptions) <-chan Event[T] {
	out := make(chan Event[T])
	if opts.Heartbeat == 0 {
		opts.Heartbeat = 10 * time.Second
	}
	if opts.RetryDelay == 0 {
		opts.RetryDelay = 100 * time.Millisecond
	}
	go func() {
		defer close(out)
		rv := opts.ResourceVersion
		delay := backoff.New(opts.RetryDelay)
		for ctx.Err() == nil {
			if rv == "" {
				// Pin "now" to a revision, so a reconnect before the first
				// event still misses nothing.
				page, err := r.List(ctx, ListOptions{Limit: 1, LabelSelector: opts.LabelSelector})
				if err != nil {
					if !retryable(err) {
						sendEvent(ctx, out, Event[T]{Err: err})
						return
					}
					if !delay.Wait(ctx) {
						return
					}
					continue
				}
				rv = page.Metadata.ResourceVersion
			}
			connected, err := r.stream(ctx, rv, opts, out, &rv)
			if ctx.Err() != nil {
				return
			}
			if err != nil && !retryable(err) {
				sendEvent(ctx, out, Event[T]{Err: err})
				return
			}
			if connected {
				// The server answered; the stream broke later. Back off
				// from the start again.
				delay.Reset()
			}
			if !delay.Wait(ctx) {
				return
			}
		}
	}()
	return out
}

func retryable(err error) bool {
	if IsUnreachable(err) {
		return true
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Status >= 500 && apiErr.Status != http.StatusNotImplemented
	}
	return true // broken stream, timeouts
}

func sendEvent[T api.Object](ctx context.Context, out chan<- Event[T], ev Event[T]) bool {
	select {
	case out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// stream runs one watch connection from rv, updating *last after every
// delivered event. It reports whether the server accepted the watch.
func (r *Resource[T]) stream(ctx context.Context, rv string, opts WatchOptions, out chan<- Event[T], last *string) (bool, error) {
	q := ListOptions{LabelSelector: opts.LabelSelector}.query()
	q.Set("watch", "true")
	q.Set("resource_version", rv)
	q.Set("heartbeat", strconv.FormatFloat(opts.Heartbeat.Seconds(), 'f', -1, 64))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp, err := r.c.send(ctx, http.MethodGet, r.collectionPath(), q, nil, "")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()

	// A stream silent for three heartbeats is dead (e.g. a half-open TCP
	// connection): cancel it and reconnect.
	alive := make(chan struct{}, 1)
	go func() {
		timeout := 3 * opts.Heartbeat
		t := time.NewTimer(timeout)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-alive:
				t.Reset(timeout)
			case <-t.C:
				cancel()
				return
			}
		}
	}()

	reader := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		line, err := reader.ReadBytes('\n')
		if len(line) > 0 {
			select {
			case alive <- struct{}{}:
			default:
			}
		}
		line = bytes.TrimSpace(line)
		if len(line) > 0 {
			ev, stop, decodeErr := r.decodeEvent(line)
			if decodeErr != nil {
				return true, decodeErr
			}
			if stop != nil {
				return true, stop
			}
			if !sendEvent(ctx, out, ev) {
				return true, ctx.Err()
			}
			*last = ev.Object.GetMetadata().ResourceVersion
		}
		if err != nil {
			return true, fmt.Errorf("watch stream ended: %w", err)
		}
	}
}

// decodeEvent parses one line; an ERROR line becomes stop.
func (r *Resource[T]) decodeEvent(line []byte) (ev Event[T], stop error, err error) {
	var raw struct {
		Type   string          `json:"type"`
		Object json.RawMessage `json:"object"`
	}
	if err := json.Unmarshal(line, &raw); err != nil {
		return ev, nil, fmt.Errorf("decode watch event: %w", err)
	}
	if raw.Type == "ERROR" {
		apiErr := &APIError{}
		_ = json.Unmarshal(raw.Object, &apiErr.Problem)
		return ev, apiErr, nil
	}
	obj := r.newObject()
	if err := json.Unmarshal(raw.Object, obj); err != nil {
		return ev, nil, fmt.Errorf("decode watch event object: %w", err)
	}
	return Event[T]{Type: raw.Type, Object: obj}, nil, nil
}
