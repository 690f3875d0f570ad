package framework

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// KubeEnv is a set of real Kubernetes clusters on 127.0.0.1, started by
// e2e/kube-testenv.sh: one etcd, and per cluster kube-apiserver,
// kube-controller-manager, kube-scheduler and kwok (fake nodes that go
// Ready, pods that go Running with fake IPs nobody may connect to).
type KubeEnv struct {
	Dir         string   // the environment's state: pki, logs, PID files
	Kubeconfigs []string // one per cluster, cluster-1 first
	Kubectl     string   // a kubectl of the clusters' version, built with them
	EtcdURL     string   // the etcd the clusters share (plain HTTP on loopback)
	script      string
	env         []string
}

var (
	buildKube    sync.Once
	buildKubeErr error
)

// TestenvScript is e2e/kube-testenv.sh, its binaries built (once per test
// process; the first build on a machine takes minutes, later ones reuse
// ~/.cache).
func TestenvScript(t testing.TB) string {
	t.Helper()
	script := filepath.Join(ModuleRoot(t), "e2e", "kube-testenv.sh")
	buildKube.Do(func() {
		if out, err := exec.Command(script, "build").CombinedOutput(); err != nil {
			buildKubeErr = fmt.Errorf("kube-testenv build: %v\n%s", err, out)
		}
	})
	if buildKubeErr != nil {
		t.Fatal(buildKubeErr)
	}
	return script
}

// TestenvBin is the path of a binary kube-testenv built (kubectl, etcd,
// kube-apiserver, ...).
func TestenvBin(t testing.TB, name string) string {
	t.Helper()
	out, err := exec.Command(TestenvScript(t), "bin", name).Output()
	if err != nil {
		t.Fatalf("kube-testenv bin %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// StartKube starts n clusters for the test and stops exactly those
// processes (by their PID files) when it ends. The first call on a machine
// builds the binaries from the Go module proxy into ~/.cache (about 8
// minutes on 2 cores); later calls reuse them.
func StartKube(t testing.TB, n int) *KubeEnv {
	t.Helper()
	return StartKubeComponents(t, n, "")
}

// StartKubeComponents is StartKube with only the given components beside
// each kube-apiserver ("none", or a comma list of controller-manager,
// scheduler, kwok; "" for all), e.g. for benchmarks of the API alone.
func StartKubeComponents(t testing.TB, n int, components string) *KubeEnv {
	t.Helper()
	script := TestenvScript(t)
	kubectl := TestenvBin(t, "kubectl")
	reapOrphans(t, script)
	dir := ShortTempDir(t)
	var lastErr error
	// Ports are a block from a base; another test or process may hold
	// some, so try a few bases. The bases stay below the kernel's
	// ephemeral ports (32768 and up), where any outgoing connection may
	// hold a port between the script's check and a server's bind, and
	// below the NodePort range (30000-32767), which tests listen in. An
	// environment spans base+1 to base+401, so bases 500 apart never
	// interleave two environments' ports.
	for attempt := 0; attempt < 5; attempt++ {
		base := 10000 + rand.IntN(38)*500 // the last block ends at 28901
		k := &KubeEnv{Dir: filepath.Join(dir, fmt.Sprintf("env%d", attempt)), script: script, Kubectl: kubectl}
		k.env = append(os.Environ(),
			"KUBE_TESTENV_DIR="+k.Dir,
			fmt.Sprintf("KUBE_TESTENV_PORT_BASE=%d", base),
			"KUBE_TESTENV_TIMEOUT=120",
		)
		if components != "" {
			k.env = append(k.env, "KUBE_TESTENV_COMPONENTS="+components)
		}
		k.EtcdURL = fmt.Sprintf("http://127.0.0.1:%d", base+400)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, script, "up", fmt.Sprint(n))
		cmd.Env = k.env
		out, err := cmd.Output()
		cancel()
		// Stop whatever this attempt started, on success at the test's end;
		// the registry entry lets a later run stop it if this process is
		// killed before its cleanups run.
		entry := register(t, k.Dir, base)
		t.Cleanup(func() {
			k.Down(t)
			_ = os.Remove(entry)
		})
		if err != nil {
			lastErr = fmt.Errorf("kube-testenv up %d: %v\n%s", n, err, stderrOf(err))
			if strings.Contains(lastErr.Error(), "already in use") {
				continue
			}
			t.Fatal(lastErr)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if strings.HasSuffix(line, ".kubeconfig") {
				k.Kubeconfigs = append(k.Kubeconfigs, line)
			}
		}
		if len(k.Kubeconfigs) != n {
			t.Fatalf("kube-testenv up %d printed %d kubeconfigs: %s", n, len(k.Kubeconfigs), out)
		}
		return k
	}
	t.Fatal(lastErr)
	return nil
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// Down stops the clusters' processes (idempotent).
func (k *KubeEnv) Down(t testing.TB) {
	cmd := exec.Command(k.script, "down")
	cmd.Env = k.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("kube-testenv down: %v\n%s", err, out)
	}
}

// StopAPIServer stops cluster i's kube-apiserver (1-based): an outage.
func (k *KubeEnv) StopAPIServer(t testing.TB, i int) {
	t.Helper()
	k.script1(t, "apiserver-stop", i)
}

// StartAPIServer starts cluster i's kube-apiserver again and waits for it.
func (k *KubeEnv) StartAPIServer(t testing.TB, i int) {
	t.Helper()
	k.script1(t, "apiserver-start", i)
}

func (k *KubeEnv) script1(t testing.TB, command string, i int) {
	t.Helper()
	cmd := exec.Command(k.script, command, fmt.Sprint(i))
	cmd.Env = k.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kube-testenv %s %d: %v\n%s", command, i, err, out)
	}
}

// PID is the process ID of a component ("etcd", "cluster-1-apiserver"),
// from the PID files kube-testenv keeps.
func (k *KubeEnv) PID(t testing.TB, component string) int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(k.Dir, "pids", component+".pid"))
	if err != nil {
		t.Fatalf("PID of %s: %v", component, err)
	}
	var pid int
	if _, err := fmt.Sscan(string(data), &pid); err != nil {
		t.Fatalf("PID file of %s: %v", component, err)
	}
	return pid
}

