package application

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/controllers/runtime"
)

// TestReconcile_shutdownHook: a delete or a migration of an app with the
// shutdown hook calls the workload, waits for its callback up to the
// grace time (retrying the call), then removes the objects, or keeps them
// when the strategy is give_up.
func TestReconcile_shutdownHook(t *testing.T) {
	var calls atomic.Int32
	workload := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/shutdown" {
			calls.Add(1)
		}
	}))
	defer workload.Close()
	addr := strings.TrimPrefix(workload.URL, "http://")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	const grace = 30 * time.Second
	withHook := func(extra ...func(*api.Application)) func(*api.Application) {
		return func(a *api.Application) {
			running(a)
			for _, f := range extra {
				f(a) // migratingFromC0 runs running again: the hook's fields come after
			}
			a.Spec.Hooks = []string{api.HookShutdown}
			a.Spec.ShutdownGraceTime = ptr(int(grace / time.Second))
			token := "s-token"
			a.Status.ShutdownToken = &token
			a.Status.Services = map[string]string{"echo": "127.0.0.1:30080", api.ShutdownServiceName: addr}
		}
	}
	deleted := func(a *api.Application) { a.Metadata.Deleted = api.NewTimePtr(now.Add(-time.Minute)) }
	waiting := func(deadline time.Time, attempts int) func(*api.Application) {
		return func(a *api.Application) {
			a.Status.State = api.StateWaitingForCleaning
			a.Status.Shutdown = &api.ShutdownStatus{Attempts: attempts, Deadline: api.NewTimePtr(deadline)}
		}
	}
	removal := []string{"delete deployments/echo", "delete services/echo", "delete secrets/" + completeSecretName("echo"),
		"delete secrets/" + hookSecretName(api.HookShutdown, "echo")}
	tests := []struct {
		name        string
		app         *api.Application
		wantCalls   int32
		wantWrites  []string
		wantActions []string
		wantRequeue time.Duration
		wantOutcome string
	}{
		{name: "delete: the workload is called, Krake waits", app: testApp(withHook(deleted)), wantCalls: 1,
			wantWrites: []string{"status WAITING_FOR_CLEANING"}, wantRequeue: grace},
		{name: "delete, waiting: nothing until the deadline", app: testApp(withHook(deleted, waiting(now.Add(10*time.Second), 1))),
			wantRequeue: 10 * time.Second},
		{name: "delete, called back: the objects go", app: testApp(withHook(deleted, waiting(now.Add(10*time.Second), 1),
			func(a *api.Application) { a.Status.State = api.StateReadyForAction })),
			wantWrites: []string{"status READY_FOR_ACTION", "status DELETING", "update finalizers=[]"}, wantActions: removal, wantOutcome: api.ShutdownCalledBack},
		{name: "delete, no callback, a retry left: called again", app: testApp(withHook(deleted, waiting(now.Add(-time.Second), 1),
			func(a *api.Application) { a.Spec.ShutdownRetryCount = ptr(1) })),
			wantCalls: 1, wantWrites: []string{"status WAITING_FOR_CLEANING"}, wantRequeue: grace},
		{name: "delete, no callback, strategy delete: the objects go", app: testApp(withHook(deleted, waiting(now.Add(-time.Second), 2),
			func(a *api.Application) { a.Spec.ShutdownRetryCount = ptr(1) })),
			wantWrites: []string{"status WAITING_FOR_CLEANING", "status DELETING", "update finalizers=[]"}, wantActions: removal, wantOutcome: api.ShutdownTimedOut},
		{name: "delete, no callback, strategy give_up: DEGRADED, the objects stay", app: testApp(withHook(deleted, waiting(now.Add(-time.Second), 1),
			func(a *api.Application) { a.Spec.ShutdownFailureStrategy = ptr(api.ShutdownGiveUp) })),
			wantWrites: []string{"status DEGRADED DELETE_FAILED"}, wantOutcome: api.ShutdownGaveUp},
		{name: "delete, gave up before: nothing until retry or --force", app: testApp(withHook(deleted, func(a *api.Application) {
			a.Status.State = api.StateDegraded
			a.Status.Shutdown = &api.ShutdownStatus{Attempts: 1, Outcome: api.ShutdownGaveUp}
		})), wantOutcome: api.ShutdownGaveUp},
		{name: "delete of a FAILED app: no call, the objects go", app: testApp(withHook(deleted, func(a *api.Application) { a.Status.State = api.StateFailed })),
			wantWrites: []string{"status FAILED", "status DELETING", "update finalizers=[]"}, wantActions: removal, wantOutcome: api.ShutdownSkipped},
		{name: "migration: the old copy is called before anything is applied", app: testApp(withHook(migratingFromC0)),
			wantCalls: 1, wantWrites: []string{"status WAITING_FOR_CLEANING"}, wantRequeue: grace},
		{name: "migration, called back: the old copy goes, then the new one is applied", app: testApp(withHook(migratingFromC0, waiting(now.Add(time.Second), 1),
			func(a *api.Application) { a.Status.State = api.StateReadyForAction })),
			wantWrites:  []string{"status READY_FOR_ACTION", "status MIGRATING", "status RUNNING"},
			wantActions: append(slices.Clone(removal), "apply secrets/"+hookSecretName(api.HookShutdown, "echo"), "apply deployments/echo", "apply services/echo"),
			wantRequeue: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			apps, clusters := fakeCache[*api.Application]{"ns/echo": tt.app}, fakeCache[*api.Cluster]{}
			for _, name := range []string{"c0", "c1"} {
				cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
				cl.Metadata.Namespace, cl.Metadata.Name = "ns", name
				clusters["ns/"+name] = cl
			}
			writer := &recordingWriter{}
			kube := fakeCluster{readyPods: 1}
			c := newController(writer, apps, clusters, &kube, Options{Workers: 1, Resync: 10 * time.Second, HookURL: "http://krake",
				ShutdownClient: workload.Client(), Now: func() time.Time { return now }}, slog.New(slog.DiscardHandler))
			ctx, cancel := context.WithCancel(t.Context())
			defer c.observe.wait()
			defer cancel()
			res, err := c.Reconcile(ctx, runtime.Key{Namespace: "ns", Name: "echo"})
			if err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("calls to the workload: %d, want %d", got, tt.wantCalls)
			}
			if !slices.Equal(writer.writes, tt.wantWrites) {
				t.Errorf("writes\n  %s\nwant\n  %s", strings.Join(writer.writes, "\n  "), strings.Join(tt.wantWrites, "\n  "))
			}
			if !slices.Equal(kube.actions, tt.wantActions) {
				t.Errorf("cluster actions\n  %s\nwant\n  %s", strings.Join(kube.actions, "\n  "), strings.Join(tt.wantActions, "\n  "))
			}
			if res.RequeueAfter != tt.wantRequeue {
				t.Errorf("requeue after %s, want %s", res.RequeueAfter, tt.wantRequeue)
			}
			final := tt.app // no write: the outcome stands
			if writer.last != nil {
				final = writer.last
			}
			if tt.wantOutcome != "" && (final.Status.Shutdown == nil || final.Status.Shutdown.Outcome != tt.wantOutcome) {
				t.Errorf("shutdown status %+v, want the outcome %s", final.Status.Shutdown, tt.wantOutcome)
			}
		})
	}
}

