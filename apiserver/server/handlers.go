package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"github.com/julienschmidt/httprouter"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/constraint"
	"github.com/krake-go/krake/apiserver/store"
)

// describe names an object in messages: `application "echo" in namespace "dev"`.
func describe(k api.Kind, namespace, name string) string {
	d := fmt.Sprintf("%s %q", strings.ToLower(k.Kind), name)
	if k.Namespaced {
		d += fmt.Sprintf(" in namespace %q", namespace)
	}
	return d
}

// storeError says which object a store error is about.
func storeError(err error, k api.Kind, namespace, name string, rv int64) error {
	what := describe(k, namespace, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errorf(http.StatusNotFound, "%s not found", what)
	case errors.Is(err, store.ErrAlreadyExists):
		return titledf(http.StatusConflict, TitleAlreadyExists, "%s already exists; update it, or delete it first", what)
	case errors.Is(err, store.ErrConflict):
		return errorf(http.StatusConflict, "%s was modified after resource_version %d; get the latest version and retry", what, rv)
	}
	return err
}

// queryBool reads a boolean query parameter; present without a value is
// true. Python's True/False are accepted as the original's clients send them.
func queryBool(r *http.Request, name string) (bool, error) {
	if r.URL.RawQuery == "" { // most requests: skip parsing
		return false, nil
	}
	q := r.URL.Query()
	if !q.Has(name) {
		return false, nil
	}
	switch strings.ToLower(q.Get(name)) {
	case "", "true", "1", "yes":
		return true, nil
	case "false", "0", "no":
		return false, nil
	}
	return false, errorf(http.StatusBadRequest, "query parameter %s=%q must be true or false", name, q.Get(name))
}

func newUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	hex.Encode(out[9:13], b[4:6])
	hex.Encode(out[14:18], b[6:8])
	hex.Encode(out[19:23], b[8:10])
	hex.Encode(out[24:], b[10:])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

func (s *Server) create(k api.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		dryRun, err := queryBool(r, "dry_run")
		if err != nil {
			return err
		}
		blocking, err := parseBlocking(r, k, false)
		if err != nil {
			return err
		}
		data, err := s.readBody(w, r, false)
		if err != nil {
			return err
		}
		obj := k.New()
		if err := decodeJSON(data, obj); err != nil {
			return err
		}
		m := obj.GetMetadata()
		if ns := p.ByName("namespace"); k.Namespaced {
			if m.Namespace == "" {
				m.Namespace = ns
			} else if m.Namespace != ns {
				return api.FieldErrors{{Field: "metadata.namespace",
					Reason: fmt.Sprintf("%q does not match the namespace %q of the URL", m.Namespace, ns)}}
			}
		}
		// Read-only fields in the input are ignored, as in the original.
		api.ResetStatus(k, obj)
		now := api.NewTime(s.now())
		m.UID, m.Created, m.Modified, m.Deleted, m.ResourceVersion = s.newUID(), now, now, nil, ""
		s.normalize(k, obj)
		fetch, err := translateTosca(obj)
		if err != nil {
			return err
		}
		if fetch {
			// The manifest comes from the template the server fetches.
			app := obj.(*api.Application)
			app.Spec.Manifest, app.Status.State = nil, api.StateTranslating
		}
		if err := api.Validate(k, obj); err != nil {
			return err
		}
		if dryRun {
			return s.writeObject(w, r, k, obj)
		}
		item, err := s.store.Create(r.Context(), k, obj)
		if err != nil {
			return storeError(err, k, m.Namespace, m.Name, 0)
		}
		if fetch {
			s.fetchTemplate(m.Namespace, m.Name)
		}
		if blocking != nil {
			return s.waitForState(w, r, k, obj, *blocking)
		}
		return s.writeItem(w, r, k, item.Data)
	}
}

func (s *Server) get(k api.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		ns, name := p.ByName("namespace"), p.ByName("name")
		item, err := s.store.Get(r.Context(), k, ns, name)
		if err != nil {
			return storeError(err, k, ns, name, 0)
		}
		return s.writeItem(w, r, k, item.Data)
	}
}

// listParams are the query parameters of list and watch.
type listParams struct {
	selector        []constraint.Label
	limit           int64
	continueToken   string
	resourceVersion int64
}