// Log returns the log of a component, e.g. ("cluster-1", "apiserver").
func (k *KubeEnv) Log(cluster, component string) string {
	data, _ := os.ReadFile(filepath.Join(k.Dir, "logs", cluster+"-"+component+".log"))
	return string(data)
}

// registryDir lists the environments test processes are running, so that
// one left behind by a killed `go test` is stopped by the next run.
func registryDir() string {
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	return filepath.Join(cache, "krake", "e2e-running")
}

// register records an environment of this process: "PID DIR PORT_BASE".
func register(t testing.TB, dir string, base int) string {
	t.Helper()
	if err := os.MkdirAll(registryDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(registryDir(), fmt.Sprintf("%d-%d", os.Getpid(), base))
	if err := os.WriteFile(entry, []byte(fmt.Sprintf("%d %s %d\n", os.Getpid(), dir, base)), 0o644); err != nil {
		t.Fatal(err)
	}
	return entry
}

// reapOrphans stops the environments whose test process is gone. Reapers
// take turns under a file lock: without it another test process (make
// bench beside make test) could take an entry and still be stopping its
// clusters when this one returns.
func reapOrphans(t testing.TB, script string) {
	if err := os.MkdirAll(registryDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(registryDir()+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close() // closing releases the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(registryDir())
	for _, e := range entries {
		path := filepath.Join(registryDir(), e.Name())
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var pid, base int
		var dir string
		if _, err := fmt.Sscanf(string(data), "%d %s %d", &pid, &dir, &base); err != nil {
			_ = os.Remove(path)
			continue
		}
		if processAlive(pid) {
			continue
		}
		cmd := exec.Command(script, "down")
		cmd.Env = append(os.Environ(), "KUBE_TESTENV_DIR="+dir, fmt.Sprintf("KUBE_TESTENV_PORT_BASE=%d", base))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("stopping the environment a killed test left in %s: %v\n%s", dir, err, out)
		}
		_ = os.RemoveAll(dir)
		_ = os.Remove(path)
	}
}

// processAlive reports whether pid runs (signal 0 probes without harm).
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	return err == nil && p.Signal(syscall.Signal(0)) == nil
}