// TestShutdown_staleCopyDoesNotCallTwice: the call is recorded before it
// is made, with the app's resource_version; a pass on a stale copy (its
// write conflicts) makes no call.
func TestShutdown_staleCopyDoesNotCallTwice(t *testing.T) {
	var calls atomic.Int32
	workload := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { calls.Add(1) }))
	defer workload.Close()
	app := testApp(func(a *api.Application) {
		running(a)
		a.Metadata.Deleted = api.NewTimePtr(time.Now())
		a.Spec.Hooks = []string{api.HookShutdown}
		a.Status.Services = map[string]string{api.ShutdownServiceName: strings.TrimPrefix(workload.URL, "http://")}
	})
	cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
	cl.Metadata.Namespace, cl.Metadata.Name = "ns", "c1"
	conflict := apierrorsConflict()
	writer := &recordingWriter{statusErr: conflict}
	c := newController(writer, fakeCache[*api.Application]{"ns/echo": app}, fakeCache[*api.Cluster]{"ns/c1": cl}, &fakeCluster{},
		Options{Workers: 1, HookURL: "http://krake", ShutdownClient: workload.Client()}, slog.New(slog.DiscardHandler))
	defer c.observe.wait()
	if _, err := c.Reconcile(t.Context(), runtime.Key{Namespace: "ns", Name: "echo"}); err == nil {
		t.Error("Reconcile on a stale copy returned no error; want the conflict, to come back")
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the workload was called %d times after the claim failed, want 0", n)
	}
}

func apierrorsConflict() error {
	return &client.APIError{Problem: api.Problem{Status: http.StatusConflict, Title: "TRANSACTION_ERROR"}}
}

func ptr[T any](v T) *T { return &v }
