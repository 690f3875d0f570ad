//go:build e2e

package e2e

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/e2e/framework"
)

// TestServeFlags: the hardening and encryption flags reach the real
// binary: credentials are ciphertext in its etcd (read raw through the
// embedded etcd's socket) yet come back in clear; a foreign Host and an
// Origin not in --cors-origin are refused, an allowed Origin is served.
func TestServeFlags(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	if err := os.WriteFile(keys, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	krake := framework.StartKrake(t, "", "--controllers=", "--encryption-key-file", keys, "--cors-origin", "https://ui.example.org")
	c := newClient(t, krake.URL)
	cluster := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
	cluster.Metadata.Name = "edge"
	cluster.Spec.Kubeconfig = map[string]any{"apiVersion": "v1", "kind": "Config", "current-context": "c",
		"clusters": []any{map[string]any{"name": "c", "cluster": map[string]any{"server": "https://127.0.0.1:1"}}},
		"users":    []any{map[string]any{"name": "u", "user": map[string]any{"token": "kubesecret-1234"}}},
		"contexts": []any{map[string]any{"name": "c", "context": map[string]any{"cluster": "c", "user": "u"}}}}
	if _, err := c.Clusters("enc").Create(t.Context(), cluster, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Clusters("enc").Get(t.Context(), "edge")
	if err != nil {
		t.Fatal(err)
	}
	user := got.Spec.Kubeconfig["users"].([]any)[0].(map[string]any)["user"].(map[string]any)
	if user["token"] != "kubesecret-1234" {
		t.Errorf("the API gives back %v, want the token in clear", user)
	}
	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{"unix://" + filepath.Join(krake.DataDir, "client.sock")}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	raw, err := etcd.Get(ctx, "/kubernetes/clusters/enc/edge")
	if err != nil || len(raw.Kvs) != 1 {
		t.Fatalf("raw read: %v", err)
	}
	if value := string(raw.Kvs[0].Value); strings.Contains(value, "kubesecret-1234") || !strings.Contains(value, "krake:enc:v1:") {
		t.Errorf("etcd holds %s, want the token encrypted", value)
	}

	get := func(header map[string]string) (int, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, krake.URL+"/kubernetes/namespaces/enc/clusters", nil)
		for k, v := range header {
			if k == "Host" {
				req.Host = v
			} else {
				req.Header.Set(k, v)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	if code, _ := get(map[string]string{"Host": "rebind.example.com"}); code != http.StatusForbidden {
		t.Errorf("a foreign Host on loopback = %d, want 403", code)
	}
	if code, _ := get(map[string]string{"Origin": "https://evil.example.com"}); code != http.StatusForbidden {
		t.Errorf("an Origin not allowed = %d, want 403", code)
	}
	if code, h := get(map[string]string{"Origin": "https://ui.example.org"}); code != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "https://ui.example.org" {
		t.Errorf("the allowed Origin = %d, Access-Control-Allow-Origin %q", code, h.Get("Access-Control-Allow-Origin"))
	}
}
