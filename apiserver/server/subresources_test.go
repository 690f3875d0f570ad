package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/apiserver/store"
)

func createApp(t *testing.T, c *client.Client, ns, name string) *api.Application {
	t.Helper()
	app := api.MustKind("kubernetes", "Application").New().(*api.Application)
	app.Metadata.Name = name
	app.Spec.Manifest = api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "s"}})
	created, err := c.Applications(ns).Create(t.Context(), app, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return created
}

func TestStatus_replacesOnlyStatus(t *testing.T) {
	ns := namespace(t)
	c := newClient(t)
	app := createApp(t, c, ns, "echo")
	app.Status.State = api.StateRunning
	app.Status.Services = map[string]string{"echo": "127.0.0.1:30080"}
	app.Metadata.Labels = map[string]string{"sneaky": "yes"}
	app.Spec.BackoffLimit = 9
	got, err := c.Applications(ns).UpdateStatus(t.Context(), app)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.State != api.StateRunning || got.Status.Services["echo"] != "127.0.0.1:30080" {
		t.Errorf("status = %+v, want RUNNING with the service", got.Status)
	}
	if len(got.Metadata.Labels) != 0 || got.Spec.BackoffLimit != -1 {
		t.Errorf("a status update changed labels %v or spec backoff_limit %d", got.Metadata.Labels, got.Spec.BackoffLimit)
	}
}

func TestBinding_setsScheduledToAndOwner(t *testing.T) {
	ns := namespace(t)
	c := newClient(t)
	createApp(t, c, ns, "echo")
	cluster := api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: ns, Name: "kind-1"}
	got, err := c.Applications(ns).Subresource(t.Context(), "echo", api.SubBinding, api.Binding{API: "kubernetes", Kind: "ClusterBinding", Cluster: cluster})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.ScheduledTo == nil || *got.Status.ScheduledTo != cluster || got.Status.Scheduled == nil {
		t.Errorf("status after binding = scheduled_to %v scheduled %v", got.Status.ScheduledTo, got.Status.Scheduled)
	}
	if len(got.Metadata.Owners) != 1 || got.Metadata.Owners[0] != cluster {
		t.Errorf("owners = %v, want the cluster", got.Metadata.Owners)
	}
	// Binding again to the same cluster does not duplicate the owner.
	got, err = c.Applications(ns).Subresource(t.Context(), "echo", api.SubBinding, api.Binding{Cluster: cluster})
	if err != nil || len(got.Metadata.Owners) != 1 {
		t.Errorf("owners after a second binding = %v, %v", got.Metadata.Owners, err)
	}
}

