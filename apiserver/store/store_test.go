package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/store"
	"github.com/krake-go/krake/apiserver/store/storetest"
)

var (
	appKind  = api.MustKind("kubernetes", "Application")
	roleKind = api.MustKind("core", "Role")
)

func newStore(t *testing.T) (*store.Store, *clientv3.Client) {
	t.Helper()
	client := storetest.RunEtcd(t)
	return store.New(client, store.Options{}), client
}

func newApp(ns, name string) *api.Application {
	app := appKind.New().(*api.Application)
	app.Metadata.Namespace, app.Metadata.Name = ns, name
	app.Metadata.Labels = map[string]string{"n": name}
	api.Normalize(appKind, app)
	return app
}

func rev(t *testing.T, obj api.Object) int64 {
	t.Helper()
	r, err := store.ParseResourceVersion(obj.GetMetadata().ResourceVersion)
	if err != nil || r == 0 {
		t.Fatalf("resource_version %q: %v", obj.GetMetadata().ResourceVersion, err)
	}
	return r
}

func TestStore_CreateGet(t *testing.T) {
	s, client := newStore(t)
	ctx := t.Context()
	app := newApp("ns", "echo")
	if _, err := s.Create(ctx, appKind, app); err != nil {
		t.Fatal(err)
	}
	// The key layout is part of the contract (DESIGN §3).
	resp, err := client.Get(ctx, "/kubernetes/applications/ns/echo")
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("etcd key /kubernetes/applications/ns/echo: %v, %d keys", err, len(resp.Kvs))
	}
	if got := strconv.FormatInt(resp.Kvs[0].ModRevision, 10); got != app.Metadata.ResourceVersion {
		t.Errorf("resource_version = %s, want the mod revision %s", app.Metadata.ResourceVersion, got)
	}
	got, err := getObject(ctx, s, appKind, "ns", "echo")
	if err != nil {
		t.Fatal(err)
	}
	if got.GetMetadata().ResourceVersion != app.Metadata.ResourceVersion || got.GetMetadata().Labels["n"] != "echo" {
		t.Errorf("Get = %+v, want the created object", got.GetMetadata())
	}
	if _, err := s.Create(ctx, appKind, newApp("ns", "echo")); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("second Create = %v, want ErrAlreadyExists", err)
	}
	if _, err := getObject(ctx, s, appKind, "other", "echo"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get in another namespace = %v, want ErrNotFound", err)
	}
	role := roleKind.New().(*api.Role)
	role.Metadata.Name = "admin"
	if _, err := s.Create(ctx, roleKind, role); err != nil {
		t.Fatal(err)
	}
	if resp, _ := client.Get(ctx, "/core/roles/admin"); len(resp.Kvs) != 1 {
		t.Error("global kind not stored under /core/roles/admin")
	}
}

