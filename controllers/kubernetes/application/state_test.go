package application

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/krake-go/krake/apiserver/api"
)

func TestStateBeforeApply(t *testing.T) {
	v1 := api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "a"}})
	v2 := api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "b"}})
	tests := []struct {
		name              string
		state             string
		manifest, applied []api.RawObject
		observed          []api.RawObject
		want              string
	}{
		{"new app is created", api.StatePending, v1, nil, nil, api.StateCreating},
		{"running app with the same manifest stays", api.StateRunning, v1, v1, nil, api.StateRunning},
		{"running app with a new manifest reconciles", api.StateRunning, v2, v1, nil, api.StateReconciling},
		{"degraded app with a new manifest reconciles", api.StateDegraded, v2, v1, nil, api.StateReconciling},
		{"failed app with the manifest that failed stays failed", api.StateFailed, v1, nil, v1, api.StateFailed},
		{"failed app with a changed manifest starts over", api.StateFailed, v2, nil, v1, api.StateCreating},
		{"failed app with applied objects and a changed manifest reconciles", api.StateFailed, v2, v1, v1, api.StateReconciling},
		{"creating app stays creating", api.StateCreating, v1, nil, nil, api.StateCreating},
		{"app that waited for a cluster is created", api.StateDegraded, v1, nil, nil, api.StateCreating},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &api.Application{Spec: api.ApplicationSpec{Manifest: tt.manifest},
				Status: api.ApplicationStatus{State: tt.state, LastAppliedManifest: tt.applied, FailedManifest: tt.observed}}
			if got := stateBeforeApply(app); got != tt.want {
				t.Errorf("stateBeforeApply(%s) = %s, want %s", tt.state, got, tt.want)
			}
		})
	}
}

func TestStateFor(t *testing.T) {
	tests := []struct {
		name       string
		previous   string
		health     api.ContainerHealth
		want       string
		wantReason string
	}{
		{"all pods ready", api.StateCreating, api.ContainerHealth{DesiredPods: 2, RunningPods: 2}, api.StateRunning, ""},
		{"no workloads", api.StateCreating, api.ContainerHealth{}, api.StateRunning, ""},
		{"creating waits for pods", api.StateCreating, api.ContainerHealth{DesiredPods: 2, RunningPods: 1}, api.StateCreating, ""},
		{"reconciling waits for pods", api.StateReconciling, api.ContainerHealth{DesiredPods: 2}, api.StateReconciling, ""},
		{"running app losing pods degrades", api.StateRunning, api.ContainerHealth{DesiredPods: 3, RunningPods: 1}, api.StateDegraded, "1 of 3 pods ready"},
		{"degraded app recovering runs", api.StateDegraded, api.ContainerHealth{DesiredPods: 3, RunningPods: 3}, api.StateRunning, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := stateFor(tt.previous, tt.health)
			msg := ""
			if reason != nil {
				msg = reason.Message
			}
			if got != tt.want || msg != tt.wantReason {
				t.Errorf("stateFor(%s, %+v) = %s %q, want %s %q", tt.previous, tt.health, got, msg, tt.want, tt.wantReason)
			}
		})
	}
}

