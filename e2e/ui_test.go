//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/e2e/framework"
)

// tmuxSession runs a command in a detached tmux on a private server
// socket, so the test kills exactly its own tmux.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T, width, height int, env []string, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("tmux is required (make test-deps installs it): %v", err)
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("krake-e2e-%d", os.Getpid())}
	args := []string{"-L", s.socket, "new-session", "-d", "-s", "ui", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height),
		"env " + strings.Join(env, " ") + " " + command}
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "-L", s.socket, "kill-server").Run() })
	return s
}

func (s *tmuxSession) screen() string {
	out, _ := exec.Command("tmux", "-L", s.socket, "capture-pane", "-p", "-t", "ui").Output()
	return string(out)
}

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"-L", s.socket, "send-keys", "-t", "ui"}, keys...)...).CombinedOutput(); err != nil {
		s.t.Fatalf("send-keys %v: %v\n%s", keys, err, out)
	}
}

func (s *tmuxSession) waitFor(what string, timeout time.Duration, cond func(screen string) bool) {
	s.t.Helper()
	eventually(s.t, timeout, what, func() (bool, string) {
		screen := s.screen()
		return cond(screen), "\n" + screen
	})
}

// TestUI runs `rok ui` in a real terminal (tmux) against a real krakectl
// and cluster: the cluster registered before is listed without an event;
// an application created by rok in another process shows up and goes to
// RUNNING on screen; then the UI deletes it with d and its
// confirmation, and the API confirms.
func TestUI(t *testing.T) {
	kube := framework.StartKube(t, 1)
	krake := framework.StartKrake(t, "", "--probe-interval", "1s")
	rok := newRok(t, krake.URL)
	rok.must("kube", "cluster", "register", "-k", kube.Kubeconfigs[0], "--wait", "--timeout", "30s")
	bin := filepath.Join(framework.Binaries(t), "rok")
	ui := newTmux(t, 120, 30, []string{"ROK_API_URL=" + krake.URL, "ROK_NAMESPACE=walk", "XDG_CONFIG_HOME=" + t.TempDir(), "TERM=xterm-256color"}, bin+" ui")
	ui.waitFor("the dashboard with the cluster", 15*time.Second, func(s string) bool {
		return strings.Contains(s, "CLUSTERS (1)") && strings.Contains(s, "cluster-1") && strings.Contains(s, "ONLINE")
	})
	// The cluster was there before the UI: listed, not an event.
	if s := ui.screen(); strings.Contains(s, "/cluster-1 new →") {
		t.Errorf("the events pane shows the listed cluster as new:\n%s", s)
	}

	rok.must("kube", "app", "create", "echo-demo", "-f", filepath.Join(framework.ModuleRoot(t), "manifests/echo-demo/echo-demo.yaml"))
	ui.waitFor("echo-demo RUNNING on screen", 30*time.Second, func(s string) bool {
		for _, line := range strings.Split(s, "\n") {
			if strings.Contains(line, "echo-demo") && strings.Contains(line, "RUNNING") && strings.Contains(line, "cluster-1") {
				return true
			}
		}
		return false
	})
	if s := ui.screen(); !strings.Contains(s, "CREATING → RUNNING") && !strings.Contains(s, "→ RUNNING") {
		t.Errorf("the events pane does not show the transition to RUNNING:\n%s", s)
	}

	// Details: the objects with their health on the cluster, and why there.
	ui.keys("Enter")
	ui.waitFor("the app's details", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "Deployment echo-demo") && strings.Contains(s, "1/1 ready") &&
			strings.Contains(s, "cluster-1") && strings.Contains(s, "chosen")
	})
	ui.keys("Escape")
	ui.waitFor("the overview again", 5*time.Second, func(s string) bool { return strings.Contains(s, "APPLICATIONS (1)") })
	ui.keys("d")
	ui.waitFor("the delete confirmation", 5*time.Second, func(s string) bool {
		return strings.Contains(s, "delete application/walk/echo-demo?")
	})
	ui.keys("y")
	eventually(t, 30*time.Second, "echo-demo gone from the API", func() (bool, string) {
		_, stderr, err := rok.run("kube", "app", "get", "echo-demo")
		return err != nil && strings.Contains(stderr, "not found"), stderr
	})
	ui.waitFor("echo-demo gone from the screen", 10*time.Second, func(s string) bool {
		return strings.Contains(s, "APPLICATIONS (0)") && strings.Contains(s, "→ (removed)")
	})
	ui.keys("q")
}
