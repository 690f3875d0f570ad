// Package store keeps Krake's objects in etcd v3. Keys are
// /{api}/{plural}/{namespace}/{name} (global kinds: /{api}/{plural}/{name}),
// values are the objects' JSON, and every write is one transaction guarded on
// the key's create or mod revision. metadata.resource_version is the mod
// revision.
package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	json "github.com/go-json-experiment/json/v1"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/krake-go/krake/apiserver/api"
)

// Typed errors, produced from transaction results, never from error strings.
var (
	ErrNotFound      = errors.New("not found")
	ErrAlreadyExists = errors.New("already exists")
	ErrConflict      = errors.New("resource_version is stale")
	ErrCompacted     = errors.New("resource_version is too old (compacted)")
	ErrUnavailable   = errors.New("etcd unavailable")
	ErrBadContinue   = errors.New("invalid continue token")
	ErrTooLarge      = errors.New("object is larger than etcd accepts")
	ErrNoSpace       = errors.New("etcd is out of space (its quota is reached)")
	// ErrTooSlow ends a watch that fell behind the events (a watch cache's
	// buffer filled); it should resume from the last resource_version it got.
	ErrTooSlow = errors.New("the watch fell behind the events; resume from the last resource_version received")
)

// Store is the etcd-backed object store. It is safe for concurrent use.
type Store struct {
	client *clientv3.Client
	prefix string
	sealer *Sealer
}

// Options tune a Store.
type Options struct {
	// Prefix is put before every key; tests use it to share one etcd.
	Prefix string
	// Sealer encrypts the credential fields at rest; nil stores them as
	// they are (and reading encrypted ones fails with ErrSealed).
	Sealer *Sealer
}

// New returns a Store over client.
func New(client *clientv3.Client, opts Options) *Store {
	return &Store{client: client, prefix: opts.Prefix, sealer: opts.Sealer}
}

// Key is the etcd key of an object.
func (s *Store) Key(k api.Kind, namespace, name string) string {
	return s.collection(k, namespace) + name
}

// collection is the key prefix of a kind, or of one namespace of it.
func (s *Store) collection(k api.Kind, namespace string) string {
	p := s.prefix + "/" + k.API + "/" + k.Plural + "/"
	if k.Namespaced && namespace != "" {
		p += namespace + "/"
	}
	return p
}

func (s *Store) keyOf(k api.Kind, obj api.Object) string {
	m := obj.GetMetadata()
	return s.Key(k, m.Namespace, m.Name)
}

// encode is the JSON stored for obj, its secrets encrypted when a sealer
// is set, without resource_version (derived from the revision on read).
func (s *Store) encode(k api.Kind, obj api.Object) ([]byte, error) {
	sealed, err := s.sealObject(k, obj)
	if err != nil {
		return nil, err
	}
	return encodePlain(sealed)
}

func encodePlain(obj api.Object) ([]byte, error) {
	m := obj.GetMetadata()
	rv := m.ResourceVersion
	m.ResourceVersion = ""
	data, err := json.Marshal(obj)
	m.ResourceVersion = rv
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Name, err)
	}
	return data, nil
}

func (s *Store) decode(k api.Kind, kv *mvccpb.KeyValue) (api.Object, error) {
	obj, err := k.Decode(kv.Value)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	if isSealed(kv.Value) {
		if err := api.VisitSecrets(obj, s.sealer.open); err != nil {
			return nil, fmt.Errorf("decode %s: %w", kv.Key, err)
		}
	}
	obj.GetMetadata().ResourceVersion = strconv.FormatInt(kv.ModRevision, 10)
	return obj, nil
}

// ParseResourceVersion turns a resource_version into a revision; "" is 0.
func ParseResourceVersion(rv string) (int64, error) {
	if rv == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("resource_version %q is not a revision number", rv)
	}
	return n, nil
}

