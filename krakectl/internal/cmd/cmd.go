// Package cmd holds krakectl's cobra commands.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/embedetcd"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/controllers"
	"github.com/krake-go/krake/internal/docs"
	"github.com/krake-go/krake/krakectl/internal/app"
)

// Main runs krakectl with args and returns the exit code.
func Main(args []string, version string, stdout, stderr io.Writer) int {
	root := newRoot(version, stdout, stderr)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "Error:", err)
		return 1
	}
	return 0
}

func newRoot(version string, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "krakectl",
		Short:         "Run and operate Krake: the API server, controllers and embedded etcd",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newServe(version, stderr), newAPI(version, stderr), newController(stderr), newBootstrap(os.Stdin, stdout), newCerts(stdout), newConfigCmd(stdout), newSnapshot(stdout), newVersion(version, stdout),
		docs.Command(func() *cobra.Command { return newRoot(version, stdout, stderr) }))
	return root
}

type serveOptions struct {
	listen        string
	dataDir       string
	etcdEndpoints []string
	etcdCA        string
	etcdCert      string
	etcdKey       string
	etcdLogLevel  string
	logLevel      string
	logFormat     string
	controllers   []string
	configFile    string
	probeInterval time.Duration
	resync        time.Duration
	reschedule    time.Duration
	stickiness    float64
	hookURL       string
	hookCAFile    string
	infraPoll     time.Duration
	kwokTestenv   string
	kwokDir       string
	autoTemplate  string
	autoRetention time.Duration
	// hasControllerFlags: addControllerFlags ran, so the durations above
	// are the user's (krakectl api has none of them).
	hasControllerFlags bool
	snapshots          embedetcd.SnapshotOptions
	problemBase        string
	corsOrigins        []string
	etcdQuota          int64
	maxInflight        int
	maxMutating        int
	encryptionKey      string
	maxListItems       int64
	shutdown           api.ShutdownDefaults
	tls                app.TLSConfig
	auth               app.AuthConfig
}