func parseListParams(r *http.Request) (listParams, error) {
	q := r.URL.Query()
	var lp listParams
	var err error
	if lp.selector, err = constraint.ParseSelector(q.Get("label_selector")); err != nil {
		return lp, errorf(http.StatusBadRequest, "label_selector: %v", err)
	}
	if raw := q.Get("limit"); raw != "" {
		if lp.limit, err = strconv.ParseInt(raw, 10, 64); err != nil || lp.limit < 0 {
			return lp, errorf(http.StatusBadRequest, "limit=%q must be a whole number of zero or more", raw)
		}
	}
	lp.continueToken = q.Get("continue")
	if lp.resourceVersion, err = store.ParseResourceVersion(q.Get("resource_version")); err != nil {
		return lp, errorf(http.StatusBadRequest, "%v", err)
	}
	return lp, nil
}

// labels returns the selector as a label filter, nil when there is none.
func (lp listParams) labels() func(map[string]string) bool {
	if len(lp.selector) == 0 {
		return nil
	}
	return func(labels map[string]string) bool { return constraint.MatchAll(lp.selector, labels) }
}

func (s *Server) list(k api.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		lp, err := parseListParams(r)
		if err != nil {
			return err
		}
		ns := p.ByName("namespace")
		if isWatch(r) {
			return s.watch(w, r, k, ns, lp)
		}
		opts := store.ListOptions{Limit: min(lp.limit, s.maxList), Continue: lp.continueToken, Labels: lp.labels(),
			Namespaces: allowedNamespaces(r.Context())}
		if lp.limit == 0 {
			// The whole list, as the original's clients expect, but read and
			// written a page at a time: memory stays one page per request.
			opts.Limit = s.maxList
			return s.streamList(w, r, k, ns, opts)
		}
		res, err := s.store.List(r.Context(), k, ns, opts)
		if err != nil {
			return err
		}
		if res.Items, err = s.presentItems(r, k, res.Items); err != nil {
			return err
		}
		return writeList(w, k, res)
	}
}

// streamList answers a list without a limit page by page, all pages at
// the first page's revision (one snapshot), spliced into one envelope.
func (s *Server) streamList(w http.ResponseWriter, r *http.Request, k api.Kind, ns string, opts store.ListOptions) error {
	page, err := s.listPage(r, k, ns, opts)
	if err != nil {
		return err
	}
	if page.Continue == "" {
		return writeList(w, k, page) // one page: the usual answer
	}
	head, err := listHead(k, page.Revision, "")
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	buf := append(head, '[')
	first := true
	for {
		for _, it := range page.Items {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			buf = append(buf, it.Data...)
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		buf = buf[:0]
		if page.Continue == "" {
			break
		}
		opts.Continue = page.Continue
		if page, err = s.listPage(r, k, ns, opts); err != nil {
			return err // the status is sent: the client sees a cut body
		}
	}
	_, err = w.Write([]byte("]}\n"))
	return err
}

// listPage is one page of a list, redacted for the user as need be.
func (s *Server) listPage(r *http.Request, k api.Kind, ns string, opts store.ListOptions) (store.ListResult, error) {
	page, err := s.store.List(r.Context(), k, ns, opts)
	if err == nil {
		page.Items, err = s.presentItems(r, k, page.Items)
	}
	return page, err
}

// listHead is a list envelope up to its items: `{"api":...,"items":`.
func listHead(k api.Kind, revision int64, continueToken string) ([]byte, error) {
	head, err := json.Marshal(api.List[struct{}]{
		API: k.API, Kind: k.Kind + "List",
		Metadata: api.ListMetadata{ResourceVersion: strconv.FormatInt(revision, 10), Continue: continueToken},
	})
	if err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(head, []byte(`null}`)), nil
}

// writeList answers a list, splicing the stored JSON of the items into
// the envelope: encoding/json would re-scan and compact every item.
func writeList(w http.ResponseWriter, k api.Kind, res store.ListResult) error {
	head, err := listHead(k, res.Revision, res.Continue)
	if err != nil {
		return err
	}
	size := len(head) + 3
	for _, it := range res.Items {
		size += len(it.Data) + 1
	}
	buf := make([]byte, 0, size)
	buf = append(buf, head...)
	buf = append(buf, '[')
	for i, it := range res.Items {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, it.Data...)
	}
	buf = append(buf, "]}"...)
	return writeRaw(w, http.StatusOK, buf)
}

