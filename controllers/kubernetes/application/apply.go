package application

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/kubernetes/kubeclient"
	"github.com/krake-go/krake/controllers/runtime"
)

// applyResult is what an apply found: the services' addresses, the pods'
// health, each object's health, and the manifest objects that reached the
// cluster (on an error: those before the failing one).
type applyResult struct {
	services map[string]string
	health   api.ContainerHealth
	objects  []api.ObjectHealth
	applied  []api.RawObject
	// serving counts the pods of the workloads that run until stopped
	// (Deployments, StatefulSets, ReplicaSets): the app is RUNNING when
	// they are all ready. batch is the run-to-completion workloads.
	serving struct{ desired, ready int }
	batch   batchHealth
	// observed is each applied object's observed fields as the cluster
	// answered them (status.last_observed_manifest).
	observed []api.RawObject
}

// batchHealth is what the run-to-completion workloads (Jobs, Pods with
// restartPolicy Never) report.
type batchHealth struct {
	workloads, finished int
	failed              []string // "Job x: why", one per failed workload
}

// apply applies every object, deletes those no longer in the manifest,
// and reads back services and pod health. It changes nothing of app but
// the manifest objects it sends (the hook's variables).
func (c *Controller) apply(ctx context.Context, kube *kubeclient.Clients, key runtime.Key, app *api.Application) (applyResult, error) {
	out := applyResult{services: map[string]string{}, objects: []api.ObjectHealth{}}
	applied := map[string]bool{}
	hooks := hooksFor(app, c.opts.HookURL, c.opts.HookCA)
	hookSecrets := map[string]bool{} // "secret/namespace" the hooks' Secrets are applied in
	for i, raw := range app.Spec.Manifest {
		obj, res, err := c.resourceFor(kube, raw)
		what := describe(obj)
		var refused *refusedKind
		switch {
		case errors.As(err, &refused):
			return out, &invalidObject{index: i, what: what, err: err}
		case err != nil:
			return out, fmt.Errorf("%s: %w", what, err) // discovery failed: retried
		}
		if _, runsPods := podSpecPath(obj); runsPods {
			for _, hook := range hooks {
				if err := c.applyHookSecret(ctx, kube, hook, obj.GetNamespace(), hookSecrets); err != nil {
					return out, err
				}
				if err := hook.inject(obj); err != nil {
					return out, &invalidObject{index: i, what: what, err: err}
				}
			}
		}
		live, err := c.applyObject(ctx, res, obj, raw, app)
		if err != nil {
			if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsNotFound(err) {
				return out, &invalidObject{index: i, what: what, err: err}
			}
			return out, fmt.Errorf("apply %s: %w", what, err)
		}
		out.applied = append(out.applied, raw)
		out.observed = append(out.observed, observedOf(live, obj, app.Spec.ObserverSchema))
		id := identity(obj)
		applied[id] = true
		c.observe.ensure(ctx, key, app.Status.ScheduledTo.Name+"|"+id, res, obj.GetName())
		oh := api.ObjectHealth{Kind: obj.GetKind(), Name: obj.GetName(), Namespace: obj.GetNamespace(), Healthy: true, Status: "applied"}
		switch obj.GetKind() {
		case "Service":
			addrs := serviceAddresses(live, kube.Host)
			for name, addr := range addrs {
				out.services[name] = addr
			}
			if len(addrs) > 0 {
				oh.Status = out.services[obj.GetName()]
			}
		case "Deployment", "StatefulSet", "ReplicaSet":
			desired, _, _ := unstructured.NestedInt64(live.Object, "spec", "replicas")
			ready, _, _ := unstructured.NestedInt64(live.Object, "status", "readyReplicas")
			out.health.DesiredPods += int(desired)
			out.health.RunningPods += int(ready)
			out.serving.desired += int(desired)
			out.serving.ready += int(ready)
			oh.Status, oh.Healthy = fmt.Sprintf("%d/%d ready", ready, desired), ready >= desired
		case "Job":
			oh.Status, oh.Healthy = out.addJob(live)
		case "Pod":
			if policy, _, _ := unstructured.NestedString(live.Object, "spec", "restartPolicy"); policy == "Never" {
				oh.Status, oh.Healthy = out.addBatchPod(live)
			} else {
				oh.Status, oh.Healthy = out.addServingPod(live)
			}
		}
		out.objects = append(out.objects, oh)
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
		if err := res.Delete(ctx, obj.GetName(), cascade); err != nil && !apierrors.IsNotFound(err) {
			return out, fmt.Errorf("delete %s: %w", describe(obj), err)
		}
	}
	return out, nil
}

