// Package application is the Kubernetes application controller: it
// applies a bound application's manifest to its cluster with server-side
// apply (field manager "krake"), removes objects that left the manifest,
// reports services and pod health, and cleans the cluster up on delete.
package application

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/client/informer"
	"github.com/krake-go/krake/controllers/kubernetes/kubeclient"
	"github.com/krake-go/krake/controllers/runtime"
)

// Finalizer the controller holds while objects of the app may exist on a
// cluster.
const Finalizer = "kubernetes_resources_deletion"

// FieldManager is the server-side apply field manager.
const FieldManager = "krake"

// Options tune the controller.
type Options struct {
	Workers int           // default 4
	Resync  time.Duration // how often a running app is checked again; default 10s
	Timeout time.Duration // per Kubernetes request; default 10s
	// HookURL is the Krake API as the workloads reach it, for the complete
	// hook's callback; default: the URL the controller itself uses.
	HookURL string
	// HookCA is the PEM bundle that verifies the API at HookURL, given to
	// the workloads (KRAKE_CA_FILE); nil for none.
	HookCA []byte
}

// Controller deploys applications.
type Controller struct {
	api      *client.Client
	apps     *informer.Informer[*api.Application]
	clusters *informer.Informer[*api.Cluster]
	kube     *kubeclient.Cache
	loop     *runtime.Controller
	observe  *observer
	opts     Options
	log      *slog.Logger
}

// New returns the controller for all namespaces.
func New(c *client.Client, log *slog.Logger, opts Options, inf *runtime.Informers) *Controller {
	if opts.Workers == 0 {
		opts.Workers = 4
	}
	if opts.Resync == 0 {
		opts.Resync = 10 * time.Second
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.HookURL == "" {
		opts.HookURL = c.BaseURL()
	}
	ctrl := &Controller{
		api: c, apps: inf.Apps, clusters: inf.Clusters,
		kube: kubeclient.NewCache(opts.Timeout), opts: opts, log: log,
	}
	ctrl.loop = runtime.New("application", ctrl, opts.Workers, log)
	ctrl.observe = newObserver(ctrl.loop.Enqueue, log)
	ctrl.apps.AddHandler(func(typ string, app *api.Application) {
		if typ != api.Deleted {
			ctrl.loop.Enqueue(runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name})
		}
	})
	// A cluster coming back (or changing credentials) retries its apps.
	ctrl.clusters.AddHandler(func(_ string, cl *api.Cluster) {
		for _, app := range ctrl.apps.List() {
			if ref := app.Status.ScheduledTo; ref != nil && ref.Namespace == cl.Metadata.Namespace && ref.Name == cl.Metadata.Name {
				ctrl.loop.Enqueue(runtime.Key{Namespace: app.Metadata.Namespace, Name: app.Metadata.Name})
			}
		}
	})
	return ctrl
}

// Start runs until ctx ends (the shared informers are started by the caller).
func (c *Controller) Start(ctx context.Context) error {
	defer c.observe.stopAll()
	return c.loop.Start(ctx)
}

