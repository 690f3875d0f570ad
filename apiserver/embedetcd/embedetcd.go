// Package embedetcd runs a single-member etcd inside the process, so that
// `krakectl serve` needs no other setup. It listens on unix sockets in its
// data directory only (nothing on the network) and hands out a gRPC client
// of its socket: etcd's in-process adapter (v3client) deadlocks when many
// watches are cancelled at once (etcd-io/etcd#18879, #20716), and was
// slower in our benchmarks besides. It looks after itself: a space quota,
// compaction of old history, and defragmentation when space can be
// reclaimed.
package embedetcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Options configure the embedded etcd.
type Options struct {
	Dir string // data directory; created if missing
	// UnsafeNoFsync skips fsync: only for tests, where speed beats durability.
	UnsafeNoFsync bool
	// LogLevel of etcd's own logger (debug, info, warn, error, fatal); default fatal.
	LogLevel string
	// StartTimeout bounds start-up; default 60s.
	StartTimeout time.Duration
	// CompactionRetention keeps this much history for watches to resume
	// from; default 1h.
	CompactionRetention time.Duration
	// CompactionRevisions caps the history kept, whatever its age, so a
	// write storm cannot fill the disk; default 10,000.
	CompactionRevisions int64
	// CompactionInterval is how often history is compacted; default 5m.
	CompactionInterval time.Duration
	// QuotaBytes is the backend's size limit; writes beyond it fail with
	// store.ErrNoSpace; default 8 GiB.
	QuotaBytes int64
	// Logger receives maintenance lines (compaction, defragmentation,
	// the NOSPACE alarm); default none.
	Logger *slog.Logger
}

// Etcd is a running embedded etcd.
type Etcd struct {
	server *embed.Etcd
	client *clientv3.Client
	stop   context.CancelFunc
	done   chan struct{}
}

// Start starts etcd and waits until it serves.
func Start(opts Options) (*Etcd, error) {
	if opts.LogLevel == "" {
		opts.LogLevel = "fatal"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if opts.CompactionRetention == 0 {
		opts.CompactionRetention = time.Hour
	}
	if opts.CompactionRevisions == 0 {
		opts.CompactionRevisions = 10000
	}
	if opts.CompactionInterval == 0 {
		opts.CompactionInterval = 5 * time.Minute
	}
	if opts.QuotaBytes == 0 {
		opts.QuotaBytes = 8 << 30
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("etcd data dir: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("etcd data dir: %w", err)
	}
	cfg := embed.NewConfig()
	cfg.Dir = filepath.Join(dir, "etcd")
	cfg.Logger = "zap"
	cfg.LogLevel = opts.LogLevel
	cfg.UnsafeNoFsync = opts.UnsafeNoFsync
	// The API takes bodies up to 2 MiB; stored JSON may be a little larger.
	cfg.MaxRequestBytes = 8 << 20
	cfg.QuotaBackendBytes = opts.QuotaBytes
	// Compaction is ours (maintain): by age and by revision count.
	// Unix sockets keep etcd off the network and free us from port races.
	peerSock, clientSock := filepath.Join(dir, "peer.sock"), filepath.Join(dir, "client.sock")
	if len(peerSock) > 100 {
		return nil, fmt.Errorf("etcd data dir %s is too long for a unix socket path; use a shorter --data-dir", dir)
	}
	for _, sock := range []string{peerSock, clientSock} {
		_ = os.Remove(sock) // a stale socket from a killed process
	}
	peer, err := url.Parse("unix://" + peerSock)
	if err != nil {
		return nil, fmt.Errorf("etcd peer socket: %w", err)
	}
	clientURL, err := url.Parse("unix://" + clientSock)
	if err != nil {
		return nil, fmt.Errorf("etcd client socket: %w", err)
	}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*clientURL}, []url.URL{*clientURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)

	server, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, err)
	}
	select {
	case <-server.Server.ReadyNotify():
	case err := <-server.Err():
		server.Close()
		return nil, fmt.Errorf("embedded etcd failed: %w", err)
	case <-time.After(opts.StartTimeout):
		server.Server.Stop()
		server.Close()
		return nil, errors.New("embedded etcd did not become ready within " + opts.StartTimeout.String())
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{"unix://" + clientSock}, DialTimeout: 10 * time.Second,
		MaxCallSendMsgSize: int(cfg.MaxRequestBytes) + 1<<20, Logger: zap.NewNop()})
	if err != nil {
		server.Close()
		return nil, fmt.Errorf("connect to the embedded etcd: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Etcd{server: server, client: client, stop: cancel, done: make(chan struct{})}
	m := &maintainer{client: client, log: opts.Logger, retention: opts.CompactionRetention,
		keep: opts.CompactionRevisions, quota: opts.QuotaBytes}
	go func() { defer close(e.done); m.run(ctx, opts.CompactionInterval) }()
	return e, nil
}

// Client is a client of this etcd (gRPC over its unix socket).
func (e *Etcd) Client() *clientv3.Client { return e.client }

// Err reports fatal etcd errors.
func (e *Etcd) Err() <-chan error { return e.server.Err() }

// Close stops etcd cleanly: pending writes are flushed.
func (e *Etcd) Close() {
	e.stop()
	<-e.done
	_ = e.client.Close()
	e.server.Close()
}

// Ready reports whether etcd answers a read within ctx.
func Ready(ctx context.Context, client *clientv3.Client) error {
	_, err := client.Get(ctx, "/healthz-probe", clientv3.WithCountOnly())
	return err
}