func (o *serveOptions) addFlags(cmd *cobra.Command, embedded bool) {
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address the API listens on")
	f.StringSliceVar(&o.etcdEndpoints, "etcd-endpoints", nil, "external etcd endpoints (https://a:2379,...)")
	f.StringVar(&o.etcdCA, "etcd-cacert", "", "CA bundle to verify external etcd")
	f.StringVar(&o.etcdCert, "etcd-cert", "", "client certificate for external etcd")
	f.StringVar(&o.etcdKey, "etcd-key", "", "client key for external etcd")
	f.StringVar(&o.encryptionKey, "encryption-key-file", "", "encrypt credentials (kubeconfig secrets, provider passwords and tokens) in etcd with AES-GCM: one base64 32-byte key per line, the first encrypts, all decrypt (rotation); make one with `head -c 32 /dev/urandom | base64`")
	if embedded {
		f.StringVar(&o.dataDir, "data-dir", defaultDataDir(), "data directory of the embedded etcd")
		f.StringVar(&o.etcdLogLevel, "etcd-log-level", "fatal", "log level of the embedded etcd (debug, info, warn, error, fatal)")
		f.Int64Var(&o.etcdQuota, "etcd-quota-bytes", 8<<30, "space quota of the embedded etcd; past it writes get 507 until compaction and defragmentation free space")
		f.DurationVar(&o.snapshots.Every, "snapshot-every", 0, "save a snapshot of the embedded etcd this often (0: never); restore one with krakectl snapshot restore")
		f.IntVar(&o.snapshots.Keep, "snapshot-keep", 24, "how many of the newest snapshots --snapshot-every keeps")
		f.StringVar(&o.snapshots.Dir, "snapshot-dir", "", "where --snapshot-every writes (default: snapshots/ in --data-dir)")
	}
	if embedded {
		f.StringSliceVar(&o.controllers, "controllers", controllers.Names(), "controllers to run in this process (none: --controllers=)")
		o.addControllerFlags(f)
	}
	f.StringVar(&o.problemBase, "problem-base-url", server.DefaultProblemBaseURL,
		"prefix of the type of every error document (<url>/not-found-error, ...), e.g. your documentation's problems page")
	f.IntVar(&o.maxInflight, "max-requests-inflight", 400, "read requests served at once (watches not counted); past it: 429 with Retry-After")
	f.IntVar(&o.maxMutating, "max-mutating-requests-inflight", 200, "writes served at once; past it: 429 with Retry-After")
	f.IntVar(&o.shutdown.GraceTime, "shutdown-grace", api.DefaultShutdown.GraceTime, "seconds the shutdown hook waits for the workload's callback, for apps that do not set spec.shutdown_grace_time")
	f.StringVar(&o.shutdown.Strategy, "shutdown-failure-strategy", api.DefaultShutdown.Strategy, "what the shutdown hook does without a callback, for apps that do not say: delete (remove the objects anyway) or give_up (keep them, DEGRADED)")
	f.IntVar(&o.shutdown.Retries, "shutdown-retries", api.DefaultShutdown.Retries, "how many more times the shutdown hook calls a workload that did not call back, for apps that do not set spec.shutdown_retry_count")
	f.Int64Var(&o.maxListItems, "max-list-items", 500, "largest list page: a larger ?limit= gets this many and a continue token; lists without a limit are still whole, read a page at a time")
	f.StringVar(&o.tls.CertFile, "tls-cert", "", "serve HTTPS (TLS 1.2+) with this certificate (PEM; read again when the file changes)")
	f.StringVar(&o.tls.KeyFile, "tls-key", "", "the key of --tls-cert (PEM)")
	f.StringVar(&o.tls.ClientCAFile, "client-ca", "", "verify client certificates against these CAs; a verified certificate authenticates (CN = user, O = groups)")
	f.BoolVar(&o.tls.RequireClientCert, "require-client-cert", false, "refuse TLS connections without a client certificate")
	f.StringVar(&o.auth.TokenFile, "token-auth-file", "", "bearer tokens, CSV lines token,user,uid,\"group1,group2\" (kube-apiserver's format)")
	f.StringVar(&o.auth.OIDC.IssuerURL, "oidc-issuer-url", "", "accept OpenID Connect ID tokens of this issuer (Keycloak realm, Dex, ...) as bearer tokens; keys from its discovery document")
	f.StringVar(&o.auth.OIDC.ClientID, "oidc-client-id", "", "the audience the ID tokens must carry (the client Krake's users log in with)")
	f.StringVar(&o.auth.OIDC.UsernameClaim, "oidc-username-claim", "sub", "ID token claim that names the user")
	f.StringVar(&o.auth.OIDC.GroupsClaim, "oidc-groups-claim", "groups", "ID token claim that lists the user's groups")
	f.StringVar(&o.auth.OIDC.CAFile, "oidc-ca-file", "", "CA bundle to verify the OIDC issuer (default: the system's)")
	f.StringVar(&o.auth.KeystoneURL, "keystone-url", "", "validate OpenStack Keystone tokens (X-Auth-Token or bearer) with this Keystone, e.g. https://keystone:5000/v3; user = token's user, groups = keystone:<role>, keystone:project:<name>")
	f.StringVar(&o.auth.StaticUser, "static-user", "", "authenticate every request as this user (group system:masters); development only. Without any authentication flag every request is system:admin")
	f.BoolVar(&o.auth.AllowAnonymous, "allow-anonymous", false, "let requests without credentials in as system:anonymous")
	f.StringVar(&o.auth.Authorization, "authorization", "", "always-allow, always-deny or rbac (default: rbac when --client-ca, --token-auth-file, --oidc-issuer-url or --keystone-url is given, else always-allow)")
	f.BoolVar(&o.auth.Insecure, "insecure", false, "allow listening beyond loopback without TLS or with requests that need no credentials")
	f.StringSliceVar(&o.corsOrigins, "cors-origin", nil, "browser origins allowed to call the API (https://ui.example.org, or * for any); other cross-origin requests get 403")
	f.StringVar(&o.logLevel, "log-level", "info", "log level (debug, info, warn, error)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format (text, json)")
	f.StringVar(&o.configFile, "config", "", "config file whose keys are these flags (default: first krake.yaml in ./, $XDG_CONFIG_HOME/krake/, /etc/krake/)")
}

