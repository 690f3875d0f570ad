// Package cmdutil holds what every rok command shares: the Factory (lazy
// config and client), typed errors with their exit codes, and completion
// helpers.
package cmdutil

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/rok/internal/config"
	"github.com/krake-go/krake/rok/internal/iostreams"
)

// Factory builds what commands need, lazily: a command that fails on its
// flags never reads the configuration or dials the API.
type Factory struct {
	IO        *iostreams.IOStreams
	Env       config.Env
	Now       func() time.Time
	Overrides config.Overrides // bound to the global flags

	resolved *config.Resolved
	client   *client.Client
}

// Config resolves the configuration once.
func (f *Factory) Config() (config.Resolved, error) {
	if f.resolved != nil {
		return *f.resolved, nil
	}
	file, err := config.Load(f.Env.Path())
	if err != nil {
		return config.Resolved{}, err
	}
	// The original CLI's files, lowest first: krakectl.yaml, then rok.yaml.
	var legacy []*config.Legacy
	for _, paths := range [][]string{f.Env.KrakectlPaths(), f.Env.LegacyPaths()} {
		l, err := f.Env.LoadLegacy(paths)
		if err != nil {
			return config.Resolved{}, err
		}
		legacy = append(legacy, l)
	}
	r, err := config.Resolve(f.Env, file, legacy, f.Overrides)
	if err != nil {
		return config.Resolved{}, err
	}
	f.resolved = &r
	return r, nil
}

// Namespace is the namespace commands work in.
func (f *Factory) Namespace() (string, error) {
	r, err := f.Config()
	return r.Namespace, err
}

// Client returns the API client for the resolved configuration.
func (f *Factory) Client() (*client.Client, error) {
	if f.client != nil {
		return f.client, nil
	}
	r, err := f.Config()
	if err != nil {
		return nil, err
	}
	tlsConfig, err := loadTLS(r.TLS)
	if err != nil {
		return nil, err
	}
	c, err := client.New(r.APIURL, client.Options{TLS: tlsConfig, UserAgent: "rok", Timeout: 30 * time.Second, Token: r.Token})
	if err != nil {
		return nil, &FlagError{Err: fmt.Errorf("%w (from %s)", err, r.Source)}
	}
	f.client = c
	return c, nil
}

func loadTLS(t config.TLS) (*tls.Config, error) {
	if t.CA == "" && t.Cert == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CA != "" {
		pem, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, fmt.Errorf("TLS CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA %s holds no PEM certificate", t.CA)
		}
		cfg.RootCAs = pool
	}
	if t.Cert != "" {
		cert, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}