// Create stores a new object; ErrAlreadyExists when the key is taken. On
// success obj.metadata.resource_version is the new revision, and the item
// is the stored JSON, so the caller can answer without encoding again.
func (s *Store) Create(ctx context.Context, k api.Kind, obj api.Object) (Item, error) {
	key := s.keyOf(k, obj)
	value, err := s.encode(k, obj)
	if err != nil {
		return Item{}, err
	}
	answer := value // what the caller gets back: the plaintext
	if isSealed(value) {
		if answer, err = encodePlain(obj); err != nil {
			return Item{}, err
		}
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(value))).
		Commit()
	if err != nil {
		return Item{}, wrapEtcd(err)
	}
	if !resp.Succeeded {
		return Item{}, ErrAlreadyExists
	}
	obj.GetMetadata().ResourceVersion = strconv.FormatInt(resp.Header.Revision, 10)
	data, ok := withRevision(answer, resp.Header.Revision)
	if !ok {
		return Item{}, fmt.Errorf("encoded %s lacks metadata.resource_version", key)
	}
	return Item{Data: data, Revision: resp.Header.Revision}, nil
}

// ListOptions select and page a list.
type ListOptions struct {
	Limit    int64  // at most this many items; 0 means all
	Continue string // token from the previous page
	// Labels keeps only items whose labels it accepts (label selectors).
	// Only metadata.labels is decoded to decide.
	Labels func(labels map[string]string) bool
	// Namespaces, when not nil, keeps only items of these namespaces (a
	// list across namespaces by a user who may list in some of them).
	Namespaces map[string]bool
}

// namespaceOfKey is the namespace in a key below a kind's prefix
// (/{api}/{plural}/{namespace}/{name}).
func namespaceOfKey(key, prefix string) string {
	rest := strings.TrimPrefix(key, prefix)
	ns, _, _ := strings.Cut(rest, "/")
	return ns
}

// Item is one stored object as JSON, with its resource_version filled in.
// Handing out the stored bytes spares the API a decode and re-encode of
// every object it lists or gets.
type Item struct {
	Data     []byte
	Revision int64
}

// Decode turns the item into a typed object of kind k.
func (it Item) Decode(k api.Kind) (api.Object, error) {
	obj, err := k.Decode(it.Data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", k.Kind, err)
	}
	return obj, nil
}

// ListResult is one page of objects read at one revision.
type ListResult struct {
	Items    []Item
	Revision int64  // start a watch after this revision to miss nothing
	Continue string // non-empty when more items remain
}