func TestServiceAddresses(t *testing.T) {
	svc := func(typ string, status map[string]any, ports ...map[string]any) *unstructured.Unstructured {
		list := make([]any, len(ports))
		for i, p := range ports {
			list[i] = p
		}
		return &unstructured.Unstructured{Object: map[string]any{
			"metadata": map[string]any{"name": "echo"},
			"spec":     map[string]any{"type": typ, "ports": list},
			"status":   status,
		}}
	}
	tests := []struct {
		name string
		svc  *unstructured.Unstructured
		want map[string]string
	}{
		{"node port", svc("NodePort", nil, map[string]any{"port": int64(8080), "nodePort": int64(30080)}), map[string]string{"echo": "10.0.0.5:30080"}},
		{"two node ports", svc("NodePort", nil, map[string]any{"name": "http", "nodePort": int64(30080)}, map[string]any{"name": "metrics", "nodePort": int64(30090)}),
			map[string]string{"echo": "10.0.0.5:30080", "echo/metrics": "10.0.0.5:30090"}},
		{"cluster IP has no address", svc("ClusterIP", nil, map[string]any{"port": int64(80)}), map[string]string{}},
		{"load balancer with an address", svc("LoadBalancer", map[string]any{"loadBalancer": map[string]any{"ingress": []any{map[string]any{"ip": "203.0.113.7"}}}},
			map[string]any{"port": int64(80), "nodePort": int64(31000)}), map[string]string{"echo": "203.0.113.7:80"}},
		{"load balancer still pending uses the node port", svc("LoadBalancer", nil, map[string]any{"port": int64(80), "nodePort": int64(31000)}),
			map[string]string{"echo": "10.0.0.5:31000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := serviceAddresses(tt.svc, "10.0.0.5")
			if len(got) != len(tt.want) {
				t.Fatalf("serviceAddresses = %v, want %v", got, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("serviceAddresses = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestStateAfterApply(t *testing.T) {
	job := func(completions, active, succeeded int64, condition string) *unstructured.Unstructured {
		obj := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "batch/v1", "kind": "Job",
			"metadata": map[string]any{"name": "work"},
			"spec":     map[string]any{"completions": completions},
			"status":   map[string]any{"active": active, "succeeded": succeeded}}}
		if condition != "" {
			obj.Object["status"].(map[string]any)["conditions"] = []any{map[string]any{"type": condition, "status": "True", "message": "BackoffLimitExceeded"}}
		}
		return obj
	}
	pod := func(phase string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "once"},
			"spec": map[string]any{"restartPolicy": "Never"}, "status": map[string]any{"phase": phase, "reason": "Error"}}}
	}
	servingPod := func(ready bool) *unstructured.Unstructured {
		status := "False"
		if ready {
			status = "True"
		}
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "web"},
			"spec": map[string]any{"restartPolicy": "Always"}, "status": map[string]any{"phase": "Running",
				"conditions": []any{map[string]any{"type": "Ready", "status": status}}}}}
	}
	tests := []struct {
		name       string
		jobs       []*unstructured.Unstructured
		pods       []*unstructured.Unstructured
		deployment bool
		want       string
		wantReason string
		wantHealth api.ContainerHealth
	}{
		{name: "a Job running: RUNNING", jobs: []*unstructured.Unstructured{job(3, 1, 1, "")}, want: api.StateRunning,
			wantHealth: api.ContainerHealth{DesiredPods: 3, RunningPods: 1, CompletedPods: 1}},
		{name: "every Job complete: COMPLETED", jobs: []*unstructured.Unstructured{job(2, 0, 2, "Complete"), job(1, 0, 1, "Complete")},
			want: api.StateCompleted, wantHealth: api.ContainerHealth{DesiredPods: 3, CompletedPods: 3}},
		{name: "a Job failed: FAILED with why", jobs: []*unstructured.Unstructured{job(1, 0, 0, "Failed")},
			want: api.StateFailed, wantReason: "Job work failed: BackoffLimitExceeded", wantHealth: api.ContainerHealth{DesiredPods: 1}},
		{name: "a Pod that runs once succeeded: COMPLETED", pods: []*unstructured.Unstructured{pod("Succeeded")},
			want: api.StateCompleted, wantHealth: api.ContainerHealth{DesiredPods: 1, CompletedPods: 1}},
		{name: "a Pod that runs once failed: FAILED", pods: []*unstructured.Unstructured{pod("Failed")},
			want: api.StateFailed, wantReason: "Pod once failed: Error", wantHealth: api.ContainerHealth{DesiredPods: 1, FailedPods: 1}},
		{name: "a bare Pod that runs until stopped, not ready: not RUNNING yet", pods: []*unstructured.Unstructured{servingPod(false)},
			want: api.StateCreating, wantHealth: api.ContainerHealth{DesiredPods: 1}},
		{name: "a bare Pod that runs until stopped, ready: RUNNING", pods: []*unstructured.Unstructured{servingPod(true)},
			want: api.StateRunning, wantHealth: api.ContainerHealth{DesiredPods: 1, RunningPods: 1}},
		{name: "a complete Job beside a Deployment: the Deployment decides", jobs: []*unstructured.Unstructured{job(1, 0, 1, "Complete")},
			deployment: true, want: api.StateRunning, wantHealth: api.ContainerHealth{DesiredPods: 3, RunningPods: 2, CompletedPods: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var found applyResult
			for _, j := range tt.jobs {
				found.addJob(j)
			}
			for _, p := range tt.pods {
				if policy, _, _ := unstructured.NestedString(p.Object, "spec", "restartPolicy"); policy == "Never" {
					found.addBatchPod(p)
				} else {
					found.addServingPod(p)
				}
			}
			if tt.deployment {
				found.serving.desired, found.serving.ready = 2, 2
				found.health.DesiredPods += 2
				found.health.RunningPods += 2
			}
			got, reason := stateAfterApply(api.StateCreating, found)
			msg := ""
			if reason != nil {
				msg = reason.Message
			}
			if got != tt.want || msg != tt.wantReason {
				t.Errorf("state %s %q, want %s %q", got, msg, tt.want, tt.wantReason)
			}
			if found.health != tt.wantHealth {
				t.Errorf("container health %+v, want %+v", found.health, tt.wantHealth)
			}
		})
	}
}