// Reconcile brings one application's objects in line with its manifest.
func (c *Controller) Reconcile(ctx context.Context, key runtime.Key) (runtime.Result, error) {
	cached, ok := c.apps.Get(key.Namespace, key.Name)
	if !ok {
		c.observe.forget(key)
		return runtime.Result{}, nil
	}
	app := api.DeepCopy(cached)
	if app.Metadata.Deleted != nil {
		c.observe.forget(key)
		return runtime.Result{}, c.cleanUp(ctx, app)
	}
	if app.Status.ScheduledTo == nil {
		return runtime.Result{}, nil // the scheduler has not chosen yet
	}
	<-c.clusters.Synced()
	ref := app.Status.ScheduledTo
	cluster, ok := c.clusters.Get(ref.Namespace, ref.Name)
	if !ok {
		return c.fail(ctx, app, api.StateFailed, api.ReasonClusterNotReachable, fmt.Sprintf("cluster %s/%s does not exist", ref.Namespace, ref.Name))
	}
	kube, err := c.kube.For(cluster)
	if err != nil {
		return c.fail(ctx, app, api.StateFailed, api.ReasonInvalidResource, err.Error())
	}
	// Hold the finalizer before anything reaches the cluster, so a delete
	// always cleans up what was applied.
	if !slices.Contains(app.Metadata.Finalizers, Finalizer) {
		app.Metadata.Finalizers = append(app.Metadata.Finalizers, Finalizer)
		if app, err = c.api.Applications(key.Namespace).Update(ctx, app, client.WriteOptions{}); err != nil {
			return runtime.Result{}, ignoreNotFound(err)
		}
	}
	// One status write before the apply: the state it starts in, and the
	// complete hook's token, which must exist before a workload can call back.
	newToken := slices.Contains(app.Spec.Hooks, api.HookComplete) && app.Status.CompleteToken == nil
	if newToken {
		token := newHookToken()
		app.Status.CompleteToken = &token
	}
	next := stateBeforeApply(app)
	newState := next != app.Status.State
	if newState {
		app.Status.State, app.Status.Reason = next, nil
	}
	if newState || newToken {
		if app, err = c.api.Applications(key.Namespace).UpdateStatus(ctx, app); err != nil {
			return runtime.Result{}, ignoreNotFound(err)
		}
	}
	services, health, applied, err := c.apply(ctx, kube, key, app)
	if err != nil {
		// What reached the cluster before the failure is recorded, so a
		// delete (or the next pass) cleans it up: nothing stays behind
		// unaccounted for.
		app.Status.LastAppliedManifest = union(app.Status.LastAppliedManifest, applied)
		app.Status.RunningOn = app.Status.ScheduledTo
		var invalid *invalidObject
		if errors.As(err, &invalid) {
			return c.fail(ctx, app, api.StateFailed, api.ReasonInvalidResource, err.Error())
		}
		if isUnreachable(err) {
			return c.fail(ctx, app, api.StateDegraded, api.ReasonClusterNotReachable, err.Error())
		}
		return c.fail(ctx, app, api.StateFailed, api.ReasonKubernetesError, err.Error())
	}
	if migrating(app) {
		// No downtime: the old copy goes only once the new one is ready.
		if health.RunningPods < health.DesiredPods {
			app.Status.ContainerHealth = health
			if !statusEqual(cached.Status, app.Status) {
				if _, err := c.api.Applications(key.Namespace).UpdateStatus(ctx, app); err != nil {
					return runtime.Result{}, ignoreNotFound(err)
				}
			}
			return runtime.Result{RequeueAfter: time.Second}, nil
		}
		if err := c.removeFrom(ctx, app.Status.RunningOn, app); err != nil {
			return runtime.Result{}, err
		}
		c.log.Info("application migrated", "app", key.String(), "from", app.Status.RunningOn.Name, "to", ref.Name)
		app.Status.State = api.StateRunning
	}
	app.Status.State, app.Status.Reason = stateFor(app.Status.State, health)
	if app.Status.State == api.StateRunning {
		app.Status.Retries = 0
	}
	app.Status.RunningOn = app.Status.ScheduledTo
	app.Status.Services = services
	app.Status.ContainerHealth = health
	app.Status.LastAppliedManifest = app.Spec.Manifest
	if !statusEqual(cached.Status, app.Status) {
		if _, err := c.api.Applications(key.Namespace).UpdateStatus(ctx, app); err != nil {
			return runtime.Result{}, ignoreNotFound(err)
		}
		if cached.Status.State != app.Status.State {
			c.log.Info("application state", "app", key.String(), "cluster", ref.Name, "from", cached.Status.State, "to", app.Status.State)
		}
	}
	return runtime.Result{RequeueAfter: c.opts.Resync}, nil
}

// migrating reports a re-bound app: it runs on one cluster and is bound
// to another.
func migrating(app *api.Application) bool {
	on, to := app.Status.RunningOn, app.Status.ScheduledTo
	return on != nil && to != nil && (on.Namespace != to.Namespace || on.Name != to.Name)
}

