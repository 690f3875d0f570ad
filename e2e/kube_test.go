//go:build e2e

package e2e

import (
	"net"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/e2e/framework"
)

func kubectl(t *testing.T, env *framework.KubeEnv, kubeconfig string, args ...string) string {
	t.Helper()
	out, err := exec.Command(env.Kubectl, append([]string{"--kubeconfig", kubeconfig}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestKubeHarness: two real clusters come up on loopback with Ready kwok
// nodes, and Down stops every process they started.
func TestKubeHarness(t *testing.T) {
	env := framework.StartKube(t, 2)
	for _, kc := range env.Kubeconfigs {
		nodes := kubectl(t, env, kc, "get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {end}`)
		if strings.Count(nodes, "=True") != 2 {
			t.Errorf("%s nodes: %q, want two Ready kwok nodes", kc, nodes)
		}
	}
	server := strings.TrimSpace(kubectl(t, env, env.Kubeconfigs[0], "config", "view", "-o", "jsonpath={.clusters[0].cluster.server}"))
	u, err := url.Parse(server)
	if err != nil || !strings.HasPrefix(u.Host, "127.0.0.1:") {
		t.Fatalf("cluster server %q is not on loopback", server)
	}
	env.Down(t)
	conn, err := net.DialTimeout("tcp", u.Host, time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("kube-apiserver at %s still answers after Down", u.Host)
	}
}
