package infrastructure

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/infrastructure/provider"
	"github.com/krake-go/krake/controllers/runtime"
)

type fakeClusters map[string]*api.Cluster

func (f fakeClusters) Get(namespace, name string) (*api.Cluster, bool) {
	cl, ok := f[namespace+"/"+name]
	return cl, ok
}

type fakeInfra struct{ clouds map[string]*api.Cloud }

func (f fakeInfra) Cloud(namespace, name string) (*api.Cloud, bool) {
	c, ok := f.clouds[namespace+"/"+name]
	return c, ok
}

func (f fakeInfra) Provider(namespace, name string) (*api.InfrastructureProvider, bool) {
	if name != "kwok" {
		return nil, false
	}
	return &api.InfrastructureProvider{Metadata: api.Metadata{Name: name}, Spec: api.InfrastructureProviderSpec{Type: "kwok", Kwok: &api.KwokProviderSpec{}}}, true
}

// recorder records the controller's writes and the provider calls.
type recorder struct {
	log   []string
	state provider.State
	err   map[string]error // provider call -> its error
}

func (r *recorder) Update(_ context.Context, cl *api.Cluster) (*api.Cluster, error) {
	r.log = append(r.log, fmt.Sprintf("update finalizers=%v kubeconfig=%v", cl.Metadata.Finalizers, len(cl.Spec.Kubeconfig) > 0))
	return cl, nil
}

func (r *recorder) UpdateStatus(_ context.Context, cl *api.Cluster) (*api.Cluster, error) {
	line := "status " + cl.Status.State
	if cl.Status.Reason != nil {
		line += fmt.Sprintf(" %d", cl.Status.Reason.Code)
	}
	if cl.Status.ClusterID != nil {
		line += " id=" + *cl.Status.ClusterID
	}
	r.log = append(r.log, line)
	return cl, nil
}

func (r *recorder) call(name string) error {
	r.log = append(r.log, "provider "+name)
	return r.err[name]
}

func (r *recorder) Create(context.Context, *api.Cluster) (string, error) {
	return "id1", r.call("create")
}
func (r *recorder) State(context.Context, *api.Cluster) (provider.State, error) {
	return r.state, r.call("state")
}
func (r *recorder) Kubeconfig(context.Context, *api.Cluster) (map[string]any, error) {
	return map[string]any{"current-context": "x"}, r.call("kubeconfig")
}
func (r *recorder) Reconcile(context.Context, *api.Cluster) error   { return r.call("reconcile") }
func (r *recorder) Reconfigure(context.Context, *api.Cluster) error { return r.call("reconfigure") }
func (r *recorder) Delete(context.Context, *api.Cluster) error      { return r.call("delete") }

var template = map[string]any{"tosca_definitions_version": "tosca_simple_yaml_1_0", "n": 2.0}

func created(mutate func(*api.Cluster)) *api.Cluster {
	cl := api.MustKind("kubernetes", "Cluster").New().(*api.Cluster)
	cl.Metadata.Namespace, cl.Metadata.Name = "ns", "lab"
	cl.Metadata.Finalizers = []string{Finalizer}
	cl.Spec.Tosca = template
	cl.Status.ScheduledTo = &api.ResourceRef{API: "infrastructure", Kind: "GlobalCloud", Name: "here"}
	if mutate != nil {
		mutate(cl)
	}
	return cl
}

func running(cl *api.Cluster) {
	id := "id1"
	cl.Status.ClusterID, cl.Status.RunningOn, cl.Status.LastAppliedTosca = &id, cl.Status.ScheduledTo, template
}

