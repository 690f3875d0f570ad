// Package server is Krake's REST API: routes generated from api.Kinds on
// httprouter, handlers that decode, validate, call the store and encode, and
// one adapter that renders every error as application/problem+json.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"github.com/julienschmidt/httprouter"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/store"
)

// Watcher serves watches: the store itself, or a watch cache in front.
type Watcher interface {
	Watch(ctx context.Context, k api.Kind, namespace string, afterRev int64) <-chan store.Event
	// Remembers reports whether a watch after afterRev is served from
	// memory, so the revision need not be checked against etcd first.
	Remembers(k api.Kind, afterRev int64) bool
}

// Options configure a Server. Store is required; the rest have defaults.
type Options struct {
	Store *store.Store
	// Watcher serves ?watch (default: Store; krakectl puts a watch cache
	// in front, so HTTP watchers cost no etcd watch each).
	Watcher       Watcher
	Authenticator auth.Authenticator // default: auth.Static{auth.AdminUser}
	Authorizer    auth.Authorizer    // default: auth.AllowAll
	Logger        *slog.Logger
	Now           func() time.Time
	Version       string
	// Ready reports whether the store answers; /readyz calls it.
	Ready func(ctx context.Context) error
	// AuthorizerReady, when set, is closed once the authorizer knows its
	// roles; until then only system:masters is served (Krake's own start-up
	// writes) and everyone else gets 503 with Retry-After, not a wrong 403.
	AuthorizerReady <-chan struct{}
	// Defaults, when set, fills in what a create or update leaves out,
	// before the API's own defaults (krakectl's --shutdown-* flags).
	Defaults func(api.Object)
	// NewUID makes metadata.uid; default random UUIDs (tests fix it).
	NewUID func() string
	// Stickiness the explain endpoints use, as the scheduler does
	// (default placement.DefaultStickiness; negative means none).
	Stickiness float64
	// BodyTimeout bounds how long a request body may take to arrive
	// (default 30s); 408 after it.
	BodyTimeout time.Duration
	// CORSOrigins are the browser origins allowed to call the API ("*" for
	// any), the original's cors_origin; requests with another Origin get
	// 403. Default none: tools that are not browsers send no Origin.
	CORSOrigins []string
	// LoopbackOnly says the server listens on a loopback address only; it
	// then answers only requests whose Host is a loopback name or address,
	// so a web page cannot reach it through DNS rebinding.
	LoopbackOnly bool
	// MaxRequestsInflight bounds the read requests served at once and
	// MaxMutatingInflight the writes (defaults 400 and 200, as
	// kube-apiserver's); past them the API answers 429 with Retry-After.
	// Watches are long-running and not counted.
	MaxRequestsInflight int
	MaxMutatingInflight int
	// MaxListItems caps a list page (default 500): a larger ?limit= gets
	// that many and a continue token, which paging clients follow. A list
	// without ?limit= still gets every item (the original's clients expect
	// it), read and written a page at a time.
	MaxListItems int64
	// ProblemBaseURL prefixes the type of every problem document
	// (default DefaultProblemBaseURL), the original's docs.problem_base_url.
	ProblemBaseURL string
	// Registry receives the API's Prometheus metrics; default a new one
	// with the Go and process collectors.
	Registry *prometheus.Registry
}

// Server serves the API.
type Server struct {
	store      *store.Store
	watcher    Watcher
	authn      auth.Authenticator
	authz      auth.Authorizer
	log        *slog.Logger
	now        func() time.Time
	version    string
	ready      func(ctx context.Context) error
	authzReady <-chan struct{}
	defaults   func(api.Object)
	// background are the template fetches; templateClient makes them.
	background     sync.WaitGroup
	templateClient *http.Client
	newUID         func() string
	stickiness     float64
	problemBase    string
	bodyTimeout    time.Duration
	corsOrigins    []string
	loopback       bool
	reads          chan struct{} // in-flight slots
	writes         chan struct{}
	yamlSlots      chan struct{} // YAML bodies converted at once (memory)
	maxList        int64
	ties           *tieBreaker
	metrics        *requestMetrics
	gather         prometheus.Gatherer
	// stopping closes when the server shuts down, ending watch streams and
	// blocking waits so that a graceful shutdown does not hang on them.
	stopping chan struct{}
	stopOnce sync.Once
}