// defaultDataDir is $XDG_DATA_HOME/krake, else ./tmp/krake.
func defaultDataDir() string {
	if xdg := os.Getenv("XDG_DATA_HOME"); xdg != "" {
		return filepath.Join(xdg, "krake")
	}
	return filepath.Join("tmp", "krake")
}

func (o *serveOptions) addControllerFlags(f *pflag.FlagSet) {
	o.hasControllerFlags = true
	f.DurationVar(&o.probeInterval, "probe-interval", 10*time.Second, "how often clusters are probed")
	f.DurationVar(&o.resync, "resync", 10*time.Second, "how often a running application is checked")
	f.DurationVar(&o.reschedule, "reschedule-after", time.Minute, "how often a running application is weighed again against the other clusters")
	f.Float64Var(&o.stickiness, "stickiness", 0.1, "weight of the \"runs here\" term in the score (its weighted mean) of the cluster an application runs on, so apps do not flap (0 for none)")
	f.StringVar(&o.hookURL, "hook-url", "", "the Krake API as workloads reach it, for the complete hook's callback (default: the API URL the controllers use)")
	f.StringVar(&o.hookCAFile, "hook-ca-file", "", "CA bundle workloads verify the API with, in their hook Secret and KRAKE_CA_FILE (default over TLS: --client-ca when it signed the API's certificate, else that certificate; for controllers apart: --api-ca-file)")
	f.DurationVar(&o.infraPoll, "infra-poll-interval", 30*time.Second, "how often the infrastructure controller asks a provider about a cluster being created or changed")
	f.StringVar(&o.kwokTestenv, "kwok-testenv", "", "the kwok infrastructure provider's script, e2e/kube-testenv.sh of Krake's source tree (its clusters are real control planes on this machine)")
	f.StringVar(&o.kwokDir, "kwok-dir", "", "where the kwok provider keeps its clusters' state (default: kwok/ in --data-dir)")
	f.StringVar(&o.autoTemplate, "auto-cluster-template", "", "TOSCA template (YAML) of the clusters the scheduler makes for applications with auto_cluster_create that no cluster suits")
	f.DurationVar(&o.autoRetention, "auto-cluster-retention", 10*time.Minute, "how long a cluster made for applications is kept once none uses it")
}

// checkControllerFlags refuses flag values the controllers cannot use:
// a period of zero or less would spin a controller, a NaN stickiness
// would make every score NaN.
func (o *serveOptions) checkControllerFlags() error {
	if o.hasControllerFlags {
		for _, d := range []struct {
			flag  string
			value time.Duration
		}{{"probe-interval", o.probeInterval}, {"resync", o.resync}, {"reschedule-after", o.reschedule},
			{"infra-poll-interval", o.infraPoll}, {"auto-cluster-retention", o.autoRetention}} {
			if d.value <= 0 {
				return fmt.Errorf("--%s %s: give a positive duration such as 30s", d.flag, d.value)
			}
		}
		if o.stickiness < 0 || math.IsNaN(o.stickiness) || math.IsInf(o.stickiness, 0) {
			return fmt.Errorf("--stickiness %v: give a weight of 0 (none) or more, such as 0.1", o.stickiness)
		}
	}
	if o.hookURL == "" {
		return nil
	}
	u, err := url.Parse(o.hookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--hook-url %q: give the API's URL as workloads reach it, such as https://krake.example.com:8443", o.hookURL)
	}
	return nil
}