// Sentinels that end a mutation without a write.
var (
	errNoChange = errors.New("no change")
	errDryRun   = errors.New("dry run")
)

// bodyFunc produces the client's desired object from the current one: a
// PUT ignores current, a PATCH merges onto it.
type bodyFunc func(current api.Object) (api.Object, error)

func (s *Server) update(k api.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		data, err := s.readBody(w, r, false)
		if err != nil {
			return err
		}
		body := k.New()
		if err := decodeJSON(data, body); err != nil {
			return err
		}
		return s.applyUpdate(w, r, k, p, func(api.Object) (api.Object, error) { return api.DeepCopy(body), nil })
	}
}

func (s *Server) patch(k api.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		data, err := s.readBody(w, r, true)
		if err != nil {
			return err
		}
		var patch map[string]any
		if err := decodeJSON(data, &patch); err != nil {
			return err
		}
		return s.applyUpdate(w, r, k, p, func(current api.Object) (api.Object, error) {
			raw, err := json.Marshal(current)
			if err != nil {
				return nil, err
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				return nil, err
			}
			// Without a resource_version in the patch, it applies to the latest.
			if meta, _ := doc["metadata"].(map[string]any); meta != nil {
				delete(meta, "resource_version")
			}
			merged, err := json.Marshal(mergePatch(doc, deepCopyJSON(patch)))
			if err != nil {
				return nil, err
			}
			body := k.New()
			if err := decodeJSON(merged, body); err != nil {
				return nil, err
			}
			return body, nil
		})
	}
}

