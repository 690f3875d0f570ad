package kubeclient_test

import (
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/kubernetes/kubeclient"
)

func cluster(namespace string, server string) *api.Cluster {
	ctx := map[string]any{"cluster": "c", "user": "u"}
	if namespace != "" {
		ctx["namespace"] = namespace
	}
	return &api.Cluster{Metadata: api.Metadata{Name: "edge", Namespace: "ns"}, Spec: api.ClusterSpec{Kubeconfig: map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "ctx",
		"clusters": []any{map[string]any{"name": "c", "cluster": map[string]any{"server": server}}},
		"users":    []any{map[string]any{"name": "u", "user": map[string]any{"token": "secret-token"}}},
		"contexts": []any{map[string]any{"name": "ctx", "context": ctx}},
	}}}
}

func TestCache_namespaceAndHost(t *testing.T) {
	cache := kubeclient.NewCache(time.Second)
	tests := []struct {
		name, namespace, server, wantNS, wantHost string
	}{
		{"namespace of the context", "team-a", "https://10.1.2.3:6443", "team-a", "10.1.2.3"},
		{"default without one", "", "https://kube.example.com", "default", "kube.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := cache.For(cluster(tt.namespace, tt.server))
			if err != nil {
				t.Fatal(err)
			}
			if c.Namespace != tt.wantNS || c.Host != tt.wantHost {
				t.Errorf("namespace %q host %q, want %q %q", c.Namespace, c.Host, tt.wantNS, tt.wantHost)
			}
		})
	}
}

func TestCache_reusesUntilTheKubeconfigChanges(t *testing.T) {
	cache := kubeclient.NewCache(time.Second)
	a, _ := cache.For(cluster("x", "https://10.0.0.1"))
	b, _ := cache.For(cluster("x", "https://10.0.0.1"))
	c, _ := cache.For(cluster("x", "https://10.0.0.2"))
	if a != b || a == c {
		t.Errorf("cache reuse: same kubeconfig %v, changed kubeconfig %v; want reuse only for the same", a == b, a == c)
	}
}

func TestCache_errorsCarryNoCredentials(t *testing.T) {
	broken := cluster("", "https://10.0.0.1")
	broken.Spec.Kubeconfig["current-context"] = "missing"
	_, err := kubeclient.NewCache(time.Second).For(broken)
	if err == nil {
		t.Fatal("a kubeconfig naming a missing context was accepted")
	}
	if strings.Contains(err.Error(), "secret-token") {
		t.Errorf("error leaks the token: %v", err)
	}
}