func (o *serveOptions) controllerOptions() (controllers.Options, error) {
	opts := controllers.Options{ProbeInterval: o.probeInterval, Resync: o.resync, RescheduleAfter: o.reschedule,
		Stickiness: stickinessOption(o.stickiness), HookURL: o.hookURL, InfraPollInterval: o.infraPoll}
	opts.Providers.KwokTestenv, opts.Providers.KwokDir = o.kwokTestenv, o.kwokDir
	opts.AutoClusterRetention = o.autoRetention
	if o.autoTemplate != "" {
		tmpl, err := readClusterTemplate(o.autoTemplate)
		if err != nil {
			return opts, fmt.Errorf("--auto-cluster-template: %w", err)
		}
		opts.AutoClusterTemplate = tmpl
	}
	if o.kwokTestenv != "" {
		if _, err := os.Stat(o.kwokTestenv); err != nil {
			return opts, fmt.Errorf("--kwok-testenv: %w", err)
		}
		abs, err := filepath.Abs(o.kwokTestenv)
		if err != nil {
			return opts, fmt.Errorf("--kwok-testenv: %w", err)
		}
		opts.Providers.KwokTestenv = abs
	}
	if opts.Providers.KwokDir == "" {
		dataDir := o.dataDir
		if dataDir == "" {
			dataDir = defaultDataDir()
		}
		opts.Providers.KwokDir = filepath.Join(dataDir, "kwok")
	}
	if abs, err := filepath.Abs(opts.Providers.KwokDir); err == nil {
		opts.Providers.KwokDir = abs
	}
	if o.hookCAFile != "" {
		ca, err := os.ReadFile(o.hookCAFile)
		if err != nil {
			return opts, fmt.Errorf("--hook-ca-file: %w", err)
		}
		opts.HookCA = ca
	}
	return opts, nil
}

func (o *serveOptions) logger(stderr io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", o.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", o.logFormat)
}

func (o *serveOptions) run(version string, stderr io.Writer) error {
	log, err := o.logger(stderr)
	if err != nil {
		return err
	}
	if err := o.checkControllerFlags(); err != nil {
		return err
	}
	if err := checkShutdownDefaults(o.shutdown); err != nil {
		return err
	}
	for _, ep := range o.etcdEndpoints {
		if !strings.Contains(ep, "://") {
			return fmt.Errorf("--etcd-endpoints %q: give a URL such as https://10.0.0.1:2379", ep)
		}
	}
	ctrlOpts, err := o.controllerOptions()
	if err != nil {
		return err
	}
	if err := o.checkSnapshots(); err != nil {
		return err
	}
	if err := o.checkLimits(len(o.etcdEndpoints) == 0); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return app.RunAPI(ctx, app.Config{
		Listen:              o.listen,
		Logger:              log,
		Version:             version,
		ProblemBaseURL:      o.problemBase,
		CORSOrigins:         o.corsOrigins,
		MaxRequestsInflight: o.maxInflight,
		MaxMutatingInflight: o.maxMutating,
		MaxListItems:        o.maxListItems,
		Shutdown:            o.shutdown,
		TLS:                 o.tls,
		Auth:                o.auth,
		Controllers:         o.controllers,
		ControllerOptions:   ctrlOpts,
		Etcd: app.EtcdConfig{
			Endpoints: o.etcdEndpoints, CAFile: o.etcdCA, CertFile: o.etcdCert, KeyFile: o.etcdKey,
			DataDir: o.dataDir, LogLevel: o.etcdLogLevel, QuotaBytes: o.etcdQuota, EncryptionKeyFile: o.encryptionKey,
			Snapshots: o.snapshots,
		},
	})
}