func TestStore_ListPagingIsOneSnapshot(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	for i := range 10 {
		if _, err := s.Create(ctx, appKind, newApp("a", fmt.Sprintf("app-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Create(ctx, appKind, newApp("b", "other")); err != nil {
		t.Fatal(err)
	}
	first, err := s.List(ctx, appKind, "a", store.ListOptions{Limit: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Items) != 4 || first.Continue == "" {
		t.Fatalf("first page: %d items, continue %q; want 4 and a token", len(first.Items), first.Continue)
	}
	// A write between pages must not show up: pages are read at one revision.
	if _, err := s.Create(ctx, appKind, newApp("a", "app-99")); err != nil {
		t.Fatal(err)
	}
	names := itemNames(t, first)
	token := first.Continue
	for token != "" {
		page, err := s.List(ctx, appKind, "a", store.ListOptions{Limit: 4, Continue: token})
		if err != nil {
			t.Fatal(err)
		}
		if page.Revision != first.Revision {
			t.Errorf("page revision %d, want the first page's %d", page.Revision, first.Revision)
		}
		names = append(names, itemNames(t, page)...)
		token = page.Continue
	}
	if len(names) != 10 || names[0] != "app-00" || names[9] != "app-09" {
		t.Errorf("paged names = %v, want app-00..app-09 in order", names)
	}
	all, err := s.List(ctx, appKind, "", store.ListOptions{})
	if err != nil || len(all.Items) != 12 {
		t.Errorf("List across namespaces = %d items, %v; want 12", len(all.Items), err)
	}
	filtered, err := s.List(ctx, appKind, "a", store.ListOptions{Limit: 1, Labels: func(labels map[string]string) bool {
		return labels["n"] == "app-07"
	}})
	if err != nil || len(filtered.Items) != 1 || itemNames(t, filtered)[0] != "app-07" {
		t.Errorf("filtered list = %v, %v; want app-07", filtered.Items, err)
	}
	if _, err := s.List(ctx, appKind, "a", store.ListOptions{Continue: "garbage"}); !errors.Is(err, store.ErrBadContinue) {
		t.Errorf("List with a bad token = %v, want ErrBadContinue", err)
	}
}

func itemNames(t *testing.T, res store.ListResult) []string {
	t.Helper()
	objs, err := res.Objects(appKind)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for i, o := range objs {
		names = append(names, o.GetMetadata().Name)
		if want := strconv.FormatInt(res.Items[i].Revision, 10); o.GetMetadata().ResourceVersion != want {
			t.Errorf("%s resource_version = %q, want %s", o.GetMetadata().Name, o.GetMetadata().ResourceVersion, want)
		}
	}
	return names
}

func TestStore_UpdateConflict(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	app := newApp("ns", "echo")
	if _, err := s.Create(ctx, appKind, app); err != nil {
		t.Fatal(err)
	}
	created := rev(t, app)
	app.Metadata.Labels["v"] = "1"
	if _, err := s.Update(ctx, appKind, app, created); err != nil {
		t.Fatal(err)
	}
	app.Metadata.Labels["v"] = "2"
	if _, err := s.Update(ctx, appKind, app, created); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Update with a stale revision = %v, want ErrConflict", err)
	}
	got, _ := getObject(ctx, s, appKind, "ns", "echo")
	if got.GetMetadata().Labels["v"] != "1" {
		t.Errorf("label v = %q after a failed update, want 1", got.GetMetadata().Labels["v"])
	}
	if _, err := s.Update(ctx, appKind, newApp("ns", "missing"), 5); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Update of a missing object = %v, want ErrNotFound", err)
	}
}

func TestStore_UpdateRemovesDeletedWithoutFinalizers(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	app := newApp("ns", "echo")
	app.Metadata.Finalizers = []string{"x"}
	app.Metadata.Deleted = api.NewTimePtr(time.Now())
	if _, err := s.Create(ctx, appKind, app); err != nil {
		t.Fatal(err)
	}
	app.Metadata.Finalizers = []string{}
	removed, err := s.Update(ctx, appKind, app, rev(t, app))
	if err != nil || !removed {
		t.Fatalf("Update = removed %v, %v; want the record removed", removed, err)
	}
	if _, err := getObject(ctx, s, appKind, "ns", "echo"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after removal = %v, want ErrNotFound", err)
	}
}

func TestStore_DeletePrecondition(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	app := newApp("ns", "echo")
	if _, err := s.Create(ctx, appKind, app); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, appKind, "ns", "echo", rev(t, app)+100); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Delete with a wrong revision = %v, want ErrConflict", err)
	}
	deleted, err := s.Delete(ctx, appKind, "ns", "echo", 0)
	if err != nil || deleted.GetMetadata().Name != "echo" {
		t.Fatalf("Delete = %v, %v", deleted, err)
	}
	if _, err := s.Delete(ctx, appKind, "ns", "echo", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
}

// TestStore_GuaranteedUpdateUnderContention: 20 writers each add a label
// with retries; none is lost.
func TestStore_GuaranteedUpdateUnderContention(t *testing.T) {
	s, _ := newStore(t)
	ctx := t.Context()
	if _, err := s.Create(ctx, appKind, newApp("ns", "echo")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, _, err := s.GuaranteedUpdate(ctx, appKind, "ns", "echo", 0, func(cur api.Object) error {
				cur.GetMetadata().Labels[fmt.Sprintf("w%d", i)] = "x"
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, _ := getObject(ctx, s, appKind, "ns", "echo")
	if n := len(got.GetMetadata().Labels); n != 21 {
		t.Errorf("labels after 20 concurrent updates = %d, want 21 (none lost)", n)
	}
}

func TestStore_WatchResumesAfterRevision(t *testing.T) {
	s, _ := newStore(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	app := newApp("ns", "echo")
	if _, err := s.Create(ctx, appKind, app); err != nil {
		t.Fatal(err)
	}
	after := rev(t, app)
	app.Metadata.Labels["v"] = "2"
	if _, err := s.Update(ctx, appKind, app, after); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx, appKind, "ns", "echo", 0); err != nil {
		t.Fatal(err)
	}
	events := s.Watch(ctx, appKind, "ns", after)
	var got []string
	for ev := range events {
		if ev.Err != nil {
			t.Fatal(ev.Err)
		}
		obj, err := ev.Object()
		if err != nil {
			t.Fatal(err)
		}
		if m := obj.GetMetadata(); ev.Namespace != "ns" || ev.Name != "echo" || m.Namespace != ev.Namespace || m.Name != ev.Name {
			t.Errorf("event of %s/%s names %q/%q", m.Namespace, m.Name, ev.Namespace, ev.Name)
		}
		got = append(got, ev.Type+" "+obj.GetMetadata().ResourceVersion)
		if len(got) == 2 {
			break
		}
	}
	want := []string{fmt.Sprintf("MODIFIED %d", after+1), fmt.Sprintf("DELETED %d", after+2)}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events after %d = %v, want %v", after, got, want)
	}
}

func TestStore_WatchCompacted(t *testing.T) {
	s, client := newStore(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var last int64
	for i := range 3 {
		app := newApp("ns", fmt.Sprintf("a%d", i))
		if _, err := s.Create(ctx, appKind, app); err != nil {
			t.Fatal(err)
		}
		last = rev(t, app)
	}
	if _, err := client.Compact(ctx, last); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckRevision(ctx, 1); !errors.Is(err, store.ErrCompacted) {
		t.Errorf("CheckRevision(1) after compaction = %v, want ErrCompacted", err)
	}
	ev := <-s.Watch(ctx, appKind, "ns", 1)
	if !errors.Is(ev.Err, store.ErrCompacted) {
		t.Errorf("watch from a compacted revision: %+v, want ErrCompacted", ev)
	}
}

// getObject reads one object, typed.
func getObject(ctx context.Context, s *store.Store, k api.Kind, namespace, name string) (api.Object, error) {
	item, err := s.Get(ctx, k, namespace, name)
	if err != nil {
		return nil, err
	}
	return item.Decode(k)
}
