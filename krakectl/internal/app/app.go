// Package app is krakectl's composition root: it opens the store (embedded
// or external etcd), builds the API server and runs it until the context
// ends, then shuts down cleanly (in-flight requests finish, etcd closes).
package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/embedetcd"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/apiserver/store/watchcache"
	"github.com/krake-go/krake/controllers"
	"github.com/krake-go/krake/controllers/leader"
)

// RunControllers runs controllers alone against an API.
func RunControllers(ctx context.Context, apiURL string, creds APICredentials, names []string, opts controllers.Options,
	elect ElectionConfig, log *slog.Logger) error {
	c, err := NewClient(apiURL, creds, "krake-controllers")
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if elect.Enabled {
		identity := elect.Identity
		if identity == "" {
			host, _ := os.Hostname()
			identity = fmt.Sprintf("%s_%d", host, os.Getpid())
		}
		opts.LeaderElection = &controllers.LeaderElection{Identity: identity, Options: elect.Options, Metrics: reg}
		log.Info("leader election on", "identity", identity, "lease", elect.Options.LeaseDuration,
			"renew_deadline", elect.Options.RenewDeadline, "retry", elect.Options.RetryPeriod)
	}
	if elect.MetricsListen != "" {
		stopMetrics, err := serveMetrics(ctx, elect.MetricsListen, reg, log)
		if err != nil {
			return err
		}
		defer stopMetrics()
	}
	log.Info("controllers running", "controllers", names, "api", apiURL, "hook_url", hookURL(opts, apiURL))
	return controllers.Run(ctx, controllers.OneClient(c), log, opts, names...)
}

// ElectionConfig is leader election for controllers run apart.
type ElectionConfig struct {
	Enabled       bool
	Identity      string // default host_PID
	Options       leader.Options
	MetricsListen string // "" serves no /metrics
}

// serveMetrics serves /metrics and /healthz on addr until the returned
// function is called.
func serveMetrics(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	log.Info("metrics serving", "url", "http://"+l.Addr().String()+"/metrics")
	return func() {
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		<-done
	}, nil
}

// NewClient is a client of the API at apiURL with creds.
func NewClient(apiURL string, creds APICredentials, userAgent string) (*client.Client, error) {
	opts, err := creds.clientOptions()
	if err != nil {
		return nil, err
	}
	opts.UserAgent = userAgent
	return client.New(apiURL, opts)
}

// APICredentials are how controllers run apart reach a secured API.
type APICredentials struct {
	CAFile            string // verifies the API's certificate
	CertFile, KeyFile string // a client certificate (CN = the controller's user)
	TokenFile         string // a file holding a bearer token
}

