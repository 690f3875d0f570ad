// Package framework runs Krake's real binaries for end-to-end tests: it
// builds them once per test process, starts them on 127.0.0.1 with a free
// port, waits until they serve, and stops exactly the processes it started
// (by PID) when the test ends, also when it fails.
package framework

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// ModuleRoot is the repository root (where go.mod is).
func ModuleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}

// Binaries builds krakectl (and the other commands as they exist) once per
// test process and returns the directory holding them.
func Binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root := ModuleRoot(t)
		binDir, buildErr = os.MkdirTemp("", "krake-e2e-bin-")
		if buildErr != nil {
			return
		}
		for _, cmd := range []string{"krakectl", "rok"} {
			if _, err := os.Stat(filepath.Join(root, cmd, "main.go")); err != nil {
				continue
			}
			// Built as a release builds them (static, -trimpath), so the
			// tests run what ships and the release reuses the build cache.
			build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(binDir, cmd), "./"+cmd)
			build.Dir = root
			build.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := build.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build ./%s: %v\n%s", cmd, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// handedOut is every address FreeAddr gave in this test process: the
// kernel may give a released port again before the program it was picked
// for binds it (etcd binds its peer port a moment after it starts).
var handedOut = struct {
	sync.Mutex
	addrs map[string]bool
}{addrs: map[string]bool{}}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago and that no earlier call returned.
func FreeAddr(t testing.TB) string {
	t.Helper()
	handedOut.Lock()
	defer handedOut.Unlock()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		if !handedOut.addrs[addr] {
			handedOut.addrs[addr] = true
			return addr
		}
	}
}

// Process is a running binary.
type Process struct {
	cmd    *exec.Cmd
	output *syncBuffer
	done   chan struct{}
	err    error
}

// Start runs one of Krake's binaries with args; it is stopped by PID when
// the test ends.
func Start(t testing.TB, bin string, args ...string) *Process {
	t.Helper()
	return startPath(t, filepath.Join(Binaries(t), bin), args...)
}

// StartProgram runs any program (a test tool such as etcd); it is stopped
// by PID when the test ends.
func StartProgram(t testing.TB, path string, args ...string) *Process {
	t.Helper()
	return startPath(t, path, args...)
}

// startPath runs the program at path; it is stopped by PID when the test
// ends.
func startPath(t testing.TB, path string, args ...string) *Process {
	t.Helper()
	return startEnv(t, nil, path, args...)
}

// startEnv is startPath with extra environment variables.
func startEnv(t testing.TB, env []string, path string, args ...string) *Process {
	t.Helper()
	bin := filepath.Base(path)
	p := &Process{output: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("%s %v output:\n%s", bin, args, p.Output())
		}
	})
	return p
}

// Output is everything the process printed so far.
func (p *Process) Output() string { return p.output.String() }

// PID of the process.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Stop sends SIGTERM and waits up to grace, then SIGKILL. It returns the
// exit error (nil for a clean exit).
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return p.err
}

// Kill sends SIGKILL (kill -9) and waits for the process to end.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Krake is a running krakectl serve or api.
type Krake struct {
	*Process
	URL     string
	DataDir string
	// TLS trusts an HTTPS Krake's certificate (nil for plain HTTP).
	TLS *tls.Config
}

// StartKrake runs `krakectl serve` on a free port with the given data
// directory (a new temporary one if empty) and waits until /readyz is ok.
// Extra args go after the defaults.
func StartKrake(t testing.TB, dataDir string, extra ...string) *Krake {
	t.Helper()
	if dataDir == "" {
		dataDir = ShortTempDir(t)
	}
	addr := FreeAddr(t)
	args := append([]string{"serve", "--listen", addr, "--data-dir", dataDir}, extra...)
	k := &Krake{Process: Start(t, "krakectl", args...), URL: "http://" + addr, DataDir: dataDir}
	k.WaitReady(t, 60*time.Second)
	return k
}

// StartKrakeTLS runs `krakectl serve` over HTTPS with the files' server
// certificate and extra args (client CA, token file ...), and waits until
// /readyz answers over TLS.
func StartKrakeTLS(t testing.TB, certs TLSFiles, extra ...string) *Krake {
	t.Helper()
	dataDir := ShortTempDir(t)
	addr := FreeAddr(t)
	args := append([]string{"serve", "--listen", addr, "--data-dir", dataDir, "--tls-cert", certs.ServerCert, "--tls-key", certs.ServerKey}, extra...)
	k := &Krake{Process: Start(t, "krakectl", args...), URL: "https://" + addr, DataDir: dataDir, TLS: certs.ClientTLS(t, true)}
	k.WaitReady(t, 60*time.Second)
	return k
}

// StartKrakeAPI runs `krakectl api` against an existing etcd.
func StartKrakeAPI(t testing.TB, etcdEndpoint string) *Krake {
	t.Helper()
	return StartKrakeAPIArgs(t, "--etcd-endpoints", etcdEndpoint)
}

// StartKrakeAPIArgs runs `krakectl api` with args (etcd endpoints, TLS).
func StartKrakeAPIArgs(t testing.TB, args ...string) *Krake {
	t.Helper()
	addr := FreeAddr(t)
	k := &Krake{Process: Start(t, "krakectl", append([]string{"api", "--listen", addr}, args...)...), URL: "http://" + addr}
	k.WaitReady(t, 60*time.Second)
	return k
}

// WaitReady polls /readyz until it answers 200.
func (k *Krake) WaitReady(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if k.Exited() {
			t.Fatalf("krakectl exited before it was ready:\n%s", k.Output())
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, k.URL+"/readyz", nil)
		hc := http.DefaultClient
		if k.TLS != nil {
			hc = &http.Client{Transport: &http.Transport{TLSClientConfig: k.TLS}}
		}
		resp, err := hc.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("krakectl at %s not ready within %s:\n%s", k.URL, timeout, k.Output())
}

// ShortTempDir is a temporary directory with a short path (unix socket
// paths are limited to about 100 bytes), removed when the test ends.
func ShortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "krake-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Do sends one request to Krake, over its TLS when it has one, with
// header and a JSON body ("" for none), and returns the status and body.
func (k *Krake) Do(t testing.TB, method, path string, header http.Header, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, k.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := &http.Client{Timeout: 30 * time.Second}
	if k.TLS != nil {
		c.Transport = &http.Transport{TLSClientConfig: k.TLS}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Bearer is a header carrying token as a bearer token (none for "").
func Bearer(token string) http.Header {
	if token == "" {
		return http.Header{}
	}
	return http.Header{"Authorization": {"Bearer " + token}}
}