// stateBeforeApply: a new app is CREATING, a running one whose manifest
// changed is RECONCILING; any other state stays until the apply decides,
// so a failing pass writes nothing and cannot spin on its own events.
func stateBeforeApply(app *api.Application) string {
	applied := len(app.Status.LastAppliedManifest) > 0
	if migrating(app) {
		return api.StateMigrating
	}
	switch st := app.Status.State; {
	case st == api.StatePending, st == api.StateDegraded && !applied:
		// New, or waiting for a cluster until now (the scheduler's back-off).
		return api.StateCreating
	case st == api.StateFailed && !sameManifest(app.Spec.Manifest, app.Status.LastObservedManifest):
		// The user changed the manifest after a failure: start over.
		if applied {
			return api.StateReconciling
		}
		return api.StateCreating
	case (st == api.StateRunning || st == api.StateDegraded) && applied &&
		!sameManifest(app.Spec.Manifest, app.Status.LastAppliedManifest):
		return api.StateReconciling
	default:
		return st
	}
}

// stateFor decides the state once every object is applied: RUNNING when
// the workloads' pods are ready; until then an app being created or
// reconciled keeps that state, and one that ran is DEGRADED.
func stateFor(previous string, health api.ContainerHealth) (string, *api.Reason) {
	if health.RunningPods >= health.DesiredPods {
		return api.StateRunning, nil
	}
	msg := fmt.Sprintf("%d of %d pods ready", health.RunningPods, health.DesiredPods)
	switch previous {
	case api.StateCreating, api.StateReconciling:
		return previous, nil
	}
	return api.StateDegraded, &api.Reason{Code: api.ReasonKubernetesError, Message: msg}
}

// refusedKind is a manifest object no cluster call can fix: not an object,
// or a kind the cluster does not serve.
type refusedKind struct{ msg string }

func (e *refusedKind) Error() string { return e.msg }

// invalidObject is a manifest object the cluster refuses as such.
type invalidObject struct {
	index int
	what  string
	err   error
}

func (e *invalidObject) Error() string {
	return fmt.Sprintf("spec.manifest[%d] %s: %v", e.index, e.what, e.err)
}

// apply applies every object, deletes those no longer in the manifest,
// and reads back services and pod health.
// It also returns the manifest objects that reached the cluster, which on
// an error are the ones before the failing object.
func (c *Controller) apply(ctx context.Context, kube *kubeclient.Clients, key runtime.Key, app *api.Application) (map[string]string, api.ContainerHealth, []api.RawObject, error) {
	services := map[string]string{}
	var health api.ContainerHealth
	app.Status.Objects = []api.ObjectHealth{}
	applied := map[string]bool{}
	var done []api.RawObject
	hook := completeHookFor(app, c.opts.HookURL, c.opts.HookCA)
	hookSecrets := map[string]bool{} // namespaces that have the hook's Secret
	for i, raw := range app.Spec.Manifest {
		obj, res, err := c.resourceFor(kube, raw)
		what := describe(obj)
		var refused *refusedKind
		switch {
		case errors.As(err, &refused):
			return nil, health, done, &invalidObject{index: i, what: what, err: err}
		case err != nil:
			return nil, health, done, fmt.Errorf("%s: %w", what, err) // discovery failed: retried
		}
		if _, runsPods := podSpecPath(obj); hook != nil && runsPods {
			if ns := obj.GetNamespace(); !hookSecrets[ns] {
				secret := hook.secretIn(ns)
				if _, err := kube.Dynamic.Resource(secretsResource).Namespace(ns).Apply(ctx, secret.GetName(), secret,
					metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
					return nil, health, done, fmt.Errorf("apply the complete hook's Secret %s/%s: %w", ns, secret.GetName(), err)
				}
				hookSecrets[ns] = true
			}
			if err := hook.inject(obj); err != nil {
				return nil, health, done, &invalidObject{index: i, what: what, err: err}
			}
		}
		out, err := res.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		if err != nil {
			if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsNotFound(err) {
				return nil, health, done, &invalidObject{index: i, what: what, err: err}
			}
			return nil, health, done, fmt.Errorf("apply %s: %w", what, err)
		}
		done = append(done, raw)
		id := identity(obj)
		applied[id] = true
		c.observe.ensure(key, app.Status.ScheduledTo.Name+"|"+id, res, obj.GetName())
		oh := api.ObjectHealth{Kind: obj.GetKind(), Name: obj.GetName(), Namespace: obj.GetNamespace(), Healthy: true, Status: "applied"}
		switch obj.GetKind() {
		case "Service":
			addrs := serviceAddresses(out, kube.Host)
			for name, addr := range addrs {
				services[name] = addr
			}
			if len(addrs) > 0 {
				oh.Status = services[obj.GetName()]
			}
		case "Deployment", "StatefulSet", "ReplicaSet":
			desired, _, _ := unstructured.NestedInt64(out.Object, "spec", "replicas")
			ready, _, _ := unstructured.NestedInt64(out.Object, "status", "readyReplicas")
			health.DesiredPods += int(desired)
			health.RunningPods += int(ready)
			oh.Status, oh.Healthy = fmt.Sprintf("%d/%d ready", ready, desired), ready >= desired
		}
		app.Status.Objects = append(app.Status.Objects, oh)
	}
	watched := map[string]bool{}
	for id := range applied {
		watched[app.Status.ScheduledTo.Name+"|"+id] = true
	}
	c.observe.retain(key, watched)
	// Objects that left the manifest leave the cluster.
	for _, raw := range app.Status.LastAppliedManifest {
		obj, res, err := c.resourceFor(kube, raw)
		if err != nil || applied[identity(obj)] {
			continue
		}
		if err := res.Delete(ctx, obj.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return nil, health, done, fmt.Errorf("delete %s: %w", describe(obj), err)
		}
	}
	return services, health, done, nil
}