func (c APICredentials) clientOptions() (client.Options, error) {
	var opts client.Options
	if c.CAFile != "" || c.CertFile != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if c.CAFile != "" {
			data, err := os.ReadFile(c.CAFile)
			if err != nil {
				return opts, fmt.Errorf("--api-ca-file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(data) {
				return opts, fmt.Errorf("--api-ca-file %s holds no PEM certificate", c.CAFile)
			}
			cfg.RootCAs = pool
		}
		if c.CertFile != "" {
			pair, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
			if err != nil {
				return opts, fmt.Errorf("--api-cert/--api-key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		opts.TLS = cfg
	}
	if c.TokenFile != "" {
		data, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return opts, fmt.Errorf("--api-token-file: %w", err)
		}
		if opts.Token = strings.TrimSpace(string(data)); opts.Token == "" {
			return opts, fmt.Errorf("--api-token-file %s is empty", c.TokenFile)
		}
	}
	return opts, nil
}

// EtcdConfig says where the store lives.
type EtcdConfig struct {
	// Endpoints of an external etcd cluster; empty means embedded.
	Endpoints []string
	CAFile    string
	CertFile  string
	KeyFile   string
	// DataDir of the embedded etcd.
	DataDir  string
	LogLevel string
	// QuotaBytes is the embedded etcd's space quota (0: its default, 8 GiB).
	QuotaBytes int64
	// EncryptionKeyFile holds the keys that encrypt credentials at rest
	// ("": stored as they are).
	EncryptionKeyFile string
	// Snapshots of the embedded etcd (Every 0: none).
	Snapshots embedetcd.SnapshotOptions
}

// Config of an API process.
type Config struct {
	Listen  string
	Etcd    EtcdConfig
	Logger  *slog.Logger
	Version string
	// ProblemBaseURL prefixes the type of error documents (server default when empty).
	ProblemBaseURL string
	// CORSOrigins are the browser origins allowed to call the API.
	CORSOrigins []string
	// MaxRequestsInflight and MaxMutatingInflight bound the requests
	// served at once (0: the server's defaults).
	MaxRequestsInflight, MaxMutatingInflight int
	// MaxListItems caps a list page (0: the server's default, 500).
	MaxListItems int64
	// Shutdown are the shutdown hook's settings for apps that leave them
	// out (zero value: api.DefaultShutdown).
	Shutdown api.ShutdownDefaults
	// TLS and Auth secure the listener.
	TLS             TLSConfig
	Auth            AuthConfig
	ShutdownTimeout time.Duration // default 15s
	// Controllers to run in the same process, talking to this API over
	// HTTP; none for `krakectl api`.
	Controllers       []string
	ControllerOptions controllers.Options
}

// RunAPI serves the API until ctx ends.
func RunAPI(ctx context.Context, cfg Config) error {
	log := cfg.Logger
	if cfg.ShutdownTimeout == 0 {
		cfg.ShutdownTimeout = 15 * time.Second
	}
	if err := checkExposure(cfg.Listen, cfg.TLS, cfg.Auth); err != nil {
		return err
	}
	self, err := newSelfIdentities()
	if err != nil {
		return err
	}
	authn, err := authenticator(ctx, cfg.TLS, cfg.Auth, self)
	if err != nil {
		return err
	}
	tlsConfig, selfTLSConfig, err := tlsConfigs(&cfg)
	if err != nil {
		return err
	}
	var sealer *store.Sealer
	if cfg.Etcd.EncryptionKeyFile != "" {
		var err error
		if sealer, err = store.LoadSealer(cfg.Etcd.EncryptionKeyFile); err != nil {
			return fmt.Errorf("--encryption-key-file: %w", err)
		}
	}
	etcdClient, closeEtcd, etcdErr, err := openEtcd(cfg.Etcd, log)
	if err != nil {
		return err
	}
	defer closeEtcd()

	st := store.New(etcdClient, store.Options{Sealer: sealer})
	// One etcd watch per kind serves every HTTP watcher and blocking wait.
	cache := watchcache.New(st, watchcache.Options{Logger: log})
	cacheCtx, stopCache := context.WithCancel(ctx)
	defer stopCache()
	cache.Start(cacheCtx)
	loopback, err := isLoopback(cfg.Listen)
	if err != nil {
		return err
	}
	mode, err := cfg.Auth.authorizationMode(cfg.TLS)
	if err != nil {
		return err
	}
	var feeds sync.WaitGroup // the role feed follows the cache: both end here, in that order
	defer func() { stopCache(); feeds.Wait() }()
	authz, rbac, authzReady, err := authorizer(cacheCtx, mode, st, cache, &feeds, log)
	if err != nil {
		return err
	}
	srv := server.New(server.Options{
		Authenticator:       authn,
		Authorizer:          authz,
		Watcher:             cache,
		LoopbackOnly:        loopback,
		MaxRequestsInflight: cfg.MaxRequestsInflight,
		MaxMutatingInflight: cfg.MaxMutatingInflight,
		MaxListItems:        cfg.MaxListItems,
		Defaults:            shutdownDefaults(cfg.Shutdown),
		CORSOrigins:         cfg.CORSOrigins,
		Store:               st,
		Logger:              log,
		Version:             cfg.Version,
		ProblemBaseURL:      cfg.ProblemBaseURL,
		Ready:               func(ctx context.Context) error { return embedetcd.Ready(ctx, etcdClient) },
		AuthorizerReady:     authzReady,
		Stickiness:          cfg.ControllerOptions.Stickiness,
	})
	listener, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another Krake running? pick another address with --listen)", cfg.Listen, err)
	}
	httpServer := newHTTPServer(srv.Handler(), log)
	httpServer.RegisterOnShutdown(srv.StopStreams)
	serveErr := make(chan error, 1)
	apiURL := "http://" + listener.Addr().String()
	if tlsConfig != nil {
		listener = tls.NewListener(listener, tlsConfig)
		apiURL = "https://" + listener.Addr().String()
	}
	go func() { serveErr <- httpServer.Serve(listener) }()
	log.Info("krake API serving", "url", apiURL, "version", cfg.Version, "tls", tlsConfig != nil, "authorization", mode,
		"client_certificates", cfg.TLS.ClientCAFile != "", "token_file", cfg.Auth.TokenFile != "",
		"oidc_issuer", cfg.Auth.OIDC.IssuerURL, "keystone", cfg.Auth.KeystoneURL)

	selfClient := func(name string) (*client.Client, error) {
		return client.New(apiURL, client.Options{UserAgent: "krake-controllers", TLS: selfTLSConfig, Token: self.token(name)})
	}
	if mode == "rbac" {
		c, err := selfClient(apiserverSelf)
		if err != nil {
			return err
		}
		if err := ensureBaseRoles(ctx, c, rbac, log); err != nil {
			return err
		}
		close(authzReady)
	}

	if err := srv.ResumeTranslations(ctx); err != nil {
		log.Warn("TRANSLATING applications not resumed", "err", err)
	}
	ctrlCtx, stopControllers := context.WithCancel(ctx)
	defer stopControllers()
	ctrlDone, err := startControllers(ctrlCtx, cfg, selfClient, log, apiURL)
	if err != nil {
		return err
	}

	select {
	case <-ctx.Done():
		log.Info("shutting down: finishing in-flight requests")
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case err := <-etcdErr:
		_ = httpServer.Close()
		return fmt.Errorf("embedded etcd failed: %w", err)
	}
	// Controllers stop first: their watches would hold the server open.
	stopControllers()
	<-ctrlDone
	err = shutdown(httpServer, serveErr, cfg.ShutdownTimeout, log)
	srv.WaitBackground() // template fetches end with StopStreams
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// shutdown finishes in-flight requests within timeout, then closes what
// is left, and returns the serving error, if any.
func shutdown(httpServer *http.Server, serveErr <-chan error, timeout time.Duration, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := httpServer.Shutdown(ctx); err != nil {
		log.Warn("shutdown timed out; closing connections", "err", err)
		_ = httpServer.Close()
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHTTPServer is the API's HTTP server. Request bodies have their own
// deadline in the server; a ReadTimeout here would also end watch streams.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// tlsConfigs builds the API's TLS configuration and how Krake's own
// in-process clients trust it (and, with --require-client-cert, the
// transport certificate they present); it sets the hook CA default. Both
// are nil over plain HTTP.
func tlsConfigs(cfg *Config) (serverConfig, selfConfig *tls.Config, err error) {
	if !cfg.TLS.Enabled() {
		return nil, nil, nil
	}
	var selfCert *selfClientCert
	if cfg.TLS.RequireClientCert {
		if selfCert, err = newSelfClientCert(); err != nil {
			return nil, nil, err
		}
	}
	if serverConfig, err = serverTLS(cfg.TLS, selfCert); err != nil {
		return nil, nil, err
	}
	if selfConfig, err = selfTLS(cfg.TLS.CertFile); err != nil {
		return nil, nil, fmt.Errorf("--tls-cert: %w", err)
	}
	if selfCert != nil {
		selfConfig.Certificates = []tls.Certificate{selfCert.cert}
	}
	if cfg.ControllerOptions.HookCA == nil {
		if cfg.ControllerOptions.HookCA, err = defaultHookCA(cfg.TLS); err != nil {
			return nil, nil, err
		}
	}
	return serverConfig, selfConfig, nil
}

// authorizer builds the mode's authorizer. For rbac it loads the roles
// before the API serves and follows them in a goroutine owned by feeds
// (it ends with ctx); ready closes once the base roles are in (see
// ensureBaseRoles), nil for the other modes.
func authorizer(ctx context.Context, mode string, st *store.Store, cache *watchcache.Cache, feeds *sync.WaitGroup, log *slog.Logger) (
	authz auth.Authorizer, rbac *auth.RBAC, ready chan struct{}, err error) {
	switch mode {
	case "always-deny":
		return auth.DenyAll{}, nil, nil, nil
	case "rbac":
		rbac = auth.NewRBAC()
		feed := &rbacFeed{store: st, cache: cache, rbac: rbac, log: log}
		rev, err := feed.sync(ctx)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("rbac: read the roles: %w", err)
		}
		feeds.Go(func() { feed.run(ctx, rev) })
		return rbac, rbac, make(chan struct{}), nil
	}
	return auth.AllowAll{}, nil, nil, nil
}

// startControllers runs the configured controllers in this process, each
// with its own identity's client, until ctx ends; done reports their end
// (at once when there are none).
func startControllers(ctx context.Context, cfg Config, selfClient func(name string) (*client.Client, error), log *slog.Logger, apiURL string) (<-chan error, error) {
	done := make(chan error, 1)
	if len(cfg.Controllers) == 0 {
		close(done)
		return done, nil
	}
	clients := map[string]*client.Client{}
	for _, name := range append([]string{""}, cfg.Controllers...) {
		c, err := selfClient(name)
		if err != nil {
			return nil, err
		}
		clients[name] = c
	}
	clientFor := func(name string) *client.Client { return clients[name] }
	go func() { done <- controllers.Run(ctx, clientFor, log, cfg.ControllerOptions, cfg.Controllers...) }()
	log.Info("controllers running", "controllers", cfg.Controllers, "hook_url", hookURL(cfg.ControllerOptions, apiURL))
	return done, nil
}

// openEtcd returns a client of the external cluster, or starts the
// embedded etcd. etcdErr reports an embedded etcd's fatal errors.
func openEtcd(cfg EtcdConfig, log *slog.Logger) (client *clientv3.Client, closeFn func(), etcdErr <-chan error, err error) {
	if len(cfg.Endpoints) > 0 {
		var tlsConfig *tls.Config
		if cfg.CAFile != "" || cfg.CertFile != "" {
			info := transport.TLSInfo{TrustedCAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile}
			if tlsConfig, err = info.ClientConfig(); err != nil {
				return nil, nil, nil, fmt.Errorf("etcd TLS: %w", err)
			}
		}
		client, err = clientv3.New(clientv3.Config{Endpoints: cfg.Endpoints, TLS: tlsConfig, DialTimeout: 10 * time.Second})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("connect to etcd %v: %w", cfg.Endpoints, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := embedetcd.Ready(ctx, client); err != nil {
			_ = client.Close()
			return nil, nil, nil, fmt.Errorf("etcd %v does not answer: %w", cfg.Endpoints, err)
		}
		log.Info("using external etcd", "endpoints", cfg.Endpoints)
		return client, func() { _ = client.Close() }, nil, nil
	}
	e, err := embedetcd.Start(embedetcd.Options{Dir: cfg.DataDir, LogLevel: cfg.LogLevel, QuotaBytes: cfg.QuotaBytes,
		Logger: log.With("component", "etcd")})
	if err != nil {
		return nil, nil, nil, err
	}
	log.Info("embedded etcd ready", "data_dir", cfg.DataDir)
	stopSnapshots := func() {}
	if cfg.Snapshots.Every > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := e.RunSnapshots(ctx, cfg.Snapshots, log.With("component", "snapshots")); err != nil {
				log.Error("snapshots stopped", "err", err)
			}
		}()
		stopSnapshots = func() { cancel(); <-done }
		log.Info("snapshots on", "dir", cfg.Snapshots.Dir, "every", cfg.Snapshots.Every, "keep", cfg.Snapshots.Keep)
	}
	return e.Client(), func() { stopSnapshots(); e.Close(); log.Info("embedded etcd closed") }, e.Err(), nil
}

// hookURL is where workloads call back (the complete hook): --hook-url, or
// the API URL the controllers use, which a remote cluster may not reach.
func hookURL(opts controllers.Options, apiURL string) string {
	if opts.HookURL != "" {
		return opts.HookURL
	}
	return apiURL
}

// isLoopback reports whether a listen address binds loopback only (the
// API then checks the Host header against DNS rebinding).
func isLoopback(listen string) (bool, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false, fmt.Errorf("--listen %q: give host:port, such as 127.0.0.1:8080", listen)
	}
	return isLoopbackHost(host), nil
}

// shutdownDefaults fills an application's shutdown settings the request
// left out with d (api.DefaultShutdown when d is unset).
func shutdownDefaults(d api.ShutdownDefaults) func(api.Object) {
	if d == (api.ShutdownDefaults{}) {
		d = api.DefaultShutdown
	}
	return func(obj api.Object) {
		if app, ok := obj.(*api.Application); ok {
			d.Fill(&app.Spec)
		}
	}
}