// TestReconcile_table: each pass takes one step of the lifecycle with the
// provider, and writes only what the step changes.
func TestReconcile_table(t *testing.T) {
	cloud := &api.Cloud{TypeMeta: api.TypeMeta{API: "infrastructure", Kind: "GlobalCloud"}, Metadata: api.Metadata{Name: "here"},
		Spec: api.CloudSpec{Type: "kwok", Kwok: &api.KwokCloudSpec{InfrastructureProvider: api.ProviderRef{Name: "kwok"}}}}
	tests := []struct {
		name    string
		cluster *api.Cluster
		state   provider.State
		err     map[string]error
		want    []string
		requeue bool
	}{
		{name: "not bound yet: the scheduler's turn", cluster: created(func(cl *api.Cluster) { cl.Status.ScheduledTo = nil })},
		{name: "a registered cluster is not ours", cluster: created(func(cl *api.Cluster) { cl.Spec.Tosca = nil })},
		{name: "first the finalizer", cluster: created(func(cl *api.Cluster) { cl.Metadata.Finalizers = nil }),
			want: []string{"update finalizers=[infrastructure_resources_deletion] kubeconfig=false"}},
		{name: "create: CREATING, then the infrastructure is recorded", cluster: created(nil),
			want: []string{"status CREATING", "provider create", "status CREATING id=id1"}, requeue: true},
		{name: "a failed create is FAILED with the provider's reason", cluster: created(nil),
			err:  map[string]error{"create": provider.Errorf(api.ReasonCreateFailed, "no quota")},
			want: []string{"status CREATING", "provider create", "status FAILED 70"}},
		{name: "still building: poll again later, no write", cluster: created(func(cl *api.Cluster) { running(cl); cl.Status.State = api.StateCreating }),
			state: provider.Creating, want: []string{"provider state"}, requeue: true},
		{name: "configured: the kubeconfig, then CONNECTING", cluster: created(func(cl *api.Cluster) { running(cl); cl.Status.State = api.StateCreating }),
			state: provider.Configured, want: []string{"provider state", "provider kubeconfig",
				"update finalizers=[infrastructure_resources_deletion] kubeconfig=true", "status CONNECTING id=id1"}},
		{name: "unconfigured: FAILING_RECONCILIATION", cluster: created(func(cl *api.Cluster) { running(cl); cl.Status.State = api.StateCreating }),
			state: provider.Unconfigured, want: []string{"provider state", "status FAILING_RECONCILIATION 71 id=id1"}, requeue: true},
		{name: "gone behind Krake's back: PENDING, created again next", cluster: created(func(cl *api.Cluster) { running(cl); cl.Status.State = api.StateCreating }),
			err: map[string]error{"state": provider.ErrNotFound}, want: []string{"provider state", "status PENDING 75"}, requeue: true},
		{name: "FAILING_RECONCILIATION with the same template: reconfigure", cluster: created(func(cl *api.Cluster) { running(cl); cl.Status.State = api.StateFailingReconciliation }),
			want: []string{"provider reconfigure", "status RECONCILING id=id1"}, requeue: true},
		{name: "a changed template: RECONCILING", cluster: created(func(cl *api.Cluster) {
			running(cl)
			cl.Status.State = api.StateOnline
			cl.Spec.Tosca = map[string]any{"tosca_definitions_version": "tosca_simple_yaml_1_0", "n": 3.0}
		}), want: []string{"status RECONCILING id=id1", "provider reconcile", "status RECONCILING id=id1"}, requeue: true},
		{name: "handed over and unchanged: nothing", cluster: created(func(cl *api.Cluster) { running(cl); cl.Status.State = api.StateOnline })},
		{name: "deleted, another finalizer last: wait for it", cluster: created(func(cl *api.Cluster) {
			running(cl)
			cl.Metadata.Deleted = api.NewTimePtr(time.Now())
			cl.Metadata.Finalizers = []string{Finalizer, api.FinalizerCascadeDeletion}
		})},
		{name: "deleted, ours last: DELETING, delete, gone, released", cluster: created(func(cl *api.Cluster) {
			running(cl)
			cl.Status.State = api.StateOnline
			cl.Metadata.Deleted = api.NewTimePtr(time.Now())
		}), err: map[string]error{"state": provider.ErrNotFound},
			want: []string{"status DELETING id=id1", "provider delete", "provider state", "update finalizers=[] kubeconfig=false"}},
		{name: "deleted, never created: released at once", cluster: created(func(cl *api.Cluster) { cl.Metadata.Deleted = api.NewTimePtr(time.Now()) }),
			want: []string{"update finalizers=[] kubeconfig=false"}},
		{name: "the cloud is gone: FAILED, INVALID_RESOURCE", cluster: created(func(cl *api.Cluster) { cl.Status.ScheduledTo.Name = "nowhere" }),
			want: []string{"status FAILED 10"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{state: tt.state, err: tt.err}
			opts := Options{PollInterval: 30 * time.Second, Workers: 1, Now: time.Now,
				ProviderFor: func(*api.InfrastructureProvider, *api.Cloud, provider.Options) (provider.Provider, error) {
					return rec, nil
				}}
			c := newController(rec, fakeClusters{"ns/lab": tt.cluster}, fakeInfra{clouds: map[string]*api.Cloud{"/here": cloud}}, opts, slog.New(slog.DiscardHandler))
			res, err := c.Reconcile(context.Background(), runtime.Key{Namespace: "ns", Name: "lab"})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(rec.log, tt.want) {
				t.Errorf("calls:\n got %q\nwant %q", rec.log, tt.want)
			}
			if (res.RequeueAfter > 0) != tt.requeue {
				t.Errorf("requeue after %v, want a requeue: %v", res.RequeueAfter, tt.requeue)
			}
		})
	}
}