// union is a followed by the objects of b that a lacks (by JSON).
func union(a, b []api.RawObject) []api.RawObject {
	out := slices.Clone(a)
	for _, obj := range b {
		if !slices.ContainsFunc(out, func(x api.RawObject) bool { return string(x) == string(obj) }) {
			out = append(out, obj)
		}
	}
	return out
}

// resourceFor decodes a manifest object and finds its API resource,
// defaulting the namespace of namespaced kinds.
func (c *Controller) resourceFor(kube *kubeclient.Clients, raw api.RawObject) (*unstructured.Unstructured, dynamic.ResourceInterface, error) {
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(raw); err != nil {
		return obj, nil, &refusedKind{fmt.Sprintf("not a Kubernetes object: %v", err)}
	}
	gvk := obj.GroupVersionKind()
	mapping, err := kube.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		kube.Mapper.Reset() // a CRD may have appeared since discovery ran
		mapping, err = kube.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		if meta.IsNoMatchError(err) {
			return obj, nil, &refusedKind{fmt.Sprintf("the cluster does not serve kind %s in %s", gvk.Kind, gvk.GroupVersion())}
		}
		return obj, nil, err
	}
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			obj.SetNamespace(kube.Namespace)
		}
		return obj, kube.Dynamic.Resource(mapping.Resource).Namespace(obj.GetNamespace()), nil
	}
	return obj, kube.Dynamic.Resource(mapping.Resource), nil
}

func describe(obj *unstructured.Unstructured) string {
	if obj == nil {
		return "object"
	}
	return fmt.Sprintf("%s %s", obj.GetKind(), obj.GetName())
}

