package application

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/kubernetes/kubeclient"
	"github.com/krake-go/krake/controllers/runtime"
)

// fakeCache is a seeded informer cache.
type fakeCache[T api.Object] map[string]T

func (c fakeCache[T]) Get(namespace, name string) (T, bool) {
	obj, ok := c[namespace+"/"+name]
	return obj, ok
}

// recordingWriter records the controller's API writes as "update" (with
// the finalizers) or "status STATE [REASON]".
type recordingWriter struct {
	writes    []string
	last      *api.Application // the last status written
	statusErr error            // when set, every status write fails with it
}

func (w *recordingWriter) Update(_ context.Context, app *api.Application) (*api.Application, error) {
	w.writes = append(w.writes, fmt.Sprintf("update finalizers=%v", app.Metadata.Finalizers))
	return api.DeepCopy(app), nil
}

func (w *recordingWriter) UpdateStatus(_ context.Context, app *api.Application) (*api.Application, error) {
	line := "status " + app.Status.State
	if r := app.Status.Reason; r != nil {
		line += " " + r.Code.String()
	}
	w.writes = append(w.writes, line)
	if w.statusErr != nil {
		return nil, w.statusErr
	}
	w.last = api.DeepCopy(app)
	return api.DeepCopy(app), nil
}

// fakeCluster is the cluster side: applies and deletes are recorded; each
// applied Deployment has ready replicas per readyPods, and applyErr, when
// set, answers every apply.
type fakeCluster struct {
	readyPods int64
	applyErr  error
	forErr    error
	actions   []string
}

type resettable struct{ meta.RESTMapper }

func (resettable) Reset() {}

func (f *fakeCluster) For(*api.Cluster) (*kubeclient.Clients, error) {
	if f.forErr != nil {
		return nil, f.forErr
	}
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "Service"}, meta.RESTScopeNamespace)
	mapper.Add(schema.GroupVersionKind{Version: "v1", Kind: "Secret"}, meta.RESTScopeNamespace)
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(k8sruntime.NewScheme(), map[schema.GroupVersionResource]string{
		{Group: "apps", Version: "v1", Resource: "deployments"}: "DeploymentList",
		{Version: "v1", Resource: "services"}:                   "ServiceList",
		{Version: "v1", Resource: "secrets"}:                    "SecretList",
	})
	dyn.PrependReactor("patch", "*", func(action k8stesting.Action) (bool, k8sruntime.Object, error) {
		patch := action.(k8stesting.PatchAction)
		f.actions = append(f.actions, "apply "+patch.GetResource().Resource+"/"+patch.GetName())
		if f.applyErr != nil {
			return true, nil, f.applyErr
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(patch.GetPatch()); err != nil {
			return true, nil, err
		}
		switch obj.GetKind() {
		case "Deployment":
			_ = unstructured.SetNestedField(obj.Object, f.readyPods, "status", "readyReplicas")
		case "Service":
			_ = unstructured.SetNestedSlice(obj.Object, []any{map[string]any{"port": int64(8080), "nodePort": int64(30080)}}, "spec", "ports")
		}
		return true, obj, nil
	})
	dyn.PrependReactor("delete", "*", func(action k8stesting.Action) (bool, k8sruntime.Object, error) {
		f.actions = append(f.actions, "delete "+action.GetResource().Resource+"/"+action.(k8stesting.DeleteAction).GetName())
		return true, nil, nil
	})
	return &kubeclient.Clients{Dynamic: dyn, Mapper: resettable{mapper}, Host: "127.0.0.1", Namespace: "default"}, nil
}

var manifest = api.MustRawObjects(
	map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "echo"},
		"spec": map[string]any{"replicas": 1, "template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "echo"}}}}}},
	map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "echo"}, "spec": map[string]any{"type": "NodePort"}},
)

// observedManifest is what the fake cluster holds of the manifest's
// fields once applied: the same, in the default namespace.
var observedManifest = api.MustRawObjects(
	map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "echo", "namespace": "default"},
		"spec": map[string]any{"replicas": 1, "template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "echo"}}}}}},
	map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "echo", "namespace": "default"}, "spec": map[string]any{"type": "NodePort"}},
)

func testApp(mutate func(*api.Application)) *api.Application {
	app := api.MustKind("kubernetes", "Application").New().(*api.Application)
	app.Metadata.Namespace, app.Metadata.Name = "ns", "echo"
	app.Spec.Manifest = manifest
	app.Status.State = api.StatePending
	app.Status.ScheduledTo = &api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: "ns", Name: "c1"}
	if mutate != nil {
		mutate(app)
	}
	return app
}

// running is the app as a pass that found it RUNNING leaves it.
func running(app *api.Application) {
	app.Metadata.Finalizers = []string{Finalizer}
	app.Status.State = api.StateRunning
	app.Status.RunningOn = app.Status.ScheduledTo
	app.Status.LastAppliedManifest = manifest
	app.Status.LastObservedManifest = observedManifest
	app.Status.Services = map[string]string{"echo": "127.0.0.1:30080"}
	app.Status.ContainerHealth = api.ContainerHealth{DesiredPods: 1, RunningPods: 1}
	app.Status.Objects = []api.ObjectHealth{
		{Kind: "Deployment", Name: "echo", Namespace: "default", Healthy: true, Status: "1/1 ready"},
		{Kind: "Service", Name: "echo", Namespace: "default", Healthy: true, Status: "127.0.0.1:30080"},
	}
}

// migratingFromC0 is a running app the scheduler moved from c0 to c1.
func migratingFromC0(app *api.Application) {
	running(app)
	app.Status.RunningOn = &api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: "ns", Name: "c0"}
}

