package gc_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/server/servertest"
	"github.com/krake-go/krake/controllers/gc"
	"github.com/krake-go/krake/controllers/runtime"
)

var apiURL string

// TestMain runs one real API (embedded etcd) and one garbage collector
// against it for the package.
func TestMain(m *testing.M) {
	srv, err := servertest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	apiURL = srv.URL
	c, err := client.New(apiURL, client.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.DiscardHandler)
	inf := runtime.NewInformers(c, log)
	collector := gc.New(c, log, inf)
	informers, done := make(chan struct{}), make(chan struct{})
	go func() { inf.Run(ctx); close(informers) }()
	go func() { _ = collector.Start(ctx); close(done) }()
	code := m.Run()
	cancel()
	<-done
	<-informers
	srv.Close()
	os.Exit(code)
}

func newClient(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(apiURL, client.Options{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// object decodes the fixture of kind k named name, with owners.
func object(t *testing.T, k api.Kind, name string, owners ...api.ResourceRef) api.Object {
	t.Helper()
	obj := k.New()
	if err := json.Unmarshal([]byte(servertest.Fixture(k.Kind, name)), obj); err != nil {
		t.Fatalf("fixture %s: %v", k.Kind, err)
	}
	obj.GetMetadata().Owners = owners
	return obj
}

// waitGone polls until the object is no longer stored.
func waitGone(t *testing.T, r *client.Resource[api.Object], name string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := r.Get(t.Context(), name)
		if client.IsNotFound(err) {
			return
		}
		if err != nil {
			t.Fatalf("get %s: %v", name, err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s still stored %s after its delete", r.Kind().Kind, name, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestGC_everyKind: a plain delete of an object of any kind is gone within
// seconds, and its name can be used again (before, every kind but
// applications and clusters kept its cascade_deletion finalizer forever).
func TestGC_everyKind(t *testing.T) {
	c := newClient(t)
	for _, k := range api.Kinds {
		t.Run(k.Kind, func(t *testing.T) {
			r := client.For[api.Object](c, k, "gc-every-kind")
			if _, err := r.Create(t.Context(), object(t, k, "doomed"), client.WriteOptions{}); err != nil {
				t.Fatalf("create: %v", err)
			}
			marked, err := r.Delete(t.Context(), "doomed", client.WriteOptions{})
			if err != nil {
				t.Fatalf("delete: %v", err)
			}
			if marked.GetMetadata().Deleted == nil {
				t.Fatalf("delete answered an object without metadata.deleted")
			}
			waitGone(t, r, "doomed", 5*time.Second)
			if _, err := r.Create(t.Context(), object(t, k, "doomed"), client.WriteOptions{}); err != nil {
				t.Fatalf("create the name again: %v", err)
			}
		})
	}
}

// TestGC_dependentsFirst: an owner of any kind waits for the objects that
// name it in owners (of any kind) to be deleted, then goes.
func TestGC_dependentsFirst(t *testing.T) {
	c := newClient(t)
	ns := "gc-dependents"
	providerKind := api.MustKind("core", "GlobalMetricsProvider")
	metricKind := api.MustKind("core", "Metric")
	appKind := api.MustKind("kubernetes", "Application")
	providers := client.For[api.Object](c, providerKind, "")
	metrics := client.For[api.Object](c, metricKind, ns)
	apps := client.For[api.Object](c, appKind, ns)

	owner, err := providers.Create(t.Context(), object(t, providerKind, "owner"), client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ref := api.Ref(owner)
	// A finalizer of another controller holds the app, so the owner must wait.
	app := object(t, appKind, "dependent-app", ref)
	app.GetMetadata().Finalizers = []string{"test/hold"}
	if _, err := apps.Create(t.Context(), app, client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.Create(t.Context(), object(t, metricKind, "dependent-metric", ref), client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := providers.Delete(t.Context(), "owner", client.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(t, metrics, "dependent-metric", 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := apps.Get(t.Context(), "dependent-app")
		if err != nil {
			t.Fatal(err)
		}
		if got.GetMetadata().Deleted != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dependent application was not marked deleted")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The owner stays while a dependent remains.
	time.Sleep(300 * time.Millisecond)
	if _, err := providers.Get(t.Context(), "owner"); err != nil {
		t.Fatalf("the owner went before its dependent: %v", err)
	}
	// Releasing the other finalizer lets the app go, then the owner.
	held, err := apps.Get(t.Context(), "dependent-app")
	if err != nil {
		t.Fatal(err)
	}
	held.GetMetadata().Finalizers = slices.DeleteFunc(held.GetMetadata().Finalizers, func(f string) bool { return f == "test/hold" })
	if _, err := apps.Update(t.Context(), held, client.WriteOptions{}); err != nil && !client.IsNotFound(err) {
		t.Fatal(err)
	}
	waitGone(t, apps, "dependent-app", 5*time.Second)
	waitGone(t, providers, "owner", 5*time.Second)
}
