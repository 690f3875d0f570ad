package store

import (
	"context"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/api"
)

// Event is one change of an object. A terminal Event carries Err and closes
// the stream (ErrCompacted: re-list and watch again).
type Event struct {
	Type     string // api.Added, api.Modified or api.Deleted
	Object   api.Object
	Revision int64
	// Data is the object's JSON with resource_version set, as stored, for
	// callers that pass it on without encoding it again.
	Data []byte
	Err  error
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
					obj, item, err := s.watched(k, prev)
					if err != nil {
						continue
					}
					event = Event{Type: api.Deleted, Object: obj, Revision: ev.Kv.ModRevision, Data: item.Data}
				default:
					obj, item, err := s.watched(k, ev.Kv)
					if err != nil {
						continue
					}
					typ := api.Modified
					if ev.IsCreate() {
						typ = api.Added
					}
					event = Event{Type: typ, Object: obj, Revision: ev.Kv.ModRevision, Data: item.Data}
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

// watched is an event's object both ways: the stored JSON as served (with
// its resource_version, secrets opened) and the object decoded from that,
// so each stored value is opened and parsed once, as a list does.
func (s *Store) watched(k api.Kind, kv *mvccpb.KeyValue) (api.Object, Item, error) {
	item, err := s.itemOf(k, kv)
	if err != nil {
		return nil, Item{}, err
	}
	obj, err := item.Decode(k)
	if err != nil {
		return nil, Item{}, err
	}
	return obj, item, nil
}
