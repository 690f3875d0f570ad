//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/e2e/framework"
)

// TestKubeHarness_reapsOrphans: clusters left by a test process killed
// with SIGKILL (no cleanups ran) are stopped by the next StartKube.
func TestKubeHarness_reapsOrphans(t *testing.T) {
	if os.Getenv("KRAKE_ORPHAN_CHILD") == "1" {
		env := startKubeForOrphan(t)
		if err := os.WriteFile(os.Getenv("KRAKE_ORPHAN_FILE"), []byte(env), 0o644); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour) // killed by the parent
		return
	}
	marker := filepath.Join(t.TempDir(), "kubeconfig")
	child := exec.Command(os.Args[0], "-test.run", "^TestKubeHarness_reapsOrphans$", "-test.timeout", "5m")
	child.Env = append(os.Environ(), "KRAKE_ORPHAN_CHILD=1", "KRAKE_ORPHAN_FILE="+marker)
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	var kubeconfig string
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if data, err := os.ReadFile(marker); err == nil && len(data) > 0 {
			kubeconfig = string(data)
			break
		}
	}
	_ = child.Process.Kill()
	_ = child.Wait()
	if kubeconfig == "" {
		t.Fatal("the child never started its cluster")
	}
	server := serverOf(t, kubeconfig)
	if !answers(server) {
		t.Fatalf("the orphaned cluster at %s is not running; the test proves nothing", server)
	}
	// The orphan's processes, by PID: its port alone could be taken again
	// by the next environment.
	pids := pidsOf(t, filepath.Dir(filepath.Dir(kubeconfig)))
	startKubeForOrphan(t) // reaps first
	for name, pid := range pids {
		if alive(pid) {
			t.Errorf("the orphaned %s (pid %d) still runs after the next StartKube", name, pid)
		}
	}
}

// pidsOf reads an environment's PID files ("PID BINARY" each), failing
// unless every process runs.
func pidsOf(t *testing.T, stateDir string) map[string]int {
	files, err := filepath.Glob(filepath.Join(stateDir, "pids", "*.pid"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no PID files under %s (%v)", stateDir, err)
	}
	pids := map[string]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := strconv.Atoi(strings.Fields(string(data) + " x")[0])
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".pid")
		if !alive(pid) {
			t.Fatalf("the orphaned %s (pid %d) is not running; the test proves nothing", name, pid)
		}
		pids[name] = pid
	}
	return pids
}

// alive reports whether pid runs and is not a zombie (an orphan's dead
// process may wait for a reaper that never comes).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, ok := strings.Cut(string(stat), ") ")
	return ok && rest != "" && rest[0] != 'Z' && rest[0] != 'X'
}

func serverOf(t *testing.T, kubeconfig string) string {
	data, err := os.ReadFile(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "server: https://"); ok {
			return s
		}
	}
	t.Fatal("no server in kubeconfig")
	return ""
}

func startKubeForOrphan(t *testing.T) string {
	return framework.StartKube(t, 1).Kubeconfigs[0]
}

func answers(hostport string) bool {
	conn, err := net.DialTimeout("tcp", hostport, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
