package application

import (
	"encoding/base64"
	"strings"
	"testing"

	json "github.com/go-json-experiment/json/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/krake-go/krake/apiserver/api"
)

func object(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON([]byte(doc)); err != nil {
		t.Fatal(err)
	}
	return obj
}

// envOf returns each container's env, as JSON, at the kind's pod spec.
func envOf(t *testing.T, obj *unstructured.Unstructured) []string {
	t.Helper()
	path, _ := podSpecPath(obj)
	containers, _, err := unstructured.NestedSlice(obj.Object, append(path, "containers")...)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range containers {
		env, _ := json.Marshal(c.(map[string]any)["env"])
		out = append(out, string(env))
	}
	return out
}

func TestCompleteHook_injectsIntoEveryWorkloadContainer(t *testing.T) {
	hook := newCompleteHook("https://krake:8443/kubernetes/namespaces/ns/applications/job/complete", "t0k", "krake-complete-job", nil)
	want := `[{"name":"KRAKE_COMPLETE_URL","value":"https://krake:8443/kubernetes/namespaces/ns/applications/job/complete"},` +
		`{"name":"KRAKE_COMPLETE_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"krake-complete-job"}}},` +
		`{"name":"KRAKE_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"krake-complete-job"}}}]`
	for _, doc := range []string{
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}}}`,
		`{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}}`,
		`{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c"},"spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}}}}`,
		`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]}}`,
		`{"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}}`,
	} {
		obj := object(t, doc)
		if err := hook.inject(obj); err != nil {
			t.Fatalf("%s: %v", obj.GetKind(), err)
		}
		if err := hook.inject(obj); err != nil { // again, as every reconcile does
			t.Fatalf("%s: %v", obj.GetKind(), err)
		}
		for i, env := range envOf(t, obj) {
			if env != want {
				t.Errorf("%s container %d env = %s\nwant %s", obj.GetKind(), i, env, want)
			}
		}
	}
}

func TestCompleteHook_keepsOtherVariablesAndReplacesItsOwn(t *testing.T) {
	hook := newCompleteHook("http://krake/complete", "t", "s", nil)
	obj := object(t, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[
		{"name":"a","env":[{"name":"MODE","value":"batch"},{"name":"KRAKE_COMPLETE_URL","value":"http://stale"}]}]}}}}`)
	if err := hook.inject(obj); err != nil {
		t.Fatal(err)
	}
	env := envOf(t, obj)[0]
	if !strings.HasPrefix(env, `[{"name":"MODE","value":"batch"},{"name":"KRAKE_COMPLETE_URL","value":"http://krake/complete"}`) || strings.Contains(env, "stale") {
		t.Errorf("env = %s: want MODE kept, the stale URL replaced", env)
	}
}

func TestCompleteHook_leavesOtherKindsAlone(t *testing.T) {
	hook := newCompleteHook("u", "t", "s", nil)
	for _, doc := range []string{
		`{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"port":80}]}}`,
		// A custom resource named like a workload is not one.
		`{"apiVersion":"example.com/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"template":{"spec":{"containers":[{"name":"a"}]}}}}`,
	} {
		obj := object(t, doc)
		before, _ := obj.MarshalJSON()
		if err := hook.inject(obj); err != nil {
			t.Fatal(err)
		}
		if after, _ := obj.MarshalJSON(); string(after) != string(before) {
			t.Errorf("%s changed:\n%s\n%s", obj.GetAPIVersion(), before, after)
		}
	}
	obj := object(t, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":["not an object"]}}}}`)
	if err := hook.inject(obj); err == nil || !strings.Contains(err.Error(), "containers[0]") {
		t.Errorf("a malformed container: err = %v, want one naming containers[0]", err)
	}
}

func TestCompleteHookFor(t *testing.T) {
	token := "abc"
	app := &api.Application{Metadata: api.Metadata{Name: "My_Job", Namespace: "system:admin"}}
	app.Spec.Hooks = []string{api.HookComplete}
	if completeHookFor(app, "http://k", nil) != nil {
		t.Error("a hook without a token yet")
	}
	app.Status.CompleteToken = &token
	h := completeHookFor(app, "https://krake.example.com:8443/", nil)
	if h == nil || h.url != "https://krake.example.com:8443/kubernetes/namespaces/system:admin/applications/My_Job/complete" ||
		h.token != "abc" || h.secret != "krake-complete-my-job" {
		t.Errorf("hook = %+v", h)
	}
	app.Spec.Hooks = []string{api.HookShutdown}
	if completeHookFor(app, "http://k", nil) != nil {
		t.Error("a hook for an app without the complete hook")
	}
	if a, b := newHookToken(), newHookToken(); len(a) != 64 || a == b {
		t.Errorf("tokens %q and %q: want 64 hex digits, different each time", a, b)
	}
}

// TestCompleteHook_caBundle: over TLS the hook's Secret carries the CA
// bundle, mounted read-only into every container with KRAKE_CA_FILE
// naming it; a second injection (every reconcile) adds nothing.
func TestCompleteHook_caBundle(t *testing.T) {
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	hook := newCompleteHook("https://krake:8443/c", "t0k", "krake-complete-job", ca)
	secret := hook.secretIn("ns")
	data, _, _ := unstructured.NestedStringMap(secret.Object, "data")
	if got, _ := base64.StdEncoding.DecodeString(data["ca.pem"]); string(got) != string(ca) {
		t.Errorf("secret ca.pem = %q, want the bundle", got)
	}
	obj := object(t, `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"template":{"spec":{
		"volumes":[{"name":"data","emptyDir":{}}],
		"containers":[{"name":"a","volumeMounts":[{"name":"data","mountPath":"/data"}]},{"name":"b"}]}}}}`)
	for range 2 {
		if err := hook.inject(obj); err != nil {
			t.Fatal(err)
		}
	}
	spec, _, _ := unstructured.NestedMap(obj.Object, "spec", "template", "spec")
	raw, _ := json.Marshal(spec)
	want := `{"containers":[` +
		`{"env":[{"name":"KRAKE_COMPLETE_URL","value":"https://krake:8443/c"},{"name":"KRAKE_COMPLETE_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"krake-complete-job"}}},{"name":"KRAKE_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"krake-complete-job"}}},{"name":"KRAKE_CA_FILE","value":"/etc/krake/hook/ca.pem"}],` +
		`"name":"a","volumeMounts":[{"mountPath":"/data","name":"data"},{"mountPath":"/etc/krake/hook","name":"krake-hook-ca","readOnly":true}]},` +
		`{"env":[{"name":"KRAKE_COMPLETE_URL","value":"https://krake:8443/c"},{"name":"KRAKE_COMPLETE_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"krake-complete-job"}}},{"name":"KRAKE_TOKEN","valueFrom":{"secretKeyRef":{"key":"token","name":"krake-complete-job"}}},{"name":"KRAKE_CA_FILE","value":"/etc/krake/hook/ca.pem"}],` +
		`"name":"b","volumeMounts":[{"mountPath":"/etc/krake/hook","name":"krake-hook-ca","readOnly":true}]}],` +
		`"volumes":[{"emptyDir":{},"name":"data"},{"name":"krake-hook-ca","secret":{"items":[{"key":"ca.pem","path":"ca.pem"}],"secretName":"krake-complete-job"}}]}`
	if string(raw) != want {
		t.Errorf("pod spec =\n%s\nwant\n%s", raw, want)
	}
}
