package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
)

// Resource is the client of one kind, in one namespace (or, with namespace
// "", across all namespaces for list and watch). T is the kind's pointer
// type, e.g. *api.Application.
type Resource[T api.Object] struct {
	c         *Client
	kind      api.Kind
	namespace string
}

// For returns the client of kind k in namespace (ignored for global kinds).
// T must be the Go type of k's objects.
func For[T api.Object](c *Client, k api.Kind, namespace string) *Resource[T] {
	// T is the kind's pointer type, or an interface its objects implement
	// (api.Object for code generic over kinds, as rok's commands are).
	if kt, t := k.GoType(), reflect.TypeFor[T](); kt != t && (t.Kind() != reflect.Interface || !kt.Implements(t)) {
		panic(fmt.Sprintf("client: kind %s does not hold %s", k, t))
	}
	if !k.Namespaced {
		namespace = ""
	}
	return &Resource[T]{c: c, kind: k, namespace: namespace}
}

// Applications in namespace ("" lists and watches all namespaces).
func (c *Client) Applications(namespace string) *Resource[*api.Application] {
	return For[*api.Application](c, api.MustKind("kubernetes", "Application"), namespace)
}

// Clusters in namespace.
func (c *Client) Clusters(namespace string) *Resource[*api.Cluster] {
	return For[*api.Cluster](c, api.MustKind("kubernetes", "Cluster"), namespace)
}

// Metrics in namespace.
func (c *Client) Metrics(namespace string) *Resource[*api.Metric] {
	return For[*api.Metric](c, api.MustKind("core", "Metric"), namespace)
}

// GlobalMetrics are cluster-wide.
func (c *Client) GlobalMetrics() *Resource[*api.Metric] {
	return For[*api.Metric](c, api.MustKind("core", "GlobalMetric"), "")
}

// MetricsProviders in namespace.
func (c *Client) MetricsProviders(namespace string) *Resource[*api.MetricsProvider] {
	return For[*api.MetricsProvider](c, api.MustKind("core", "MetricsProvider"), namespace)
}

// GlobalMetricsProviders are cluster-wide.
func (c *Client) GlobalMetricsProviders() *Resource[*api.MetricsProvider] {
	return For[*api.MetricsProvider](c, api.MustKind("core", "GlobalMetricsProvider"), "")
}

// Roles are global.
func (c *Client) Roles() *Resource[*api.Role] {
	return For[*api.Role](c, api.MustKind("core", "Role"), "")
}

// RoleBindings are global.
func (c *Client) RoleBindings() *Resource[*api.RoleBinding] {
	return For[*api.RoleBinding](c, api.MustKind("core", "RoleBinding"), "")
}

// Leases are global: one per controller whose replicas elect a leader.
func (c *Client) Leases() *Resource[*api.Lease] {
	return For[*api.Lease](c, api.MustKind("core", "Lease"), "")
}

// InfrastructureProviders in namespace.
func (c *Client) InfrastructureProviders(namespace string) *Resource[*api.InfrastructureProvider] {
	return For[*api.InfrastructureProvider](c, api.MustKind("infrastructure", "InfrastructureProvider"), namespace)
}

// GlobalInfrastructureProviders are cluster-wide.
func (c *Client) GlobalInfrastructureProviders() *Resource[*api.InfrastructureProvider] {
	return For[*api.InfrastructureProvider](c, api.MustKind("infrastructure", "GlobalInfrastructureProvider"), "")
}

// Clouds in namespace.
func (c *Client) Clouds(namespace string) *Resource[*api.Cloud] {
	return For[*api.Cloud](c, api.MustKind("infrastructure", "Cloud"), namespace)
}

// GlobalClouds are cluster-wide.
func (c *Client) GlobalClouds() *Resource[*api.Cloud] {
	return For[*api.Cloud](c, api.MustKind("infrastructure", "GlobalCloud"), "")
}

// Kind is the resource's kind.
func (r *Resource[T]) Kind() api.Kind { return r.kind }

func (r *Resource[T]) collectionPath() string {
	if r.kind.Namespaced && r.namespace != "" {
		return "/" + r.kind.API + "/namespaces/" + url.PathEscape(r.namespace) + "/" + r.kind.Plural
	}
	return "/" + r.kind.API + "/" + r.kind.Plural
}

func (r *Resource[T]) itemPath(name string) (string, error) {
	if name == "" {
		return "", errors.New("a name is required")
	}
	if r.kind.Namespaced && r.namespace == "" {
		return "", fmt.Errorf("%s is namespaced: give a namespace", r.kind.Kind)
	}
	return r.collectionPath() + "/" + url.PathEscape(name), nil
}

func (r *Resource[T]) newObject() T { return r.kind.New().(T) }

// WriteOptions are the query options of writes.
type WriteOptions struct {
	DryRun bool
	// Blocking waits until the object reaches this state ("DELETED" for a
	// delete); "true" waits for the natural end state.
	Blocking string
	// Timeout bounds a blocking wait on the server (default 60s there).
	Timeout float64
	Force   bool // delete only: remove the record at once
}

func (o WriteOptions) query() url.Values {
	q := url.Values{}
	if o.DryRun {
		q.Set("dry_run", "true")
	}
	if o.Blocking != "" {
		q.Set("blocking", o.Blocking)
	}
	if o.Timeout > 0 {
		q.Set("timeout", strconv.FormatFloat(o.Timeout, 'f', -1, 64))
	}
	if o.Force {
		q.Set("force", "True")
	}
	return q
}

