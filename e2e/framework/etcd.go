package framework

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
)

// StartEtcd runs an etcd process (kube-testenv's build) on loopback for
// the test and returns its client URL. With certs it serves TLS and
// requires client certificates signed by their CA.
func StartEtcd(t testing.TB, certs *TLSFiles) string {
	t.Helper()
	bin := TestenvBin(t, "etcd")
	client, peer, scheme := FreeAddr(t), FreeAddr(t), "http"
	var tlsArgs []string
	if certs != nil {
		scheme = "https"
		tlsArgs = []string{"--cert-file", certs.ServerCert, "--key-file", certs.ServerKey, "--trusted-ca-file", certs.CA, "--client-cert-auth"}
	}
	url := scheme + "://" + client
	StartProgram(t, bin, append([]string{
		"--name", "e2e", "--data-dir", filepath.Join(t.TempDir(), "etcd"),
		"--listen-client-urls", url, "--advertise-client-urls", url,
		"--listen-peer-urls", "http://" + peer, "--initial-advertise-peer-urls", "http://" + peer,
		"--initial-cluster", "e2e=http://" + peer, "--log-level", "error"}, tlsArgs...)...)
	return url
}

// ForEach runs op for 0..n-1 on workers goroutines and fails t on the
// first error (creating many objects, say).
func ForEach(t testing.TB, n, workers int, op func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	sem := make(chan struct{}, workers)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := op(i); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("item %d: %w", i, err)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if first != nil {
		t.Fatal(first)
	}
}