// addJob counts a Job's pods and whether it finished: complete once its
// completions succeeded, failed once Kubernetes gave up on it (past its
// backoffLimit, or its deadline).
func (r *applyResult) addJob(job *unstructured.Unstructured) (status string, healthy bool) {
	completions, found, _ := unstructured.NestedInt64(job.Object, "spec", "completions")
	if !found {
		completions = 1
	}
	active, _, _ := unstructured.NestedInt64(job.Object, "status", "active")
	succeeded, _, _ := unstructured.NestedInt64(job.Object, "status", "succeeded")
	failedPods, _, _ := unstructured.NestedInt64(job.Object, "status", "failed")
	r.health.DesiredPods += int(completions)
	r.health.RunningPods += int(active)
	r.health.CompletedPods += int(succeeded)
	r.health.FailedPods += int(failedPods)
	r.batch.workloads++
	conditions, _, _ := unstructured.NestedSlice(job.Object, "status", "conditions")
	for _, c := range conditions {
		cond, _ := c.(map[string]any)
		if cond["status"] != "True" {
			continue
		}
		switch cond["type"] {
		case "Failed":
			msg, _ := cond["message"].(string)
			if msg == "" {
				msg, _ = cond["reason"].(string)
			}
			r.batch.failed = append(r.batch.failed, fmt.Sprintf("Job %s failed: %s", job.GetName(), msg))
			return "failed: " + msg, false
		case "Complete":
			r.batch.finished++
			return fmt.Sprintf("%d/%d completed", succeeded, completions), true
		}
	}
	return fmt.Sprintf("%d/%d completed, %d running", succeeded, completions, active), failedPods == 0
}

// addServingPod counts a bare Pod that runs until stopped: ready when
// Kubernetes says so.
func (r *applyResult) addServingPod(pod *unstructured.Unstructured) (status string, healthy bool) {
	r.health.DesiredPods++
	r.serving.desired++
	conditions, _, _ := unstructured.NestedSlice(pod.Object, "status", "conditions")
	for _, c := range conditions {
		if cond, _ := c.(map[string]any); cond["type"] == "Ready" && cond["status"] == "True" {
			r.health.RunningPods++
			r.serving.ready++
			return "ready", true
		}
	}
	phase, _, _ := unstructured.NestedString(pod.Object, "status", "phase")
	return "not ready (" + strings.ToLower(phase) + ")", false
}

// addBatchPod counts a Pod that runs once (restartPolicy Never).
func (r *applyResult) addBatchPod(pod *unstructured.Unstructured) (status string, healthy bool) {
	phase, _, _ := unstructured.NestedString(pod.Object, "status", "phase")
	r.health.DesiredPods++
	r.batch.workloads++
	switch phase {
	case "Succeeded":
		r.health.CompletedPods++
		r.batch.finished++
		return "completed", true
	case "Failed":
		r.health.FailedPods++
		reason, _, _ := unstructured.NestedString(pod.Object, "status", "reason")
		r.batch.failed = append(r.batch.failed, fmt.Sprintf("Pod %s failed: %s", pod.GetName(), reason))
		return "failed: " + reason, false
	case "Running":
		r.health.RunningPods++
	}
	return strings.ToLower(phase), true
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

// refusedKind is a manifest object no cluster call can fix: not an object,
// or a kind the cluster does not serve.
type refusedKind struct{ msg string }

// invalidObject is a manifest object the cluster refuses as such.
type invalidObject struct {
	index int
	what  string
	err   error
}

var secretsResource = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}

func (e *refusedKind) Error() string { return e.msg }

func (e *invalidObject) Error() string {
	return fmt.Sprintf("spec.manifest[%d] %s: %v", e.index, e.what, e.err)
}

// applyHookSecret puts the hook's Secret in namespace, once per pass.
func (c *Controller) applyHookSecret(ctx context.Context, kube *kubeclient.Clients, hook *workloadHook, namespace string, done map[string]bool) error {
	if done[hook.secret+"/"+namespace] {
		return nil
	}
	secret := hook.secretIn(namespace)
	if _, err := kube.Dynamic.Resource(secretsResource).Namespace(namespace).Apply(ctx, secret.GetName(), secret,
		metav1.ApplyOptions{FieldManager: FieldManager, Force: true}); err != nil {
		return fmt.Errorf("apply the hook's Secret %s/%s: %w", namespace, secret.GetName(), err)
	}
	done[hook.secret+"/"+namespace] = true
	return nil
}