func (r *Resource[T]) write(ctx context.Context, method, path string, opts WriteOptions, body any, contentType string) (T, error) {
	out := r.newObject()
	if opts.Blocking != "" {
		// The server holds the request until the state is reached.
		timeout := opts.Timeout
		if timeout == 0 {
			timeout = 60
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.c.timeout+secondsToDuration(timeout))
		defer cancel()
	}
	if err := r.c.do(ctx, method, path, opts.query(), body, contentType, out); err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// Create stores a new object in the resource's namespace.
func (r *Resource[T]) Create(ctx context.Context, obj T, opts WriteOptions) (T, error) {
	if r.kind.Namespaced && r.namespace == "" {
		var zero T
		return zero, fmt.Errorf("%s is namespaced: give a namespace", r.kind.Kind)
	}
	return r.write(ctx, http.MethodPost, r.collectionPath(), opts, obj, "")
}

// Get reads one object.
func (r *Resource[T]) Get(ctx context.Context, name string) (T, error) {
	out := r.newObject()
	path, err := r.itemPath(name)
	if err == nil {
		err = r.c.do(ctx, http.MethodGet, path, nil, nil, "", out)
	}
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// Update replaces the object's spec and mutable metadata (PUT). With
// metadata.resource_version set, it fails with a conflict if the object
// changed since.
func (r *Resource[T]) Update(ctx context.Context, obj T, opts WriteOptions) (T, error) {
	path, err := r.itemPath(obj.GetMetadata().Name)
	if err != nil {
		var zero T
		return zero, err
	}
	return r.write(ctx, http.MethodPut, path, opts, obj, "")
}

// UpdateStatus replaces the object's status (PUT .../status).
func (r *Resource[T]) UpdateStatus(ctx context.Context, obj T) (T, error) {
	return r.Subresource(ctx, obj.GetMetadata().Name, api.SubStatus, obj)
}

// Subresource PUTs body to .../{name}/{sub} (status, binding, complete,
// shutdown, retry).
func (r *Resource[T]) Subresource(ctx context.Context, name, sub string, body any) (T, error) {
	path, err := r.itemPath(name)
	if err != nil {
		var zero T
		return zero, err
	}
	if body == nil {
		body = map[string]any{}
	}
	return r.write(ctx, http.MethodPut, path+"/"+sub, WriteOptions{}, body, "")
}

// Patch applies a JSON merge patch (RFC 7386) to the object.
func (r *Resource[T]) Patch(ctx context.Context, name string, patch any, opts WriteOptions) (T, error) {
	path, err := r.itemPath(name)
	if err != nil {
		var zero T
		return zero, err
	}
	return r.write(ctx, http.MethodPatch, path, opts, patch, "application/merge-patch+json")
}

// Delete starts the object's deletion (or, with Force, removes it at once)
// and returns it as it was marked.
func (r *Resource[T]) Delete(ctx context.Context, name string, opts WriteOptions) (T, error) {
	path, err := r.itemPath(name)
	if err != nil {
		var zero T
		return zero, err
	}
	return r.write(ctx, http.MethodDelete, path, opts, nil, "")
}

// ListOptions select and page a list.
type ListOptions struct {
	LabelSelector string
	Limit         int64
	Continue      string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.LabelSelector != "" {
		q.Set("label_selector", o.LabelSelector)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.FormatInt(o.Limit, 10))
	}
	if o.Continue != "" {
		q.Set("continue", o.Continue)
	}
	return q
}

// List reads one page. Its Metadata.ResourceVersion is where a watch should
// start to miss nothing; Metadata.Continue fetches the next page.
func (r *Resource[T]) List(ctx context.Context, opts ListOptions) (*api.List[T], error) {
	raw, err := r.ListJSON(ctx, opts)
	if err != nil {
		return nil, err
	}
	list := &api.List[T]{API: raw.API, Kind: raw.Kind, Metadata: raw.Metadata, Items: make([]T, 0, len(raw.Items))}
	for _, item := range raw.Items {
		obj := r.newObject()
		if err := json.Unmarshal(item, obj); err != nil {
			return nil, fmt.Errorf("decode %s list item: %w", r.kind.Kind, err)
		}
		list.Items = append(list.Items, obj)
	}
	return list, nil
}

// ListJSON reads one page with each item left as the server's JSON, for
// callers that only print or re-shape it.
func (r *Resource[T]) ListJSON(ctx context.Context, opts ListOptions) (*api.List[json.RawMessage], error) {
	var list api.List[json.RawMessage]
	if err := r.c.do(ctx, http.MethodGet, r.collectionPath(), opts.query(), nil, "", &list); err != nil {
		return nil, err
	}
	return &list, nil
}

// ListAllJSON reads every page with each item left as the server's JSON;
// the result's resource_version is the first page's (one snapshot).
func (r *Resource[T]) ListAllJSON(ctx context.Context, opts ListOptions) (*api.List[json.RawMessage], error) {
	return listAll(ctx, opts, r.ListJSON)
}

// ListAll reads every page; the result's resource_version is the first
// page's (all pages are one snapshot).
func (r *Resource[T]) ListAll(ctx context.Context, opts ListOptions) (*api.List[T], error) {
	return listAll(ctx, opts, r.List)
}

// listAll follows continue tokens from page, joining the items.
func listAll[E any](ctx context.Context, opts ListOptions, page func(context.Context, ListOptions) (*api.List[E], error)) (*api.List[E], error) {
	var all *api.List[E]
	for {
		p, err := page(ctx, opts)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = p
		} else {
			all.Items = append(all.Items, p.Items...)
		}
		if p.Metadata.Continue == "" {
			all.Metadata.Continue = ""
			return all, nil
		}
		opts.Continue = p.Metadata.Continue
	}
}
