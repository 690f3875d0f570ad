package embedetcd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/snapshot"
	etcdutl "go.etcd.io/etcd/etcdutl/v3/snapshot"
	"go.uber.org/zap"
)

// Backups: a snapshot is etcd's own (the bbolt database at one revision,
// with its hash), so `etcdutl snapshot status` reads ours too.

// SocketOf is the client socket of the embedded etcd of a data directory,
// for a client outside the process (krakectl snapshot save).
func SocketOf(dataDir string) (string, error) {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return "", err
	}
	return "unix://" + filepath.Join(dir, "client.sock"), nil
}

// SaveSnapshot writes a snapshot of the etcd cfg reaches to path (through
// a temporary file, so path is whole or absent). It returns the store's
// revision as of the snapshot. etcd takes a snapshot from one member: of
// several endpoints, the first that answers.
func SaveSnapshot(ctx context.Context, cfg clientv3.Config, path string) (int64, error) {
	var errs []error
	for _, ep := range cfg.Endpoints {
		one := cfg
		one.Endpoints = []string{ep}
		rev, err := saveFrom(ctx, one, path)
		if err == nil {
			return rev, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return 0, errors.Join(errs...)
}

// saveFrom snapshots the one member cfg names.
func saveFrom(ctx context.Context, cfg clientv3.Config, path string) (int64, error) {
	cfg.Logger = zap.NewNop()
	if cfg.DialTimeout == 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	c, err := clientv3.New(cfg)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	// The revision before and the snapshot after: the snapshot holds at
	// least every write up to it.
	status, err := c.Status(ctx, cfg.Endpoints[0])
	if err != nil {
		return 0, fmt.Errorf("etcd at %s does not answer: %w", cfg.Endpoints[0], err)
	}
	if _, err := snapshot.SaveWithVersion(ctx, zap.NewNop(), cfg, path); err != nil {
		return 0, err
	}
	return status.Header.Revision, nil
}

// RestoreSnapshot makes dataDir (which must not hold a store yet) a data
// directory the embedded etcd starts from with the snapshot's contents.
func RestoreSnapshot(snapshotPath, dataDir string) error {
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(dir, "etcd")); err == nil {
		return fmt.Errorf("%s already holds a store (%s); restore into a new directory", dataDir, filepath.Join(dir, "etcd"))
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	peer := "unix://" + filepath.Join(dir, "peer.sock")
	// The member as Start configures it: embed's default name, the
	// directory's own peer socket.
	name := "default"
	err = etcdutl.NewV3(zap.NewNop()).Restore(etcdutl.RestoreConfig{
		SnapshotPath:        snapshotPath,
		Name:                name,
		OutputDataDir:       filepath.Join(dir, "etcd"),
		PeerURLs:            []string{peer},
		InitialCluster:      name + "=" + peer,
		InitialClusterToken: "etcd-cluster",
	})
	if err != nil {
		_ = os.RemoveAll(filepath.Join(dir, "etcd"))
		return fmt.Errorf("restore %s: %w", snapshotPath, err)
	}
	return nil
}

// SnapshotOptions are the periodic snapshots of krakectl serve.
type SnapshotOptions struct {
	Dir   string        // where they go
	Every time.Duration // how often
	Keep  int           // how many are kept (the newest)
}

// snapshotPrefix names the files RunSnapshots writes (and may delete).
const snapshotPrefix = "krake-snapshot-"

// RunSnapshots takes a snapshot every opts.Every until ctx ends, keeping
// the newest opts.Keep; a failed one is logged and the next is tried.
func (e *Etcd) RunSnapshots(ctx context.Context, opts SnapshotOptions, log *slog.Logger) error {
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return fmt.Errorf("snapshot directory: %w", err)
	}
	tick := time.NewTicker(opts.Every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			// A snapshot saved just before the end is not left unpruned.
			return prune(opts.Dir, opts.Keep)
		case now := <-tick.C:
			path := filepath.Join(opts.Dir, snapshotPrefix+now.UTC().Format("20060102T150405.000Z")+".db")
			cfg := clientv3.Config{Endpoints: e.client.Endpoints()}
			rev, err := SaveSnapshot(ctx, cfg, path)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("snapshot failed; the next is tried on schedule", "err", err)
				}
				continue
			}
			log.Info("snapshot saved", "file", path, "revision", rev)
			if err := prune(opts.Dir, opts.Keep); err != nil {
				log.Warn("removing old snapshots failed", "err", err)
			}
		}
	}
}

// prune removes all but the newest keep snapshots of dir (names sort by
// time). Between a save and its prune there are keep+1.
func prune(dir string, keep int) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), snapshotPrefix) && strings.HasSuffix(e.Name(), ".db") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var errs []error
	for len(names) > keep {
		errs = append(errs, os.Remove(filepath.Join(dir, names[0])))
		names = names[1:]
	}
	return errors.Join(errs...)
}
