package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/embedetcd"
)

// newSnapshot is `krakectl snapshot save|restore`: backups of the store.
func newSnapshot(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "Save the store to a file, or restore a data directory from one",
		Long: `A snapshot is etcd's own: everything Krake stores, at one revision.
Save one from a running Krake (the embedded etcd of its --data-dir) or
from an external etcd; restore it into a new data directory and serve
from that. Credentials encrypted with --encryption-key-file stay
encrypted: keep the key file with the snapshot.`,
	}
	cmd.AddCommand(newSnapshotSave(stdout), newSnapshotRestore(stdout))
	return cmd
}

func newSnapshotSave(stdout io.Writer) *cobra.Command {
	var dataDir, ca, cert, key string
	var endpoints []string
	cmd := &cobra.Command{
		Use:   "save FILE",
		Short: "Save a snapshot of a running Krake's store to FILE",
		Example: `  krakectl snapshot save backup.db --data-dir tmp/krake
  krakectl snapshot save backup.db --etcd-endpoints https://10.0.0.1:2379 --etcd-cacert ca.crt --etcd-cert c.crt --etcd-key c.key`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (dataDir == "") == (len(endpoints) == 0) {
				return errors.New("give --data-dir (a running krakectl serve's) or --etcd-endpoints (an external etcd)")
			}
			cfg := clientv3.Config{Endpoints: endpoints}
			if dataDir != "" {
				sock, err := embedetcd.SocketOf(dataDir)
				if err != nil {
					return err
				}
				if _, err := os.Stat(strings.TrimPrefix(sock, "unix://")); err != nil {
					return fmt.Errorf("no Krake runs with --data-dir %s (no etcd socket %s): start krakectl serve with it, or restore from an earlier snapshot", dataDir, strings.TrimPrefix(sock, "unix://"))
				}
				cfg.Endpoints = []string{sock}
			} else if ca != "" || cert != "" {
				tlsConfig, err := transport.TLSInfo{TrustedCAFile: ca, CertFile: cert, KeyFile: key}.ClientConfig()
				if err != nil {
					return fmt.Errorf("etcd TLS: %w", err)
				}
				cfg.TLS = tlsConfig
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
			defer cancel()
			rev, err := embedetcd.SaveSnapshot(ctx, cfg, args[0])
			if err != nil {
				return fmt.Errorf("snapshot: %w", err)
			}
			fmt.Fprintf(stdout, "saved %s (every write up to revision %d at least)\n", args[0], rev)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dataDir, "data-dir", "", "the data directory of the running krakectl serve to save")
	f.StringSliceVar(&endpoints, "etcd-endpoints", nil, "an external etcd to save (https://a:2379,...)")
	f.StringVar(&ca, "etcd-cacert", "", "CA bundle to verify the external etcd")
	f.StringVar(&cert, "etcd-cert", "", "client certificate for the external etcd")
	f.StringVar(&key, "etcd-key", "", "client key for the external etcd")
	return cmd
}

func newSnapshotRestore(stdout io.Writer) *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:     "restore FILE",
		Short:   "Make a new data directory from a snapshot, to serve from",
		Example: "  krakectl snapshot restore backup.db --data-dir tmp/krake-restored\n  krakectl serve --data-dir tmp/krake-restored",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if dataDir == "" {
				return errors.New("give the new data directory with --data-dir (it must not hold a store yet)")
			}
			if err := embedetcd.RestoreSnapshot(args[0], dataDir); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "restored %s into %s; serve it with: krakectl serve --data-dir %s\n", args[0], dataDir, dataDir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the new data directory")
	return cmd
}