func TestHooks_completeAndShutdownCheckTheToken(t *testing.T) {
	ns := namespace(t)
	c := newClient(t)
	apps := c.Applications(ns)
	app := createApp(t, c, ns, "job")
	app.Spec.Hooks = []string{api.HookComplete, api.HookShutdown}
	if _, err := apps.Update(t.Context(), app, client.WriteOptions{}); !client.IsInvalid(err) || !strings.Contains(err.Error(), `a Service named "shutdown"`) {
		t.Fatalf("the shutdown hook without a shutdown Service = %v, want a 422 naming the Service", err)
	}
	app.Spec.Manifest = append(app.Spec.Manifest, api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": "shutdown"}, "spec": map[string]any{"type": "NodePort", "ports": []any{map[string]any{"port": 80}}}})...)
	shrug, giveUp := "shrug", api.ShutdownGiveUp
	app.Spec.ShutdownFailureStrategy = &shrug
	if _, err := apps.Update(t.Context(), app, client.WriteOptions{}); !client.IsInvalid(err) || !strings.Contains(err.Error(), "spec.shutdown_failure_strategy") {
		t.Fatalf("an unknown strategy = %v, want a 422 naming the field", err)
	}
	app.Spec.ShutdownFailureStrategy = &giveUp
	app, err := apps.Update(t.Context(), app, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	complete, shutdown := "c-token", "s-token"
	app.Status.CompleteToken, app.Status.ShutdownToken = &complete, &shutdown
	if app, err = apps.UpdateStatus(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.Subresource(t.Context(), "job", api.SubComplete, api.HookToken{Token: "wrong"}); !client.IsUnauthorized(err) {
		t.Errorf("complete with a wrong token = %v, want 401", err)
	}
	if _, err := apps.Subresource(t.Context(), "job", api.SubShutdown, api.HookToken{Token: shutdown}); !client.IsConflict(err) {
		t.Errorf("shutdown while Krake is not waiting for it = %v, want 409", err)
	}
	app.Status.State = api.StateWaitingForCleaning
	if _, err := apps.UpdateStatus(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	if _, err := apps.Subresource(t.Context(), "job", api.SubShutdown, api.HookToken{Token: "wrong"}); !client.IsUnauthorized(err) {
		t.Errorf("shutdown with a wrong token = %v, want 401", err)
	}
	got, err := apps.Subresource(t.Context(), "job", api.SubShutdown, api.HookToken{Token: shutdown})
	if err != nil || got.Status.State != api.StateReadyForAction {
		t.Errorf("shutdown = %v, %v; want READY_FOR_ACTION", got, err)
	}
	got, err = apps.Subresource(t.Context(), "job", api.SubComplete, api.HookToken{Token: complete})
	if err != nil || got.Metadata.Deleted == nil {
		t.Errorf("complete = %v, %v; want the application marked deleted", got, err)
	}
}

func TestRetry_failedApplicationGoesBackToPending(t *testing.T) {
	ns := namespace(t)
	c := newClient(t)
	apps := c.Applications(ns)
	app := createApp(t, c, ns, "echo")
	if _, err := apps.Subresource(t.Context(), "echo", api.SubRetry, nil); !client.IsConflict(err) {
		t.Errorf("retry of a PENDING app = %v, want 409", err)
	}
	app.Status.State = api.StateFailed
	app.Status.Reason = &api.Reason{Code: api.ReasonCreateFailed, Message: "boom"}
	app.Status.Retries = 3
	if _, err := apps.UpdateStatus(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	got, err := apps.Subresource(t.Context(), "echo", api.SubRetry, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.State != api.StatePending || got.Status.Reason != nil || got.Status.Retries != 0 {
		t.Errorf("after retry status = %+v, want PENDING, no reason, 0 retries", got.Status)
	}
}

func TestReason_codeIsANameOnTheWire(t *testing.T) {
	ns := namespace(t)
	c := newClient(t)
	app := createApp(t, c, ns, "echo")
	app.Status.State = api.StateFailed
	app.Status.Reason = &api.Reason{Code: api.ReasonNoSuitableResource, Message: "no cluster"}
	if _, err := c.Applications(ns).UpdateStatus(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	r := do(t, http.MethodGet, "/kubernetes/namespaces/"+ns+"/applications/echo", "", "")
	if !strings.Contains(string(r.body), `"reason":{"code":"NO_SUITABLE_RESOURCE","message":"no cluster"}`) {
		t.Errorf("body lacks the numeric reason: %s", r.body)
	}
}

func TestServiceEndpoints(t *testing.T) {
	r := do(t, http.MethodGet, "/", "", "")
	mustStatus(t, r, http.StatusOK)
	if doc := r.json(t); doc["version"] != "test" || doc["name"] != "krake" {
		t.Errorf("GET / = %v", doc)
	}
	mustStatus(t, do(t, http.MethodGet, "/healthz", "", ""), http.StatusOK)
	mustStatus(t, do(t, http.MethodGet, "/readyz", "", ""), http.StatusOK)
	r = do(t, http.MethodGet, "/me", "", "")
	mustStatus(t, r, http.StatusOK)
	if user := r.json(t)["user"]; user != "system:admin" {
		t.Errorf("/me user = %v, want system:admin", user)
	}
	r = do(t, http.MethodGet, "/metrics", "", "")
	mustStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `krake_api_requests_total{code="200",method="GET",route="/me"}`) {
		t.Errorf("/metrics lacks the request counter for /me")
	}
}

// TestDefaults_fillWhatTheRequestLeavesOut: the server's defaults (as
// krakectl's --shutdown-* set them) fill the shutdown settings a create or
// an update leaves out, and never override what it gives.
func TestDefaults_fillWhatTheRequestLeavesOut(t *testing.T) {
	defaults := api.ShutdownDefaults{GraceTime: 90, Strategy: api.ShutdownGiveUp, Retries: 2}
	srv := server.New(server.Options{Store: store.New(etcdClient, store.Options{}), Version: "test",
		Defaults: func(obj api.Object) {
			if app, ok := obj.(*api.Application); ok {
				defaults.Fill(&app.Spec)
			}
		}})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	c, err := client.New(ts.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t)
	shutdownSvc := api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "shutdown"}})
	app := api.MustKind("kubernetes", "Application").New().(*api.Application)
	app.Metadata.Name = "left-out"
	app.Spec.Manifest = shutdownSvc
	app.Spec.Hooks = []string{api.HookShutdown}
	got, err := c.Applications(ns).Create(t.Context(), app, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Spec.Shutdown(); s != defaults {
		t.Errorf("settings left out became %+v, want the server's %+v", s, defaults)
	}
	grace := 5
	app.Metadata.Name, app.Spec.ShutdownGraceTime = "given", &grace
	got, err = c.Applications(ns).Create(t.Context(), app, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Spec.Shutdown(); s.GraceTime != 5 || s.Strategy != api.ShutdownGiveUp || s.Retries != 2 {
		t.Errorf("with a grace time given: %+v, want 5 and the server's strategy and retries", s)
	}
	// The shared test server has no defaults of its own: the API's apply.
	app.Metadata.Name, app.Spec.ShutdownGraceTime = "plain", nil
	got, err = newClient(t).Applications(ns).Create(t.Context(), app, client.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s := got.Spec.Shutdown(); s != api.DefaultShutdown {
		t.Errorf("without server defaults: %+v, want the API's %+v", s, api.DefaultShutdown)
	}
}
