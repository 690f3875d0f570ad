package server_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/auth"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/embedetcd"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/e2e/framework"
)

// benchEnv is a durable (fsync on) embedded etcd and an API server over
// it, shared by the benchmarks: the API and raw etcd numbers come from the
// same store in the same run.
type benchEnv struct {
	etcd     *clientv3.Client // in-process: no serialization, no socket
	etcdGRPC *clientv3.Client // a real gRPC client over etcd's socket, as any etcd client talks
	client   *client.Client
	// secure is a second server on the same store, as a secured Krake
	// runs: HTTPS with a verified client certificate, and RBAC deciding
	// for a user bound to a role (not system:masters, which skips RBAC).
	secure *client.Client
}

var (
	benchOnce sync.Once
	bench     benchEnv
	benchErr  error
	benchSeq  atomic.Int64
)

func setupBench(b *testing.B) benchEnv {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "krake-bench-")
		if err != nil {
			benchErr = err
			return
		}
		e, err := embedetcd.Start(embedetcd.Options{Dir: dir})
		if err != nil {
			benchErr = err
			return
		}
		srv := server.New(server.Options{Store: store.New(e.Client(), store.Options{})})
		ts := httptest.NewServer(srv.Handler())
		c, err := client.New(ts.URL, client.Options{})
		if err != nil {
			benchErr = err
			return
		}
		grpcClient, err := clientv3.New(clientv3.Config{Endpoints: []string{"unix://" + filepath.Join(dir, "client.sock")}, DialTimeout: 5 * time.Second})
		if err != nil {
			benchErr = err
			return
		}
		secure, err := startSecureBench(b, store.New(e.Client(), store.Options{}))
		bench, benchErr = benchEnv{etcd: e.Client(), etcdGRPC: grpcClient, client: c, secure: secure}, err
		// The process ends after the benchmarks; etcd and the server go with it.
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

// startSecureBench serves st over mTLS with RBAC and returns a client of
// a user whose role allows creating applications in every namespace.
func startSecureBench(b *testing.B, st *store.Store) (*client.Client, error) {
	certs := framework.NewTLSFiles(b)
	rbac := auth.NewRBAC()
	rbac.Update([]*api.Role{{Metadata: api.Metadata{Name: "bench"}, Rules: []api.RoleRule{
		{API: "core", Resources: []string{"metrics"}, Namespaces: []string{"ops"}, Verbs: []string{"get"}},
		{API: "kubernetes", Resources: []string{"applications"}, Namespaces: []string{""}, Verbs: []string{"create", "get", "list"}},
	}}}, []*api.RoleBinding{{Metadata: api.Metadata{Name: "bench"}, Users: []string{"client"}, Roles: []string{"bench"}}})
	srv := server.New(server.Options{Store: st, Authenticator: auth.Chain{auth.ClientCert{}}, Authorizer: rbac})
	ts := httptest.NewUnstartedServer(srv.Handler())
	pair, err := tls.LoadX509KeyPair(certs.ServerCert, certs.ServerKey)
	if err != nil {
		return nil, err
	}
	caPEM, err := os.ReadFile(certs.CA)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
	ts.StartTLS()
	return client.New(ts.URL, client.Options{TLS: certs.ClientTLS(b, true)})
}

func benchApp(name string) *api.Application {
	app := api.MustKind("kubernetes", "Application").New().(*api.Application)
	app.Metadata.Name = name
	app.Metadata.Labels = map[string]string{"app": "echo", "tier": "web"}
	app.Spec.Manifest = api.MustRawObjects(
		map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "echo"},
			"spec": map[string]any{"replicas": 2, "selector": map[string]any{"matchLabels": map[string]any{"app": "echo"}},
				"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "echo"}},
					"spec": map[string]any{"containers": []any{map[string]any{"name": "echo", "image": "registry.k8s.io/echoserver:1.10", "ports": []any{map[string]any{"containerPort": 8080}}}}}}}},
		map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "echo"},
			"spec": map[string]any{"type": "NodePort", "selector": map[string]any{"app": "echo"}, "ports": []any{map[string]any{"port": 8080}}}},
	)
	return app
}

// runClients is framework.RunClients with this process's CPU: client,
// server and etcd share it.
func runClients(b *testing.B, clients int, op func(ctx context.Context, i int) error) {
	b.Helper()
	framework.RunClients(b, clients, framework.SelfCPU, op)
}

const listSize = 1000

var benchClients = []int{1, 16, 64}

// BenchmarkAPI measures creates, gets and lists of 1,000 objects through
// HTTP at 1, 16 and 64 concurrent clients, and raw etcd transactional puts
// of the same JSON on the same etcd. `make bench` prints the table.
func BenchmarkAPI(b *testing.B) {
	env := setupBench(b)
	run := benchSeq.Add(1)
	listNS := fmt.Sprintf("bench-list-%d", run)
	apps := env.client.Applications(listNS)
	for i := range listSize {
		if _, err := apps.Create(context.Background(), benchApp(fmt.Sprintf("app-%04d", i)), client.WriteOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	template := benchApp("template")
	value, _ := json.Marshal(template)
	for _, clients := range benchClients {
		for _, raw := range []struct {
			name   string
			client *clientv3.Client
		}{{"etcd-put", env.etcdGRPC}, {"etcd-put-inprocess", env.etcd}} {
			b.Run(fmt.Sprintf("op=%s/clients=%d", raw.name, clients), func(b *testing.B) {
				prefix := fmt.Sprintf("/bench/raw/%d-%d/", run, benchSeq.Add(1))
				runClients(b, clients, func(ctx context.Context, i int) error {
					key := prefix + strconv.Itoa(i)
					_, err := raw.client.Txn(ctx).
						If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
						Then(clientv3.OpPut(key, string(value))).Commit()
					return err
				})
			})
		}
		b.Run(fmt.Sprintf("op=create/clients=%d", clients), func(b *testing.B) {
			created := env.client.Applications(fmt.Sprintf("bench-create-%d-%d", run, benchSeq.Add(1)))
			runClients(b, clients, func(ctx context.Context, i int) error {
				app := *template // the manifest is shared and only read
				app.Metadata.Name = "app-" + strconv.Itoa(i)
				_, err := created.Create(ctx, &app, client.WriteOptions{})
				return err
			})
		})
		b.Run(fmt.Sprintf("op=create-mtls-rbac/clients=%d", clients), func(b *testing.B) {
			created := env.secure.Applications(fmt.Sprintf("bench-create-secure-%d-%d", run, benchSeq.Add(1)))
			runClients(b, clients, func(ctx context.Context, i int) error {
				app := *template
				app.Metadata.Name = "app-" + strconv.Itoa(i)
				_, err := created.Create(ctx, &app, client.WriteOptions{})
				return err
			})
		})
		b.Run(fmt.Sprintf("op=get/clients=%d", clients), func(b *testing.B) {
			runClients(b, clients, func(ctx context.Context, i int) error {
				_, err := apps.Get(ctx, fmt.Sprintf("app-%04d", i%listSize))
				return err
			})
		})
		b.Run(fmt.Sprintf("op=list-1000/clients=%d", clients), func(b *testing.B) {
			runClients(b, clients, func(ctx context.Context, i int) error {
				list, err := apps.List(ctx, client.ListOptions{})
				if err == nil && len(list.Items) != listSize {
					err = fmt.Errorf("list returned %d items, want %d", len(list.Items), listSize)
				}
				return err
			})
		})
	}
}