func identity(obj *unstructured.Unstructured) string {
	gvk := obj.GroupVersionKind()
	return schema.GroupKind{Group: gvk.Group, Kind: gvk.Kind}.String() + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

// serviceAddresses are `<cluster API host>:<nodePort>` per NodePort
// service port, and the load balancer's address when one is assigned.
func serviceAddresses(svc *unstructured.Unstructured, host string) map[string]string {
	out := map[string]string{}
	typ, _, _ := unstructured.NestedString(svc.Object, "spec", "type")
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if typ == "LoadBalancer" {
		ingress, _, _ := unstructured.NestedSlice(svc.Object, "status", "loadBalancer", "ingress")
		if len(ingress) > 0 && len(ports) > 0 {
			in, _ := ingress[0].(map[string]any)
			p, _ := ports[0].(map[string]any)
			addr, _ := in["ip"].(string)
			if addr == "" {
				addr, _ = in["hostname"].(string)
			}
			if addr != "" {
				out[svc.GetName()] = fmt.Sprintf("%s:%v", addr, p["port"])
				return out
			}
		}
	}
	if typ != "NodePort" && typ != "LoadBalancer" {
		return out
	}
	for i, p := range ports {
		pm, _ := p.(map[string]any)
		nodePort, ok := pm["nodePort"]
		if !ok {
			continue
		}
		name := svc.GetName()
		if i > 0 {
			name = fmt.Sprintf("%s/%v", name, pm["name"])
		}
		out[name] = fmt.Sprintf("%s:%v", host, nodePort)
	}
	return out
}

// cleanUp removes the application's objects from its cluster, then its
// finalizer; the record leaves once no finalizer is left.
func (c *Controller) cleanUp(ctx context.Context, app *api.Application) error {
	if !slices.Contains(app.Metadata.Finalizers, Finalizer) {
		return nil
	}
	if app.Status.State != api.StateDeleting {
		app.Status.State = api.StateDeleting
		updated, err := c.api.Applications(app.Metadata.Namespace).UpdateStatus(ctx, app)
		if err != nil {
			return ignoreNotFound(err)
		}
		app = updated
	}
	// Both clusters of a migration may hold objects.
	for _, ref := range []*api.ResourceRef{app.Status.RunningOn, app.Status.ScheduledTo} {
		if err := c.removeFrom(ctx, ref, app); err != nil {
			return err
		}
	}
	app.Metadata.Finalizers = slices.DeleteFunc(app.Metadata.Finalizers, func(f string) bool { return f == Finalizer })
	_, err := c.api.Applications(app.Metadata.Namespace).Update(ctx, app, client.WriteOptions{})
	if err == nil {
		c.log.Info("application removed from its cluster", "app", app.Metadata.Namespace+"/"+app.Metadata.Name)
	}
	return ignoreNotFound(err)
}

// removeFrom deletes the objects of app's last applied manifest, and the
// complete hook's Secrets, from the cluster ref names (nothing when ref is
// nil or the cluster is gone).
func (c *Controller) removeFrom(ctx context.Context, ref *api.ResourceRef, app *api.Application) error {
	if ref == nil {
		return nil
	}
	<-c.clusters.Synced()
	cluster, ok := c.clusters.Get(ref.Namespace, ref.Name)
	if !ok {
		return nil
	}
	kube, err := c.kube.For(cluster)
	if err != nil {
		return err
	}
	workloadNamespaces := map[string]bool{}
	for _, raw := range app.Status.LastAppliedManifest {
		obj, res, err := c.resourceFor(kube, raw)
		if err != nil {
			continue
		}
		if _, runsPods := podSpecPath(obj); runsPods {
			workloadNamespaces[obj.GetNamespace()] = true
		}
		if err := res.Delete(ctx, obj.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s from cluster %s: %w", describe(obj), ref.Name, err)
		}
	}
	// Whether or not the hook is still enabled: it may have been before.
	secret := completeSecretName(app.Metadata.Name)
	for ns := range workloadNamespaces {
		err := kube.Dynamic.Resource(secretsResource).Namespace(ns).Delete(ctx, secret, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete the complete hook's Secret %s/%s from cluster %s: %w", ns, secret, ref.Name, err)
		}
	}
	return nil
}

var secretsResource = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

// fail records a failure in the status, where the user reads it.
func (c *Controller) fail(ctx context.Context, app *api.Application, state string, code api.ReasonCode, msg string) (runtime.Result, error) {
	if app.Status.State != state || app.Status.Reason == nil || app.Status.Reason.Message != msg ||
		!sameManifest(app.Spec.Manifest, app.Status.LastObservedManifest) {
		app.Status.State = state
		app.Status.Reason = &api.Reason{Code: code, Message: msg}
		app.Status.LastObservedManifest = app.Spec.Manifest // what failed, to try again only when it changes
		if _, err := c.api.Applications(app.Metadata.Namespace).UpdateStatus(ctx, app); err != nil {
			return runtime.Result{}, ignoreNotFound(err)
		}
		c.log.Info("application failed", "app", app.Metadata.Namespace+"/"+app.Metadata.Name, "state", state, "reason", msg)
	}
	// Retry later: the cluster or the manifest may change.
	return runtime.Result{RequeueAfter: 3 * c.opts.Resync}, nil
}

func sameManifest(a, b []api.RawObject) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func statusEqual(a, b api.ApplicationStatus) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func ignoreNotFound(err error) error {
	if client.IsNotFound(err) {
		return nil
	}
	return err
}

func isUnreachable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "connection refused") || strings.Contains(msg, "i/o timeout") ||
		strings.Contains(msg, "no such host") || strings.Contains(msg, "context deadline exceeded")
}
