package store

import (
	"context"
	"errors"
	"strings"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/api"
)

// Event is one change of an object. A terminal Event carries Err and closes
// the stream (ErrCompacted: re-list and watch again).
type Event struct {
	Type      string // api.Added, api.Modified or api.Deleted
	Revision  int64
	Namespace string // the object's namespace ("" for a global kind)
	Name      string
	// Data is the object's JSON with resource_version set, as stored, for
	// callers that pass it on without encoding it again.
	Data []byte
	Err  error
	// decoded is the object read from Data once, when a caller first asks
	// (a label selector, a redaction): shared by every copy of the event,
	// so a watch cache's fan-out decodes it at most once, and a write no
	// watcher looks into is never decoded at all.
	decoded *decodedObject
}

type decodedObject struct {
	once sync.Once
	kind api.Kind
	obj  api.Object
	err  error
}

// NewEvent is an event of an object given as its JSON, decoded on demand.
func NewEvent(k api.Kind, typ string, rev int64, namespace, name string, data []byte) Event {
	return Event{Type: typ, Revision: rev, Namespace: namespace, Name: name, Data: data, decoded: &decodedObject{kind: k}}
}

// Object is the event's object, decoded from Data the first time it is
// asked for. The caller must not change it: copies of the event share it.
func (e Event) Object() (api.Object, error) {
	if e.decoded == nil {
		return nil, errors.New("an error event carries no object")
	}
	d := e.decoded
	d.once.Do(func() { d.obj, d.err = Item{Data: e.Data, Revision: e.Revision}.Decode(d.kind) })
	return d.obj, d.err
}

// Remembers reports whether a watch after afterRev is served without a
// round trip to check the revision: never for the store itself (etcd
// checks it); a watch cache answers for the history it holds.
func (s *Store) Remembers(api.Kind, int64) bool { return false }

// Watch streams changes of a kind (in one namespace, or all when namespace
// is "") that happen after revision afterRev; afterRev 0 means from now.
// Each event's object carries its revision as resource_version, so a client
// can resume after the last event it saw and miss nothing. The channel
// closes when ctx ends or after a terminal error event.
func (s *Store) Watch(ctx context.Context, k api.Kind, namespace string, afterRev int64) <-chan Event {
	out := make(chan Event)
	prefix := s.collection(k, namespace)
	opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithPrevKV(), clientv3.WithProgressNotify()}
	if afterRev > 0 {
		opts = append(opts, clientv3.WithRev(afterRev+1))
	}
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	watch := s.client.Watch(ctx, prefix, opts...)
	go func() {
		defer close(out)
		defer cancel()
		send := func(ev Event) bool {
			select {
			case out <- ev:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for resp := range watch {
			if resp.CompactRevision != 0 {
				send(Event{Err: ErrCompacted})
				return
			}
			if err := resp.Err(); err != nil {
				send(Event{Err: wrapEtcd(err)})
				return
			}
			for _, ev := range resp.Events {
				var event Event
				switch {
				case ev.Type == clientv3.EventTypeDelete:
					if ev.PrevKv == nil {
						continue
					}
					// A deletion carries its own revision.
					prev := &mvccpb.KeyValue{Key: ev.PrevKv.Key, Value: ev.PrevKv.Value, ModRevision: ev.Kv.ModRevision}
					item, err := s.itemOf(k, prev)
					if err != nil {
						continue
					}
					ns, name := s.nameOf(k, prev.Key)
					event = NewEvent(k, api.Deleted, ev.Kv.ModRevision, ns, name, item.Data)
				default:
					item, err := s.itemOf(k, ev.Kv)
					if err != nil {
						continue
					}
					typ := api.Modified
					if ev.IsCreate() {
						typ = api.Added
					}
					ns, name := s.nameOf(k, ev.Kv.Key)
					event = NewEvent(k, typ, ev.Kv.ModRevision, ns, name, item.Data)
				}
				if !send(event) {
					return
				}
			}
		}
		if ctx.Err() == nil {
			send(Event{Err: ErrUnavailable})
		}
	}()
	return out
}

// nameOf reads an object's namespace and name from its key
// (prefix/api/plural/[namespace/]name, as Key writes it).
func (s *Store) nameOf(k api.Kind, key []byte) (namespace, name string) {
	rest := strings.TrimPrefix(string(key), s.collection(k, ""))
	if !k.Namespaced {
		return "", rest
	}
	namespace, name, _ = strings.Cut(rest, "/")
	return namespace, name
}