// Objects decodes every item.
func (r ListResult) Objects(k api.Kind) ([]api.Object, error) {
	out := make([]api.Object, 0, len(r.Items))
	for _, it := range r.Items {
		obj, err := it.Decode(k)
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	return out, nil
}

type continueToken struct {
	Revision int64  `json:"rev"`
	Start    string `json:"start"`
}

// List reads a kind, in one namespace or (namespace "") in all. Every page
// of a paged list is read at the first page's revision, so pages are a
// consistent snapshot.
func (s *Store) List(ctx context.Context, k api.Kind, namespace string, opts ListOptions) (ListResult, error) {
	prefix := s.collection(k, namespace)
	end := clientv3.GetPrefixRangeEnd(prefix)
	start, rev := prefix, int64(0)
	if opts.Continue != "" {
		var tok continueToken
		raw, err := base64.RawURLEncoding.DecodeString(opts.Continue)
		if err != nil || json.Unmarshal(raw, &tok) != nil || tok.Revision <= 0 || len(tok.Start) < len(prefix) || tok.Start[:len(prefix)] != prefix {
			return ListResult{}, ErrBadContinue
		}
		start, rev = tok.Start, tok.Revision
	}
	var result ListResult
	for {
		getOpts := []clientv3.OpOption{clientv3.WithRange(end)}
		if rev > 0 {
			getOpts = append(getOpts, clientv3.WithRev(rev))
		}
		if opts.Limit > 0 {
			getOpts = append(getOpts, clientv3.WithLimit(opts.Limit-int64(len(result.Items))+1))
		}
		resp, err := s.client.Get(ctx, start, getOpts...)
		if err != nil {
			return ListResult{}, wrapEtcd(err)
		}
		if rev == 0 {
			rev = resp.Header.Revision
		}
		for _, kv := range resp.Kvs {
			if opts.Limit > 0 && int64(len(result.Items)) == opts.Limit {
				result.Continue = encodeContinue(rev, string(kv.Key))
				result.Revision = rev
				return result, nil
			}
			if opts.Namespaces != nil && !opts.Namespaces[namespaceOfKey(string(kv.Key), prefix)] {
				continue
			}
			if opts.Labels != nil {
				var partial struct {
					Metadata struct {
						Labels map[string]string `json:"labels"`
					} `json:"metadata"`
				}
				if err := json.Unmarshal(kv.Value, &partial); err != nil {
					return ListResult{}, fmt.Errorf("decode %s: %w", kv.Key, err)
				}
				if !opts.Labels(partial.Metadata.Labels) {
					continue
				}
			}
			item, err := s.itemOf(k, kv)
			if err != nil {
				return ListResult{}, err
			}
			result.Items = append(result.Items, item)
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		// The filter dropped items: read on after the last key seen.
		start = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	result.Revision = rev
	return result, nil
}

// rvPlaceholder is how encode leaves metadata.resource_version in stored
// JSON. It is the first occurrence in the document: metadata precedes spec
// and status, and no metadata string before it can hold unescaped quotes.
var rvPlaceholder = []byte(`"resource_version":""`)

// withRevision returns data with the placeholder replaced by rev.
func withRevision(data []byte, rev int64) ([]byte, bool) {
	i := bytes.Index(data, rvPlaceholder)
	if i < 0 {
		return nil, false
	}
	out := make([]byte, 0, len(data)+20)
	out = append(out, data[:i]...)
	out = append(out, `"resource_version":"`...)
	out = strconv.AppendInt(out, rev, 10)
	out = append(out, '"')
	return append(out, data[i+len(rvPlaceholder):]...), true
}

func (s *Store) itemOf(k api.Kind, kv *mvccpb.KeyValue) (Item, error) {
	value, err := s.openValue(k, kv.Value)
	if err != nil {
		return Item{}, fmt.Errorf("decode %s: %w", kv.Key, err)
	}
	data, ok := withRevision(value, kv.ModRevision)
	if !ok {
		return Item{}, fmt.Errorf("stored object %s lacks metadata.resource_version", kv.Key)
	}
	return Item{Data: data, Revision: kv.ModRevision}, nil
}

// Get reads one object as its stored JSON (secrets opened, revision set);
// Item.Decode turns it into a typed object.
func (s *Store) Get(ctx context.Context, k api.Kind, namespace, name string) (Item, error) {
	resp, err := s.client.Get(ctx, s.Key(k, namespace, name))
	if err != nil {
		return Item{}, wrapEtcd(err)
	}
	if len(resp.Kvs) == 0 {
		return Item{}, ErrNotFound
	}
	return s.itemOf(k, resp.Kvs[0])
}

func encodeContinue(rev int64, start string) string {
	raw, _ := json.Marshal(continueToken{Revision: rev, Start: start})
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Update replaces an object if its mod revision is still expectedRev
// (ErrConflict otherwise). An object that is deleted and has no finalizer
// left is removed instead of written: removed is then true. On success
// obj.metadata.resource_version is the new revision.
func (s *Store) Update(ctx context.Context, k api.Kind, obj api.Object, expectedRev int64) (removed bool, err error) {
	key := s.keyOf(k, obj)
	m := obj.GetMetadata()
	var op clientv3.Op
	if m.Deleted != nil && len(m.Finalizers) == 0 {
		op, removed = clientv3.OpDelete(key), true
	} else {
		value, err := s.encode(k, obj)
		if err != nil {
			return false, err
		}
		op = clientv3.OpPut(key, string(value))
	}
	resp, err := s.client.Txn(ctx).
		If(clientv3.Compare(clientv3.ModRevision(key), "=", expectedRev)).
		Then(op).
		Else(clientv3.OpGet(key, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return false, wrapEtcd(err)
	}
	if !resp.Succeeded {
		if len(resp.Responses[0].GetResponseRange().Kvs) == 0 {
			return false, ErrNotFound
		}
		return false, ErrConflict
	}
	m.ResourceVersion = strconv.FormatInt(resp.Header.Revision, 10)
	return removed, nil
}

// Delete removes an object at once (no finalizers), if its mod revision is
// expectedRev, or whatever it is when expectedRev is 0.
func (s *Store) Delete(ctx context.Context, k api.Kind, namespace, name string, expectedRev int64) (api.Object, error) {
	key := s.Key(k, namespace, name)
	cmp := clientv3.Compare(clientv3.CreateRevision(key), ">", 0)
	if expectedRev > 0 {
		cmp = clientv3.Compare(clientv3.ModRevision(key), "=", expectedRev)
	}
	resp, err := s.client.Txn(ctx).
		If(cmp).
		Then(clientv3.OpDelete(key, clientv3.WithPrevKV())).
		Else(clientv3.OpGet(key, clientv3.WithKeysOnly())).
		Commit()
	if err != nil {
		return nil, wrapEtcd(err)
	}
	if !resp.Succeeded {
		if len(resp.Responses[0].GetResponseRange().Kvs) == 0 {
			return nil, ErrNotFound
		}
		return nil, ErrConflict
	}
	prev := resp.Responses[0].GetResponseDeleteRange().PrevKvs
	if len(prev) == 0 {
		return nil, ErrNotFound
	}
	obj, err := s.decode(k, prev[0])
	if err != nil {
		return nil, err
	}
	obj.GetMetadata().ResourceVersion = strconv.FormatInt(resp.Header.Revision, 10)
	return obj, nil
}

// MutateFunc changes a copy of the current object; an error aborts.
type MutateFunc func(current api.Object) error

// GuaranteedUpdate reads the object, applies mutate and writes it back,
// retrying on a concurrent write. With expectedRev > 0 it does not retry:
// the caller asked for that exact version, so a newer one is ErrConflict.
func (s *Store) GuaranteedUpdate(ctx context.Context, k api.Kind, namespace, name string, expectedRev int64, mutate MutateFunc) (obj api.Object, removed bool, err error) {
	for {
		item, err := s.Get(ctx, k, namespace, name)
		if err != nil {
			return nil, false, err
		}
		current, err := item.Decode(k)
		if err != nil {
			return nil, false, err
		}
		rev := item.Revision
		if expectedRev > 0 && rev != expectedRev {
			return nil, false, ErrConflict
		}
		if err := mutate(current); err != nil {
			return nil, false, err
		}
		removed, err := s.Update(ctx, k, current, rev)
		if errors.Is(err, ErrConflict) && expectedRev == 0 {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		return current, removed, nil
	}
}

// Revision is the store's current revision.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	resp, err := s.client.Get(ctx, s.prefix+"/", clientv3.WithKeysOnly(), clientv3.WithLimit(1))
	if err != nil {
		return 0, wrapEtcd(err)
	}
	return resp.Header.Revision, nil
}

func wrapEtcd(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if errors.Is(err, rpctypes.ErrCompacted) {
		return ErrCompacted
	}
	if errors.Is(err, rpctypes.ErrFutureRev) {
		return ErrBadContinue
	}
	if errors.Is(err, rpctypes.ErrRequestTooLarge) || errors.Is(err, rpctypes.ErrGRPCRequestTooLarge) {
		return ErrTooLarge
	}
	if errors.Is(err, rpctypes.ErrNoSpace) || errors.Is(err, rpctypes.ErrGRPCNoSpace) {
		return ErrNoSpace
	}
	code := status.Code(err)
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		code = etcdErr.Code()
	}
	switch code {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	case codes.OutOfRange:
		return ErrCompacted
	}
	if errors.Is(err, rpctypes.ErrGRPCNoLeader) || errors.Is(err, rpctypes.ErrTimeout) {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return err
}

// CheckRevision returns ErrCompacted when history at rev is gone, so a
// watch resuming from rev would miss events.
func (s *Store) CheckRevision(ctx context.Context, rev int64) error {
	_, err := s.client.Get(ctx, s.prefix+"/", clientv3.WithRev(rev), clientv3.WithCountOnly())
	if err == nil || errors.Is(err, rpctypes.ErrFutureRev) {
		return nil
	}
	return wrapEtcd(err)
}