// TestReconcile_failurePauses: after a failure the same template is not
// tried again before its pause, which doubles; a new template is tried at
// once.
func TestReconcile_failurePauses(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	rec := &recorder{err: map[string]error{"reconcile": errors.New("the provider said no")}}
	cl := created(func(cl *api.Cluster) {
		running(cl)
		cl.Status.State = api.StateOnline
		cl.Spec.Tosca = map[string]any{"tosca_definitions_version": "tosca_simple_yaml_1_0", "n": 99.0}
	})
	opts := Options{PollInterval: 30 * time.Second, Workers: 1, Now: func() time.Time { return now },
		ProviderFor: func(*api.InfrastructureProvider, *api.Cloud, provider.Options) (provider.Provider, error) {
			return rec, nil
		}}
	cloud := &api.Cloud{Metadata: api.Metadata{Name: "here"}, Spec: api.CloudSpec{Type: "kwok", Kwok: &api.KwokCloudSpec{InfrastructureProvider: api.ProviderRef{Name: "kwok"}}}}
	c := newController(rec, fakeClusters{"ns/lab": cl}, fakeInfra{clouds: map[string]*api.Cloud{"/here": cloud}}, opts, slog.New(slog.DiscardHandler))
	key := runtime.Key{Namespace: "ns", Name: "lab"}
	pass := func() (int, time.Duration) {
		before := len(rec.log)
		res, err := c.Reconcile(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		return len(rec.log) - before, res.RequeueAfter
	}
	if calls, wait := pass(); calls == 0 || wait != minRetry {
		t.Fatalf("first failure: %d calls, pause %v; want calls and %v", calls, wait, minRetry)
	}
	if last := rec.log[len(rec.log)-1]; !strings.HasPrefix(last, "status FAILING_RECONCILIATION") {
		t.Fatalf("after the failure: %q", last)
	}
	cl.Status.State = api.StateFailingReconciliation // as its status write left it
	if calls, _ := pass(); calls != 0 {
		t.Errorf("within the pause: %d calls, want none", calls)
	}
	now = now.Add(minRetry)
	if _, wait := pass(); wait != 2*minRetry {
		t.Errorf("second failure: pause %v, want %v", wait, 2*minRetry)
	}
	cl.Spec.Tosca = template
	if calls, _ := pass(); calls == 0 {
		t.Error("a new template waited for the old one's pause")
	}
}