// checkLimits refuses API limits that cannot work: the server would
// otherwise take a limit of zero or less for its default without a word.
func (o *serveOptions) checkLimits(embedded bool) error {
	for _, l := range []struct {
		flag  string
		value int64
	}{{"max-requests-inflight", int64(o.maxInflight)}, {"max-mutating-requests-inflight", int64(o.maxMutating)}, {"max-list-items", o.maxListItems}} {
		if l.value < 1 {
			return fmt.Errorf("--%s %d: give 1 or more", l.flag, l.value)
		}
	}
	if embedded && o.etcdQuota <= 0 {
		return fmt.Errorf("--etcd-quota-bytes %d: give the embedded etcd's space quota in bytes, such as %d (8 GiB)", o.etcdQuota, int64(8<<30))
	}
	return nil
}

// checkSnapshots refuses --snapshot-* values that cannot work, and fills
// the directory's default.
func (o *serveOptions) checkSnapshots() error {
	switch {
	case o.snapshots.Every < 0:
		return fmt.Errorf("--snapshot-every %s: give a positive duration such as 1h, or 0 for none", o.snapshots.Every)
	case o.snapshots.Every > 0 && o.snapshots.Every < time.Second:
		return fmt.Errorf("--snapshot-every %s: at least 1s", o.snapshots.Every)
	case o.snapshots.Every > 0 && o.snapshots.Keep < 1:
		return fmt.Errorf("--snapshot-keep %d: keep at least one", o.snapshots.Keep)
	case o.snapshots.Every > 0 && len(o.etcdEndpoints) > 0:
		return errors.New("--snapshot-every is for the embedded etcd; for an external one use krakectl snapshot save --etcd-endpoints (from cron, say)")
	}
	if o.snapshots.Dir == "" {
		o.snapshots.Dir = filepath.Join(o.dataDir, "snapshots")
	}
	return nil
}

func newServe(version string, stderr io.Writer) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the API and the controllers in one process, with an embedded etcd by default",
		Long: `Run the API and the controllers in one process.

By default the store is an embedded etcd in --data-dir, so nothing else is
needed. With --etcd-endpoints the store is an external etcd cluster instead.`,
		Example: "  krakectl serve --listen 127.0.0.1:8080 --data-dir ./tmp/krake\n  krakectl serve --config krake.yaml   # keys: listen, data_dir, reschedule_after, stickiness, ...",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := applyConfig(cmd.Flags(), o.configFile); err != nil {
				return err
			}
			return o.run(version, stderr)
		},
	}
	o.addFlags(cmd, true)
	return cmd
}

func newAPI(version string, stderr io.Writer) *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:     "api",
		Short:   "Run only the API server, against an external etcd cluster",
		Example: "  krakectl api --etcd-endpoints https://10.0.0.1:2379 --etcd-cacert ca.pem --etcd-cert client.pem --etcd-key client-key.pem",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := applyConfig(cmd.Flags(), o.configFile); err != nil {
				return err
			}
			if len(o.etcdEndpoints) == 0 {
				return errors.New("--etcd-endpoints is required: `krakectl api` uses an external etcd (use `krakectl serve` for an embedded one)")
			}
			return o.run(version, stderr)
		},
	}
	o.addFlags(cmd, false)
	return cmd
}

