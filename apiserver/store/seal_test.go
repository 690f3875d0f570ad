package store_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/apiserver/store/storetest"
)

var clusterKind = api.MustKind("kubernetes", "Cluster")

// The secrets of the fixture, each of which must never be in etcd in clear.
const (
	secretToken = "tok-3f9a1c"
	secretKey   = "a2V5LWRhdGEtc2VjcmV0"
	secretExec  = "exec-secret-arg"
)

func secretCluster(name string) *api.Cluster {
	cl := clusterKind.New().(*api.Cluster)
	cl.Metadata.Namespace, cl.Metadata.Name = "ns", name
	cl.Spec.Kubeconfig = map[string]any{
		"apiVersion": "v1", "kind": "Config", "current-context": "c",
		"clusters": []any{map[string]any{"name": "c", "cluster": map[string]any{"server": "https://127.0.0.1:6443"}}},
		"contexts": []any{map[string]any{"name": "c", "context": map[string]any{"cluster": "c", "user": "u"}}},
		"users": []any{map[string]any{"name": "u", "user": map[string]any{
			"token": secretToken, "client-key-data": secretKey,
			"exec": map[string]any{"command": "helper", "args": []any{secretExec}},
		}}},
	}
	api.Normalize(clusterKind, cl)
	return cl
}

func sealer(t *testing.T, keys ...[]byte) *store.Sealer {
	t.Helper()
	s, err := store.NewSealer(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// rawValue is what etcd holds for the cluster.
func rawValue(t *testing.T, client *clientv3.Client, s *store.Store, name string) string {
	t.Helper()
	resp, err := client.Get(t.Context(), s.Key(clusterKind, "ns", name))
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("raw get: %v", err)
	}
	return string(resp.Kvs[0].Value)
}

func userOf(t *testing.T, obj api.Object) map[string]any {
	t.Helper()
	users := obj.(*api.Cluster).Spec.Kubeconfig["users"].([]any)
	return users[0].(map[string]any)["user"].(map[string]any)
}

// TestSeal_secretsEncryptedAtRest: with a key, a kubeconfig's token, key
// and exec config are ciphertext in etcd, and every read (object, raw
// JSON, list, watch) gives them back in clear.
func TestSeal_secretsEncryptedAtRest(t *testing.T) {
	client := storetest.RunEtcd(t)
	s := store.New(client, store.Options{Sealer: sealer(t, key(1))})
	ctx := t.Context()
	events := s.Watch(ctx, clusterKind, "ns", 0)
	item, err := s.Create(ctx, clusterKind, secretCluster("edge"))
	if err != nil {
		t.Fatal(err)
	}
	raw := rawValue(t, client, s, "edge")
	for _, secret := range []string{secretToken, secretKey, secretExec} {
		if strings.Contains(raw, secret) {
			t.Errorf("etcd holds %q in clear: %s", secret, raw)
		}
	}
	if !strings.Contains(raw, "krake:enc:v1:") || !strings.Contains(raw, "https://127.0.0.1:6443") {
		t.Errorf("etcd value should hold ciphertext for the secrets and the rest in clear: %s", raw)
	}
	got, err := getObject(ctx, s, clusterKind, "ns", "edge")
	if err != nil {
		t.Fatal(err)
	}
	user := userOf(t, got)
	if user["token"] != secretToken || user["client-key-data"] != secretKey || user["exec"].(map[string]any)["args"].([]any)[0] != secretExec {
		t.Errorf("Get gave %v, want the secrets in clear", user)
	}
	fromItem, err := s.Get(ctx, clusterKind, "ns", "edge")
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.List(ctx, clusterKind, "ns", store.ListOptions{})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("list: %v", err)
	}
	ev := <-events
	for name, data := range map[string][]byte{"CreateItem": item.Data, "GetItem": fromItem.Data, "List": list.Items[0].Data, "Watch": ev.Data} {
		if !bytes.Contains(data, []byte(secretToken)) || bytes.Contains(data, []byte("krake:enc")) {
			t.Errorf("%s JSON: %s, want the secrets in clear", name, data)
		}
	}
}

// TestSeal_rotationAndOldData: a new key put first encrypts new writes;
// data sealed with the old key and data written before encryption stay
// readable; without the key the store says which flag it needs.
func TestSeal_rotationAndOldData(t *testing.T) {
	client := storetest.RunEtcd(t)
	ctx := t.Context()
	plain := store.New(client, store.Options{})
	if _, err := plain.Create(ctx, clusterKind, secretCluster("before")); err != nil {
		t.Fatal(err)
	}
	old := store.New(client, store.Options{Sealer: sealer(t, key(1))})
	if _, err := old.Create(ctx, clusterKind, secretCluster("old-key")); err != nil {
		t.Fatal(err)
	}
	rotated := store.New(client, store.Options{Sealer: sealer(t, key(2), key(1))})
	if _, err := rotated.Create(ctx, clusterKind, secretCluster("new-key")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"before", "old-key", "new-key"} {
		got, err := getObject(ctx, rotated, clusterKind, "ns", name)
		if err != nil || userOf(t, got)["token"] != secretToken {
			t.Errorf("after rotation %s: %v", name, err)
		}
	}
	if strings.Contains(rawValue(t, client, plain, "before"), "krake:enc") {
		t.Error("data written before encryption was turned on changed without a write")
	}
	// Only the new key: the old-key object no longer opens.
	newOnly := store.New(client, store.Options{Sealer: sealer(t, key(2))})
	if _, err := getObject(ctx, newOnly, clusterKind, "ns", "old-key"); !errors.Is(err, store.ErrSealed) {
		t.Errorf("reading with a key set that lacks its key: %v, want ErrSealed", err)
	}
	if _, err := getObject(ctx, plain, clusterKind, "ns", "new-key"); err == nil || !strings.Contains(err.Error(), "--encryption-key-file") {
		t.Errorf("reading encrypted data without a key: %v, want an error naming --encryption-key-file", err)
	}
}

// TestLoadSealer: the key file's format and its errors.
func TestLoadSealer(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) string {
		path := filepath.Join(dir, "keys")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good := "# newest first\n" + base64.StdEncoding.EncodeToString(key(3)) + "\n\n" + base64.StdEncoding.EncodeToString(key(1)) + "\n"
	if _, err := store.LoadSealer(write(good)); err != nil {
		t.Errorf("a good key file: %v", err)
	}
	for content, want := range map[string]string{
		"not base64!\n": "line 1 is not base64",
		base64.StdEncoding.EncodeToString([]byte("short")) + "\n": "want 32",
		"# only a comment\n": "no encryption key",
	} {
		if _, err := store.LoadSealer(write(content)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("key file %q: %v, want %q", content, err, want)
		}
	}
}
