//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/krake-go/krake/e2e/framework"
)

// TestDemoSecure runs `make demo SECURE=1`'s script as the Makefile does
// (with the test's build of the binaries): two clusters, a set-up from
// `krakectl config generate`, the walkthrough over mTLS as the generated
// admin, echo-demo RUNNING; then `make demo-down`'s, which stops what it
// started by PID.
func TestDemoSecure(t *testing.T) {
	root := framework.ModuleRoot(t)
	dir := framework.ShortTempDir(t)
	addr := framework.FreeAddr(t)
	demo := func(verb string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(root, "e2e", "demo.sh"), verb, dir, addr)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "SECURE=1", "KRAKE_BIN="+framework.Binaries(t))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("demo.sh %s: %v\n%s", verb, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() { demo("down") })
	out := demo("up")
	for _, want := range []string{"krakectl config generate", "https://" + addr, "user:   admin", "groups: system:masters",
		"cluster-1", "state\tRUNNING", "services\techo-demo: 127.0.0.1:", "alias rok="} {
		if !strings.Contains(out, want) {
			t.Errorf("the secure demo's output lacks %q:\n%s", want, out)
		}
	}
	log, err := os.ReadFile(filepath.Join(dir, "krakectl.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"tls=true", "authorization=rbac", "base roles in place"} {
		if !strings.Contains(string(log), want) {
			t.Errorf("the server's log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(strings.ToLower(string(log)), "forbidden") {
		t.Errorf("a controller was refused something:\n%s", log)
	}
	if down := demo("down"); !strings.Contains(down, "Krake stopped") {
		t.Errorf("demo down: %s", down)
	}
}