func newController(stderr io.Writer) *cobra.Command {
	o := &serveOptions{}
	var apiURL string
	var creds app.APICredentials
	var elect app.ElectionConfig
	cmd := &cobra.Command{
		Use:       "controller NAME...",
		Short:     "Run controllers alone against a Krake API: " + strings.Join(controllers.Names(), ", "),
		Example:   "  krakectl controller cluster application --api-url http://127.0.0.1:8080",
		Args:      cobra.MinimumNArgs(1),
		ValidArgs: controllers.Names(),
		RunE: func(_ *cobra.Command, args []string) error {
			log, err := o.logger(stderr)
			if err != nil {
				return err
			}
			if err := o.checkControllerFlags(); err != nil {
				return err
			}
			if err := checkElection(elect); err != nil {
				return err
			}
			ctrlOpts, err := o.controllerOptions()
			if err != nil {
				return err
			}
			if ctrlOpts.HookCA == nil && creds.CAFile != "" {
				if ctrlOpts.HookCA, err = os.ReadFile(creds.CAFile); err != nil {
					return fmt.Errorf("--api-ca-file: %w", err)
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			return app.RunControllers(ctx, apiURL, creds, args, ctrlOpts, elect, log)
		},
	}
	addAPIClientFlags(cmd, &apiURL, &creds)
	f := cmd.Flags()
	f.BoolVar(&elect.Enabled, "leader-elect", true, "run each controller only while this replica holds its lease (controller-NAME), so replicas can run side by side")
	f.StringVar(&elect.Identity, "leader-elect-identity", "", "this replica's name in the leases (default: host name and PID)")
	f.DurationVar(&elect.Options.LeaseDuration, "leader-elect-lease-duration", 15*time.Second, "how long a lease holds without renewal before another replica may take it")
	f.DurationVar(&elect.Options.RenewDeadline, "leader-elect-renew-deadline", 10*time.Second, "how long the leader keeps trying to renew before it stops leading (and exits)")
	f.DurationVar(&elect.Options.RetryPeriod, "leader-elect-retry-period", 2*time.Second, "how often leases are tried and renewed")
	f.StringVar(&elect.MetricsListen, "metrics-listen", "", "serve /metrics (leadership, Go runtime) and /healthz on this address, e.g. 127.0.0.1:9090")
	o.addControllerFlags(cmd.Flags())
	cmd.Flags().StringVar(&o.logLevel, "log-level", "info", "log level (debug, info, warn, error)")
	cmd.Flags().StringVar(&o.logFormat, "log-format", "text", "log format (text, json)")
	return cmd
}

// checkElection refuses lease timings under which a leader could not
// renew in time: each must be positive, retry < renew deadline < lease.
func checkElection(e app.ElectionConfig) error {
	if !e.Enabled {
		return nil
	}
	o := e.Options
	switch {
	case o.RetryPeriod <= 0 || o.RenewDeadline <= 0 || o.LeaseDuration <= 0:
		return fmt.Errorf("--leader-elect-retry-period %s, --leader-elect-renew-deadline %s, --leader-elect-lease-duration %s: give positive durations",
			o.RetryPeriod, o.RenewDeadline, o.LeaseDuration)
	case o.RetryPeriod >= o.RenewDeadline || o.RenewDeadline >= o.LeaseDuration:
		return fmt.Errorf("--leader-elect-retry-period %s, --leader-elect-renew-deadline %s, --leader-elect-lease-duration %s: each must be shorter than the next (the defaults are 2s, 10s, 15s)",
			o.RetryPeriod, o.RenewDeadline, o.LeaseDuration)
	}
	return nil
}

// stickinessOption maps the flag to the option, where 0 means the default.
func stickinessOption(v float64) float64 {
	if v == 0 {
		return placement.NoStickiness // the flag's 0 means none; the option's 0 means the default
	}
	return v
}

func newVersion(version string, stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintln(stdout, "krakectl", version)
		},
	}
}

// checkShutdownDefaults validates the --shutdown-* flags at start-up.
func checkShutdownDefaults(d api.ShutdownDefaults) error {
	switch {
	case d.GraceTime < 0:
		return fmt.Errorf("--shutdown-grace %d: give zero or more seconds", d.GraceTime)
	case d.Strategy != api.ShutdownDelete && d.Strategy != api.ShutdownGiveUp:
		return fmt.Errorf("--shutdown-failure-strategy %q: use %s or %s", d.Strategy, api.ShutdownDelete, api.ShutdownGiveUp)
	case d.Retries < 0:
		return fmt.Errorf("--shutdown-retries %d: give zero or more", d.Retries)
	}
	return nil
}

// readClusterTemplate reads a cluster's TOSCA template (YAML or JSON).
func readClusterTemplate(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s is not YAML: %w", path, err)
	}
	if _, ok := doc["tosca_definitions_version"]; !ok {
		return nil, fmt.Errorf("%s is not a TOSCA template (it has no tosca_definitions_version)", path)
	}
	return doc, nil
}