func deepCopyJSON(m map[string]any) map[string]any {
	raw, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

// applyUpdate is PUT and PATCH: the spec and the mutable metadata (labels,
// inherit_labels, finalizers, owners) come from the body; status and the
// read-only metadata stay. A body carrying metadata.resource_version must
// match the stored one (409 otherwise); without it the last writer wins.
// When a deleted object loses its last finalizer, the record is removed.
func (s *Server) applyUpdate(w http.ResponseWriter, r *http.Request, k api.Kind, p httprouter.Params, bodyOf bodyFunc) error {
	ns, name := p.ByName("namespace"), p.ByName("name")
	dryRun, err := queryBool(r, "dry_run")
	if err != nil {
		return err
	}
	var expected int64
	var result api.Object
	refetch := false
	mutate := func(current api.Object) error {
		body, err := bodyOf(api.DeepCopy(current))
		if err != nil {
			return err
		}
		bm, cm := body.GetMetadata(), current.GetMetadata()
		if expected, err = store.ParseResourceVersion(bm.ResourceVersion); err != nil {
			return api.FieldErrors{{Field: "metadata.resource_version", Reason: err.Error()}}
		}
		if expected > 0 && strconv.FormatInt(expected, 10) != cm.ResourceVersion {
			return store.ErrConflict
		}
		if bm.Name == "" {
			bm.Name = cm.Name
		}
		if bm.Namespace == "" {
			bm.Namespace = cm.Namespace
		}
		if err := api.ValidateUpdate(current, body); err != nil {
			return err
		}
		if cm.Deleted != nil {
			for _, f := range bm.Finalizers {
				if !slices.Contains(cm.Finalizers, f) {
					return errorf(http.StatusConflict, "%s is being deleted; finalizers can only be removed, not added (%q)",
						describe(k, ns, name), f)
				}
			}
		}
		api.KeepRedacted(body, current) // "REDACTED" sent back keeps the secret
		s.normalize(k, body)
		fetch, err := translateTosca(body)
		if err != nil {
			return err
		}
		before, _ := json.Marshal(current)
		refetch = false
		if fetch {
			// A new URL, or none translated yet: fetch again.
			app, now := body.(*api.Application), current.(*api.Application)
			was, _ := api.TemplateURL(now.Spec)
			is, _ := api.TemplateURL(app.Spec)
			if refetch = was != is || len(app.Spec.Manifest) == 0; refetch {
				app.Spec.Manifest, now.Status.State = nil, api.StateTranslating
			}
		}
		api.CopySpec(current, body)
		cm.Labels, cm.InheritLabels, cm.Finalizers, cm.Owners = bm.Labels, bm.InheritLabels, bm.Finalizers, bm.Owners
		if err := api.Validate(k, current); err != nil {
			return err
		}
		result = current
		if after, _ := json.Marshal(current); bytes.Equal(before, after) {
			return errNoChange
		}
		cm.Modified = api.NewTime(s.now())
		if dryRun {
			return errDryRun
		}
		return nil
	}
	obj, _, err := s.store.GuaranteedUpdate(r.Context(), k, ns, name, 0, func(current api.Object) error {
		return mutate(current)
	})
	switch {
	case errors.Is(err, errNoChange) && k.API == "infrastructure":
		// The original refuses an update that changes nothing; its
		// infrastructure scripts rely on that (the other kinds keep 200).
		return titledf(http.StatusBadRequest, TitleUpdate, "the update of %s changes nothing", describe(k, ns, name))
	case errors.Is(err, errNoChange), errors.Is(err, errDryRun):
		return s.writeObject(w, r, k, result)
	case err != nil:
		return storeError(err, k, ns, name, expected)
	}
	if refetch {
		s.fetchTemplate(ns, name)
	}
	return s.writeObject(w, r, k, obj)
}

func (s *Server) delete(k api.Kind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error {
		ns, name := p.ByName("namespace"), p.ByName("name")
		ctx := r.Context()
		force, err := queryBool(r, "force")
		if err != nil {
			return err
		}
		dryRun, err := queryBool(r, "dry_run")
		if err != nil {
			return err
		}
		blocking, err := parseBlocking(r, k, true)
		if err != nil {
			return err
		}
		if dryRun {
			obj, err := s.load(ctx, k, ns, name)
			if err != nil {
				return storeError(err, k, ns, name, 0)
			}
			if !force {
				markDeleted(obj, s.now())
			}
			return s.writeObject(w, r, k, obj)
		}
		if force {
			obj, err := s.store.Delete(ctx, k, ns, name, 0)
			if err != nil {
				return storeError(err, k, ns, name, 0)
			}
			return s.writeObject(w, r, k, obj)
		}
		var unchanged api.Object
		obj, removed, err := s.store.GuaranteedUpdate(ctx, k, ns, name, 0, func(current api.Object) error {
			if current.GetMetadata().Deleted != nil {
				unchanged = current
				return errNoChange // already being deleted
			}
			markDeleted(current, s.now())
			return nil
		})
		switch {
		case errors.Is(err, errNoChange):
			obj = unchanged
		case err != nil:
			return storeError(err, k, ns, name, 0)
		}
		if blocking != nil && !removed {
			return s.waitForState(w, r, k, obj, *blocking)
		}
		return s.writeObject(w, r, k, obj)
	}
}

// markDeleted starts the finalizer flow: the garbage collector removes
// cascade_deletion once dependents are gone, and the record leaves etcd when
// no finalizer is left.
func markDeleted(obj api.Object, now time.Time) {
	m := obj.GetMetadata()
	m.Deleted = api.NewTimePtr(now)
	if !slices.Contains(m.Finalizers, api.FinalizerCascadeDeletion) {
		m.Finalizers = append(m.Finalizers, api.FinalizerCascadeDeletion)
	}
}

// withTimeout bounds waits that a query parameter may shorten.
func withTimeout(ctx context.Context, r *http.Request) (context.Context, context.CancelFunc, error) {
	d, err := parseTimeout(r)
	if err != nil {
		return nil, nil, err
	}
	c, cancel := context.WithTimeout(ctx, d)
	return c, cancel, nil
}

// load reads one stored object, typed.
func (s *Server) load(ctx context.Context, k api.Kind, namespace, name string) (api.Object, error) {
	item, err := s.store.Get(ctx, k, namespace, name)
	if err != nil {
		return nil, err
	}
	return item.Decode(k)
}

// normalize fills what a request left out: the server's defaults
// (Options.Defaults), then the API's.
func (s *Server) normalize(k api.Kind, obj api.Object) {
	if s.defaults != nil {
		s.defaults(obj)
	}
	api.Normalize(k, obj)
}