// StopStreams ends every watch stream and blocking wait; call it when the
// HTTP server starts shutting down (http.Server.RegisterOnShutdown).
func (s *Server) StopStreams() {
	s.stopOnce.Do(func() { close(s.stopping) })
}

// streamContext is ctx, ended early when the server stops streams.
func (s *Server) streamContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// New returns a Server.
func New(opts Options) *Server {
	s := &Server{
		store: opts.Store, authn: opts.Authenticator, authz: opts.Authorizer,
		log: opts.Logger, now: opts.Now, version: opts.Version, ready: opts.Ready, authzReady: opts.AuthorizerReady, defaults: opts.Defaults,
		stopping: make(chan struct{}), newUID: opts.NewUID, ties: newTieBreaker(), templateClient: newTemplateClient(),
	}
	if s.watcher = opts.Watcher; s.watcher == nil {
		s.watcher = opts.Store
	}
	s.corsOrigins, s.loopback = opts.CORSOrigins, opts.LoopbackOnly
	if opts.MaxRequestsInflight <= 0 {
		opts.MaxRequestsInflight = 400
	}
	if opts.MaxMutatingInflight <= 0 {
		opts.MaxMutatingInflight = 200
	}
	s.reads, s.writes = make(chan struct{}, opts.MaxRequestsInflight), make(chan struct{}, opts.MaxMutatingInflight)
	s.yamlSlots = make(chan struct{}, yamlConversions)
	if s.maxList = opts.MaxListItems; s.maxList <= 0 {
		s.maxList = 500
	}
	if s.bodyTimeout = opts.BodyTimeout; s.bodyTimeout <= 0 {
		s.bodyTimeout = 30 * time.Second
	}
	if s.problemBase = opts.ProblemBaseURL; s.problemBase == "" {
		s.problemBase = DefaultProblemBaseURL
	}
	if s.newUID == nil {
		s.newUID = newUID
	}
	s.stickiness = placement.EffectiveStickiness(opts.Stickiness)
	if s.authn == nil {
		s.authn = auth.Static{User: auth.AdminUser}
	}
	if s.authz == nil {
		s.authz = auth.AllowAll{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.version == "" {
		s.version = "dev"
	}
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s.metrics = newRequestMetrics(reg)
	s.gather = reg
	return s
}

// handlerFunc is a route handler; a returned error becomes a problem.
type handlerFunc func(w http.ResponseWriter, r *http.Request, p httprouter.Params) error

// route describes one registered route for authorization and metrics.
type route struct {
	verb     string // get, list, watch, create, update, delete; "" needs no authorization
	api      string
	resource string // plural or plural/subresource
	path     string // the pattern, as the metrics label
	// acrossNamespaces marks the list and watch of a namespaced kind in
	// every namespace: authorized per namespace, showing only those allowed.
	acrossNamespaces bool
}

// Handler returns the API's http.Handler. Middleware order, outermost
// first: request ID → guard (path, Host, Origin) → in-flight limit →
// recover → metrics and log → authn → authz → route.
func (s *Server) Handler() http.Handler {
	router := httprouter.New()
	// No redirects: a cleaned path may name another object (a 307 from
	// .../mine/applications/..%2F..%2Fother/... to other's app).
	router.RedirectTrailingSlash = false
	router.RedirectFixedPath = false
	router.HandleMethodNotAllowed = true
	router.NotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, errorf(http.StatusNotFound,
			"no route %s %s; GET / lists the API groups", r.Method, r.URL.Path))
	})
	router.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, errorf(http.StatusMethodNotAllowed,
			"%s is not allowed on %s; allowed: %s", r.Method, r.URL.Path, w.Header().Get("Allow")))
	})
	router.PanicHandler = func(w http.ResponseWriter, r *http.Request, v any) {
		s.writeProblem(w, r, fmt.Errorf("panic: %v", v))
	}

	handle := func(method string, rt route, h handlerFunc) {
		router.Handle(method, rt.path, s.wrap(rt, h))
	}
	for _, k := range api.Kinds {
		s.registerKind(k, handle)
	}
	handle(http.MethodGet, route{path: "/"}, s.root)
	handle(http.MethodGet, route{path: "/healthz"}, s.healthz)
	handle(http.MethodGet, route{path: "/readyz"}, s.readyz)
	handle(http.MethodGet, route{path: "/me"}, s.me)
	metricsHandler := promhttp.HandlerFor(s.gather, promhttp.HandlerOpts{})
	router.Handler(http.MethodGet, "/metrics", metricsHandler)

	return s.withRequestID(s.guard(s.limit(router)))
}