// TestReconcile: each pass writes exactly what its step needs, in order,
// and asks to come back when it should.
func TestReconcile(t *testing.T) {
	const resync = 10 * time.Second
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name        string
		app         *api.Application // nil: not in the cache
		noCluster   bool
		kube        fakeCluster
		wantWrites  []string
		wantActions []string
		wantRequeue time.Duration
	}{
		{name: "gone from the cache", app: nil},
		{name: "not scheduled yet", app: testApp(func(a *api.Application) { a.Status.ScheduledTo = nil })},
		{name: "its cluster does not exist", app: testApp(nil), noCluster: true,
			wantWrites: []string{"status FAILED CLUSTER_NOT_REACHABLE"}, wantRequeue: 3 * resync},
		{name: "the kubeconfig is unusable", app: testApp(nil), kube: fakeCluster{forErr: errors.New("no server")},
			wantWrites: []string{"status FAILED INVALID_RESOURCE"}, wantRequeue: 3 * resync},
		{name: "new: finalizer, CREATING, applied, RUNNING", app: testApp(nil), kube: fakeCluster{readyPods: 1},
			wantWrites:  []string{"update finalizers=[" + Finalizer + "]", "status CREATING", "status RUNNING"},
			wantActions: []string{"apply deployments/echo", "apply services/echo"}, wantRequeue: resync},
		{name: "new, pods not ready yet: stays CREATING", app: testApp(nil), kube: fakeCluster{readyPods: 0},
			wantWrites:  []string{"update finalizers=[" + Finalizer + "]", "status CREATING", "status CREATING"},
			wantActions: []string{"apply deployments/echo", "apply services/echo"}, wantRequeue: resync},
		{name: "running and unchanged: applies, writes nothing", app: testApp(running), kube: fakeCluster{readyPods: 1},
			wantActions: []string{"apply deployments/echo", "apply services/echo"}, wantRequeue: resync},
		{name: "running, pods lost: DEGRADED", app: testApp(running), kube: fakeCluster{readyPods: 0},
			wantWrites:  []string{"status DEGRADED KUBERNETES_ERROR"},
			wantActions: []string{"apply deployments/echo", "apply services/echo"}, wantRequeue: resync},
		{name: "the cluster refuses the object", app: testApp(running),
			kube:        fakeCluster{applyErr: apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "echo", nil)},
			wantWrites:  []string{"status FAILED INVALID_RESOURCE"},
			wantActions: []string{"apply deployments/echo"}, wantRequeue: 3 * resync},
		{name: "the cluster cannot be reached", app: testApp(running), kube: fakeCluster{applyErr: refused},
			wantWrites:  []string{"status DEGRADED CLUSTER_NOT_REACHABLE"},
			wantActions: []string{"apply deployments/echo"}, wantRequeue: 3 * resync},
		{name: "migrating, the new copy not ready: the old one stays", app: testApp(migratingFromC0), kube: fakeCluster{readyPods: 0},
			wantWrites:  []string{"status MIGRATING", "status MIGRATING"},
			wantActions: []string{"apply deployments/echo", "apply services/echo"}, wantRequeue: time.Second},
		{name: "migrating, the new copy ready: the old one goes, RUNNING", app: testApp(migratingFromC0), kube: fakeCluster{readyPods: 1},
			wantWrites: []string{"status MIGRATING", "status RUNNING"},
			wantActions: []string{"apply deployments/echo", "apply services/echo",
				"delete deployments/echo", "delete services/echo", "delete secrets/" + completeSecretName("echo")}, wantRequeue: resync},
		{name: "deleted: DELETING, objects removed, finalizer released",
			app: testApp(func(a *api.Application) {
				running(a)
				a.Metadata.Deleted = api.NewTimePtr(time.Now())
			}),
			wantWrites:  []string{"status DELETING", "update finalizers=[]"},
			wantActions: []string{"delete deployments/echo", "delete services/echo", "delete secrets/" + completeSecretName("echo")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps, clusters := fakeCache[*api.Application]{}, fakeCache[*api.Cluster]{}
			before := ""
			if tt.app != nil {
				apps["ns/echo"] = tt.app
				before = jsonOf(t, tt.app)
			}
			if !tt.noCluster {
				for _, name := range []string{"c0", "c1"} {
					cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
					cl.Metadata.Namespace, cl.Metadata.Name = "ns", name
					clusters["ns/"+name] = cl
				}
			}
			writer := &recordingWriter{}
			kube := tt.kube
			c := newController(writer, apps, clusters, &kube, Options{Workers: 1, Resync: resync, HookURL: "http://krake"}, slog.New(slog.DiscardHandler))
			ctx, cancel := context.WithCancel(t.Context())
			defer c.observe.wait()
			defer cancel()
			res, err := c.Reconcile(ctx, runtime.Key{Namespace: "ns", Name: "echo"})
			if err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if !slices.Equal(writer.writes, tt.wantWrites) {
				t.Errorf("writes\n  %s\nwant\n  %s", strings.Join(writer.writes, "\n  "), strings.Join(tt.wantWrites, "\n  "))
			}
			if !slices.Equal(kube.actions, tt.wantActions) {
				t.Errorf("cluster actions %v, want %v", kube.actions, tt.wantActions)
			}
			if res.RequeueAfter != tt.wantRequeue {
				t.Errorf("requeue after %s, want %s", res.RequeueAfter, tt.wantRequeue)
			}
			if tt.app != nil && jsonOf(t, tt.app) != before {
				t.Error("Reconcile changed the cached object (it must work on a copy)")
			}
		})
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
