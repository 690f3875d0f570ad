// Package embedetcd runs a single-member etcd inside the process, so that
// `krakectl serve` needs no other setup. It listens on unix sockets in its
// data directory only (nothing on the network) and hands out an in-process
// client.
package embedetcd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
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
}

// Etcd is a running embedded etcd.
type Etcd struct {
	server *embed.Etcd
	client *clientv3.Client
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
	cfg.AutoCompactionMode = "periodic"
	cfg.AutoCompactionRetention = opts.CompactionRetention.String()
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
	client, err := url.Parse("unix://" + clientSock)
	if err != nil {
		return nil, fmt.Errorf("etcd client socket: %w", err)
	}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*peer}, []url.URL{*peer}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*client}, []url.URL{*client}
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
	return &Etcd{server: server, client: v3client.New(server.Server)}, nil
}

// Client is an in-process client of this etcd.
func (e *Etcd) Client() *clientv3.Client { return e.client }

// Err reports fatal etcd errors.
func (e *Etcd) Err() <-chan error { return e.server.Err() }

// Close stops etcd cleanly: pending writes are flushed.
func (e *Etcd) Close() {
	_ = e.client.Close()
	e.server.Close()
}

// Ready reports whether etcd answers a read within ctx.
func Ready(ctx context.Context, client *clientv3.Client) error {
	_, err := client.Get(ctx, "/healthz-probe", clientv3.WithCountOnly())
	return err
}