func (s *Server) registerKind(k api.Kind, handle func(string, route, handlerFunc)) {
	collection := "/" + k.API + "/" + k.Plural
	if k.Namespaced {
		// Across namespaces: list and watch only.
		handle(http.MethodGet, route{verb: "list", api: k.API, resource: k.Plural, path: collection, acrossNamespaces: true}, s.list(k))
		collection = "/" + k.API + "/namespaces/:namespace/" + k.Plural
	}
	item := collection + "/:name"
	handle(http.MethodPost, route{verb: "create", api: k.API, resource: k.Plural, path: collection}, s.create(k))
	handle(http.MethodGet, route{verb: "list", api: k.API, resource: k.Plural, path: collection}, s.list(k))
	handle(http.MethodGet, route{verb: "get", api: k.API, resource: k.Plural, path: item}, s.get(k))
	handle(http.MethodPut, route{verb: "update", api: k.API, resource: k.Plural, path: item}, s.update(k))
	handle(http.MethodPatch, route{verb: "update", api: k.API, resource: k.Plural, path: item}, s.patch(k))
	handle(http.MethodDelete, route{verb: "delete", api: k.API, resource: k.Plural, path: item}, s.delete(k))
	for _, sub := range k.Subresources {
		rt := route{verb: "update", api: k.API, resource: k.Plural + "/" + sub, path: item + "/" + sub}
		handle(http.MethodPut, rt, s.subresource(k, sub))
	}
	if k.Placement {
		// Why this cluster (and not the others): for a stored app, and for
		// an app spec as a dry run. "placements" is its own collection, as
		// httprouter forbids a static segment beside :name.
		handle(http.MethodGet, route{verb: "get", api: k.API, resource: k.Plural + "/placement", path: item + "/placement"}, s.explainStored(k))
	}
	if k.PlacementDryRun {
		handle(http.MethodPost, route{verb: "get", api: k.API, resource: "placements", path: "/" + k.API + "/namespaces/:namespace/placements"}, s.explainSpec)
	}
}

// isHook reports a hook callback (complete, shutdown): the per-app token
// in its body authorizes it, so it needs no other credentials.
func (rt route) isHook() bool {
	return strings.HasSuffix(rt.resource, "/"+api.SubComplete) || strings.HasSuffix(rt.resource, "/"+api.SubShutdown)
}

// isPublic reports the routes that need no credentials: health checks
// (load balancers and kubelets probe them) and the version at /.
func (rt route) isPublic() bool {
	return rt.path == "/healthz" || rt.path == "/readyz" || rt.path == "/"
}

