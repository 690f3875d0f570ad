package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/store"
)

// DefaultHeartbeat is how often an idle watch stream sends an empty line.
const DefaultHeartbeat = 10 * time.Second

// errorEvent is the last line of a stream that the server had to end
// (e.g. history compacted: the client must list again).
type errorEvent struct {
	Type   string  `json:"type"` // "ERROR"
	Object Problem `json:"object"`
}

// watch streams application/x-ndjson events. With resource_version it
// starts right after that revision, so list + watch misses nothing.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, k api.Kind, ns string, lp listParams) error {
	heartbeat := DefaultHeartbeat
	if raw := r.URL.Query().Get("heartbeat"); raw != "" {
		// At least a second: a tiny heartbeat costs a core per stream.
		var err error
		if heartbeat, err = parseSeconds("heartbeat", raw, 1, 3600); err != nil {
			return err
		}
	}
	ctx, cancel := s.streamContext(r.Context())
	defer cancel()
	if lp.resourceVersion > 0 && !s.watcher.Remembers(k, lp.resourceVersion) {
		if err := s.store.CheckRevision(ctx, lp.resourceVersion); err != nil {
			return err
		}
	}
	events := s.watcher.Watch(ctx, k, ns, lp.resourceVersion)
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flush()
	enc := json.NewEncoder(w)
	match := lp.labels()
	user, allowed := auth.UserFrom(r.Context()), allowedNamespaces(r.Context())
	// batch holds event lines not yet written.
	var batch []byte
	writeBatch := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := w.Write(batch)
		batch = batch[:0]
		flush()
		return err
	}
	// add puts one event in the batch: filtered by the label selector,
	// authorized as it goes out (so a binding removed mid-stream takes
	// effect at once: a namespace's watch ends, a watch across namespaces
	// stops showing that namespace), and redacted for a reader without the
	// right to secrets. An error ends the stream.
	add := func(ev store.Event) error {
		if ev.Err != nil {
			return ev.Err
		}
		evNS := ev.Namespace
		if allowed != nil && !allowed[evNS] {
			return nil
		}
		if err := s.authz.Authorize(ctx, auth.Attributes{User: user, Verb: "watch", API: k.API, Resource: k.Plural, Namespace: evNS}); err != nil {
			if ns == "" && k.Namespaced {
				return nil
			}
			return err
		}
		redact := !s.mayReadSecrets(r, k, evNS)
		if match != nil || redact {
			obj, err := ev.Object()
			if err != nil {
				s.log.Warn("watch: skipped an event whose stored object does not decode", "kind", k.String(), "revision", ev.Revision, "err", err)
				return nil
			}
			if match != nil && !match(obj.GetMetadata().Labels) {
				return nil
			}
			if redact {
				shown := api.DeepCopy(obj)
				api.Redact(shown)
				if ev.Data, err = json.Marshal(shown); err != nil {
					return err
				}
			}
		}
		batch = appendEventLine(batch, ev)
		return nil
	}
	// end closes the stream with an ERROR event saying why.
	end := func(err error) error {
		if werr := writeBatch(); werr != nil {
			return werr
		}
		p := problemFor(err, s.problemBase)
		p.Instance = r.URL.Path
		_ = enc.Encode(errorEvent{Type: "ERROR", Object: p})
		flush()
		return err
	}
	ticker := time.NewTicker(heartbeat)
	defer ticker.Stop()
	// A watch of one namespace (or of a global kind) ends as soon as its
	// user loses the right, even when no event comes: it decides again
	// whenever the authorizer's rules change. A watch across namespaces
	// filters each event instead.
	notifier, _ := s.authz.(auth.ChangeNotifier)
	var rulesChanged <-chan struct{} // nil: the decision never changes
	if notifier != nil && !(ns == "" && k.Namespaced) {
		rulesChanged = notifier.Changed()
	}
	stillAllowed := func() error {
		return s.authz.Authorize(ctx, auth.Attributes{User: user, Verb: "watch", API: k.API, Resource: k.Plural, Namespace: ns})
	}
	if rulesChanged != nil {
		if err := stillAllowed(); err != nil { // a change between the request's check and now
			return end(err)
		}
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			if _, err := w.Write([]byte("\n")); err != nil {
				return err
			}
			flush()
		case <-rulesChanged:
			rulesChanged = notifier.Changed()
			if err := stillAllowed(); err != nil {
				return end(err)
			}
		case ev, ok := <-events:
			// Events that queued up while this one was written go out in
			// the same write and flush: under load a stream costs one
			// syscall per batch, not per event, and no one waits longer.
			for ok {
				if err := add(ev); err != nil {
					return end(err)
				}
				if len(batch) >= maxBatch {
					break
				}
				var queued bool
				if ev, ok, queued = receiveQueued(events); !queued {
					break
				}
			}
			if err := writeBatch(); err != nil || !ok {
				return err
			}
		}
	}
}

// receiveQueued takes an event only if one is waiting; queued says
// whether anything (an event or the close) was.
func receiveQueued(events <-chan store.Event) (ev store.Event, ok, queued bool) {
	select {
	case ev, ok = <-events:
		return ev, ok, true
	default:
		return store.Event{}, true, false
	}
}