// wrap adapts a handlerFunc: authentication, authorization, metrics,
// logging and problem rendering.
func (s *Server) wrap(rt route, h handlerFunc) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, p httprouter.Params) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		err := s.serve(rec, r, p, rt, h)
		if err != nil {
			if rec.wrote {
				// Headers are gone (a watch stream); all we can do is log.
				s.log.Debug("stream ended", "path", r.URL.Path, "err", err)
			} else {
				s.writeProblem(rec, r, err)
			}
		}
		s.metrics.observe(r.Method, rt.path, rec.status, time.Since(start))
		if s.log.Enabled(r.Context(), slog.LevelDebug) { // skip building the arguments
			s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"duration", time.Since(start), "request_id", requestID(r))
		}
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, p httprouter.Params, rt route, h handlerFunc) error {
	if rt.isHook() || rt.isPublic() {
		return h(w, r, p) // a hook's workload has its token; health is for probes
	}
	user, err := s.authn.Authenticate(r)
	if err != nil {
		return err
	}
	r = r.WithContext(auth.WithUser(r.Context(), user))
	if !s.authorizerReady() && !slices.Contains(user.Groups, auth.MastersGroup) {
		// Deciding before the roles are loaded would refuse what they allow.
		w.Header().Set("Retry-After", "1")
		return errorf(http.StatusServiceUnavailable, "the server is starting: its roles are loading; retry in a second")
	}
	if rt.verb != "" {
		verb := rt.verb
		if verb == "list" && isWatch(r) {
			verb = "watch"
		}
		attrs := auth.Attributes{User: user, Verb: verb, API: rt.api, Resource: rt.resource,
			Namespace: p.ByName("namespace"), Name: p.ByName("name")}
		if filter, ok := s.authz.(auth.NamespaceFilter); ok && rt.acrossNamespaces {
			// Every namespace at once: show what the user may see in each
			// (the original allowed it all to anyone allowed in one).
			all, namespaces := filter.Namespaces(attrs)
			if !all {
				if len(namespaces) == 0 {
					return s.authz.Authorize(r.Context(), attrs) // says why
				}
				r = r.WithContext(context.WithValue(r.Context(), namespacesKey{}, namespaces))
			}
			return h(w, r, p)
		}
		if err := s.authz.Authorize(r.Context(), attrs); err != nil {
			return err
		}
	}
	return h(w, r, p)
}

// authorizerReady reports whether the authorizer may decide (see
// Options.AuthorizerReady).
func (s *Server) authorizerReady() bool {
	if s.authzReady == nil {
		return true
	}
	select {
	case <-s.authzReady:
		return true
	default:
		return false
	}
}

// namespacesKey holds, for a list or watch across namespaces, the
// namespaces the user may see (absent: all).
type namespacesKey struct{}

func allowedNamespaces(ctx context.Context) map[string]bool {
	ns, _ := ctx.Value(namespacesKey{}).(map[string]bool)
	return ns
}

// withRequestID gives every request an X-Request-Id (the client's, or new).
func (s *Server) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if id == "" || len(id) > 64 {
			id = newRequestID()
			r.Header.Set("X-Request-Id", id)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r)
	})
}

// statusRecorder remembers the status for metrics and whether the headers
// went out, so an error after streaming began is not written twice.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	r.wrote = true
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// writeRaw answers JSON the store already encoded.
func writeRaw(w http.ResponseWriter, status int, data []byte) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if _, err := w.Write(data); err != nil {
		return err
	}
	_, err := w.Write([]byte("\n"))
	return err
}

func (s *Server) root(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) error {
	apis := []string{}
	for _, k := range api.Kinds {
		if len(apis) == 0 || apis[len(apis)-1] != k.API {
			apis = append(apis, k.API)
		}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"name": "krake", "version": s.version, "apis": apis})
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request, _ httprouter.Params) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if !s.authorizerReady() {
		return errorf(http.StatusServiceUnavailable, "the roles are loading")
	}
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			return errorf(http.StatusServiceUnavailable, "the store (etcd) is not ready: %v", err)
		}
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	return writeJSON(w, http.StatusOK, auth.UserFrom(r.Context()))
}

func isWatch(r *http.Request) bool {
	q := r.URL.Query()
	if !q.Has("watch") {
		return false
	}
	v := strings.ToLower(q.Get("watch"))
	return v == "" || v == "true" || v == "1"
}