// maxBatch is how many bytes of events a watch stream gathers before it
// writes them.
const maxBatch = 64 << 10

// appendEventLine appends one event line to buf, splicing the object's
// JSON (a watch cache fans one event out to many watchers: encoding it
// again for each would cost more than everything else).
func appendEventLine(buf []byte, ev store.Event) []byte {
	buf = append(buf, `{"type":"`...)
	buf = append(buf, ev.Type...)
	buf = append(buf, `","object":`...)
	buf = append(buf, ev.Data...)
	return append(buf, "}\n"...)
}

// DefaultBlockingTimeout bounds ?blocking waits unless ?timeout= says otherwise.
const DefaultBlockingTimeout = 60 * time.Second

func parseTimeout(r *http.Request) (time.Duration, error) {
	raw := r.URL.Query().Get("timeout")
	if raw == "" {
		return DefaultBlockingTimeout, nil
	}
	d, err := parseSeconds("timeout", raw, 0.001, 3600)
	if err != nil {
		return 0, err
	}
	return d, nil
}

// parseBlocking reads ?blocking[=STATE]. A bare blocking waits for the
// natural end state: deletion on delete, RUNNING for applications and
// ONLINE for clusters on create. It returns nil when there is nothing to
// wait for.
func parseBlocking(r *http.Request, k api.Kind, forDelete bool) (*string, error) {
	if r.URL.RawQuery == "" {
		return nil, nil
	}
	q := r.URL.Query()
	if !q.Has("blocking") {
		return nil, nil
	}
	raw := strings.ToUpper(q.Get("blocking"))
	if raw == "FALSE" || raw == "0" {
		return nil, nil
	}
	if _, err := parseTimeout(r); err != nil {
		return nil, err
	}
	state := raw
	if raw == "" || raw == "TRUE" || raw == "1" {
		switch {
		case forDelete:
			state = api.StateDeleted
		case k.ReadyState != "":
			state = k.ReadyState
		default:
			return nil, nil
		}
	}
	if api.State(k.New()) == "" && state != api.StateDeleted {
		return nil, errorf(http.StatusBadRequest, "blocking=%s: %s has no state to wait for", raw, k.Kind)
	}
	return &state, nil
}

// waitForState answers once obj reaches state (DELETED: once the record is
// gone), or 504 when the timeout passes first.
func (s *Server) waitForState(w http.ResponseWriter, r *http.Request, k api.Kind, obj api.Object, state string) error {
	ctx, cancel, err := withTimeout(r.Context(), r)
	if err != nil {
		return err
	}
	defer cancel()
	ctx, stop := s.streamContext(ctx)
	defer stop()
	m := obj.GetMetadata()
	if state != api.StateDeleted && api.State(obj) == state {
		return s.writeObject(w, r, k, obj)
	}
	rev, _ := store.ParseResourceVersion(m.ResourceVersion)
	last := obj
	for ev := range s.watcher.Watch(ctx, k, m.Namespace, rev) {
		if ev.Err != nil {
			return ev.Err
		}
		if ev.Name != m.Name {
			continue
		}
		current, err := ev.Object()
		if err != nil {
			continue
		}
		last = current
		switch {
		case ev.Type == api.Deleted && state == api.StateDeleted:
			return s.writeObject(w, r, k, current)
		case ev.Type == api.Deleted:
			return errorf(http.StatusConflict, "%s was deleted before it reached %s", describe(k, m.Namespace, m.Name), state)
		case api.State(current) == state:
			return s.writeObject(w, r, k, current)
		case state != api.StateDeleted && failedForGood(current):
			return titledf(http.StatusConflict, TitleInvalidState, "%s is FAILED%s: it will not reach %s without a new manifest or a retry (the request itself succeeded)",
				describe(k, m.Namespace, m.Name), failureReason(current), state)
		}
	}
	if errors.Is(r.Context().Err(), context.Canceled) {
		return r.Context().Err()
	}
	select {
	case <-s.stopping:
		return errorf(http.StatusServiceUnavailable, "the server is shutting down; %s was written, check its state again",
			describe(k, m.Namespace, m.Name))
	default:
	}
	now := api.State(last)
	if now == "" {
		now = "not deleted yet"
	}
	return errorf(http.StatusGatewayTimeout, "timed out waiting for %s to reach %s; it is %s (the request itself succeeded)",
		describe(k, m.Namespace, m.Name), state, now)
}

// failedForGood reports an application that FAILED: only a new manifest
// or a retry moves it on, so a wait for another state would only run out.
func failedForGood(obj api.Object) bool {
	app, ok := obj.(*api.Application)
	return ok && app.Status.State == api.StateFailed
}

// failureReason is ` (CODE: message)` for an application with a reason.
func failureReason(obj api.Object) string {
	if app, ok := obj.(*api.Application); ok && app.Status.Reason != nil {
		return fmt.Sprintf(" (%s: %s)", app.Status.Reason.Code, app.Status.Reason.Message)
	}
	return ""
}
