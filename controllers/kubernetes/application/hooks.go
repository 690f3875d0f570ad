package application

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/krake-go/krake/apiserver/api"
)

// The complete hook lets a workload end its own application: Krake puts a
// token in a Secret next to the workload and gives every container
// KRAKE_COMPLETE_URL and KRAKE_COMPLETE_TOKEN (from the Secret), and the
// token again as KRAKE_TOKEN, the name the original Krake gives it, so
// workloads written for it work unchanged. The workload sends PUT
// $KRAKE_COMPLETE_URL with {"token": "$KRAKE_COMPLETE_TOKEN"}, and Krake
// deletes the application. When the API is served over TLS, the CA
// bundle that verifies it is in the Secret too, mounted into every
// container, with its path in KRAKE_CA_FILE (curl --cacert "$KRAKE_CA_FILE").
const (
	EnvCompleteURL   = "KRAKE_COMPLETE_URL"
	EnvCompleteToken = "KRAKE_COMPLETE_TOKEN"
	EnvToken         = "KRAKE_TOKEN"
	EnvCAFile        = "KRAKE_CA_FILE"
	// completeSecretKey is the Secret's key holding the token.
	completeSecretKey = "token"
	// caSecretKey holds the CA bundle, mounted at caMountPath.
	caSecretKey = "ca.pem"
	caVolume    = "krake-hook-ca"
	caMountPath = "/etc/krake/hook"
)

// The shutdown hook lets a workload hand over its state before Krake
// removes it (on delete, and on a migration, which then removes the old
// copy before applying the new one): every container gets
// KRAKE_SHUTDOWN_URL and KRAKE_SHUTDOWN_TOKEN; Krake calls PUT
// http://<the "shutdown" Service's address>/shutdown and waits for PUT
// $KRAKE_SHUTDOWN_URL with {"token": "$KRAKE_SHUTDOWN_TOKEN"}.
const (
	EnvShutdownURL   = "KRAKE_SHUTDOWN_URL"
	EnvShutdownToken = "KRAKE_SHUTDOWN_TOKEN"
)

// workloadHook is what the controller injects into the workloads for one
// hook of one application.
type workloadHook struct {
	url       string   // where the workload calls back
	token     string   // what it sends
	secret    string   // the Secret's name, in each namespace that runs a workload
	ca        []byte   // PEM bundle verifying the API; nil over plain HTTP
	urlEnv    string   // the variable holding url
	tokenEnvs []string // the variables holding the token (from the Secret)
}

// newHookToken is 256 random bits, hex-encoded.
func newHookToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newCompleteHook(url, token, secret string, ca []byte) *workloadHook {
	return &workloadHook{url: url, token: token, secret: secret, ca: ca, urlEnv: EnvCompleteURL, tokenEnvs: []string{EnvCompleteToken, EnvToken}}
}

// hooksFor are the hooks of app that have a token yet. apiURL is the API
// as the workloads reach it, ca the bundle that verifies it (nil for none).
func hooksFor(app *api.Application, apiURL string, ca []byte) []*workloadHook {
	var out []*workloadHook
	if h := completeHookFor(app, apiURL, ca); h != nil {
		out = append(out, h)
	}
	if slices.Contains(app.Spec.Hooks, api.HookShutdown) && app.Status.ShutdownToken != nil {
		out = append(out, &workloadHook{url: hookURL(apiURL, app, api.SubShutdown), token: *app.Status.ShutdownToken,
			secret: hookSecretName(api.HookShutdown, app.Metadata.Name), ca: ca, urlEnv: EnvShutdownURL, tokenEnvs: []string{EnvShutdownToken}})
	}
	return out
}

// completeHookFor is the complete hook of app, nil when it does not use
// it or has no token yet.
func completeHookFor(app *api.Application, apiURL string, ca []byte) *workloadHook {
	if !slices.Contains(app.Spec.Hooks, api.HookComplete) || app.Status.CompleteToken == nil {
		return nil
	}
	return newCompleteHook(hookURL(apiURL, app, api.SubComplete), *app.Status.CompleteToken, completeSecretName(app.Metadata.Name), ca)
}

// hookURL is the callback of one hook of app.
func hookURL(apiURL string, app *api.Application, sub string) string {
	return strings.TrimRight(apiURL, "/") + "/kubernetes/namespaces/" + url.PathEscape(app.Metadata.Namespace) +
		"/applications/" + url.PathEscape(app.Metadata.Name) + "/" + sub
}

// completeSecretName is the complete hook's Secret of app.
func completeSecretName(app string) string { return hookSecretName(api.HookComplete, app) }

// hookSecretName is a valid Kubernetes name for the Secret of one hook of
// app (application names may hold '_' and upper case; Kubernetes names
// not).
func hookSecretName(hook, app string) string {
	name := "krake-" + hook + "-" + strings.ToLower(strings.ReplaceAll(app, "_", "-"))
	if len(name) > 253 {
		name = name[:253]
	}
	return strings.TrimRight(name, "-.")
}

// secretIn is the hook's Secret in namespace.
func (h *workloadHook) secretIn(namespace string) *unstructured.Unstructured {
	data := map[string]any{completeSecretKey: base64.StdEncoding.EncodeToString([]byte(h.token))}
	if len(h.ca) > 0 {
		data[caSecretKey] = base64.StdEncoding.EncodeToString(h.ca)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata": map[string]any{
			"name":      h.secret,
			"namespace": namespace,
			"labels":    map[string]any{"app.kubernetes.io/managed-by": "krake"},
		},
		"type": "Opaque",
		"data": data,
	}}
}

// podSpecPath is where obj keeps its pod spec; ok is false for kinds that
// run no pods (api.PodSpecPath: only the built-in workload kinds).
func podSpecPath(obj *unstructured.Unstructured) (path []string, ok bool) {
	return api.PodSpecPath(obj.GetAPIVersion(), obj.GetKind())
}

// inject gives every container of a workload the hook's variables (and
// the CA bundle's mount), replacing any of the same name; other kinds are
// left alone.
func (h *workloadHook) inject(obj *unstructured.Unstructured) error {
	specPath, ok := podSpecPath(obj)
	if !ok {
		return nil
	}
	path := append(slices.Clone(specPath), "containers")
	containers, found, err := unstructured.NestedSlice(obj.Object, path...)
	if err != nil {
		return fmt.Errorf("%s %s: containers: %w", obj.GetKind(), obj.GetName(), err)
	}
	if !found {
		return nil // the cluster will say what is missing
	}
	for i, c := range containers {
		container, ok := c.(map[string]any)
		if !ok {
			return fmt.Errorf("%s %s: containers[%d] is not an object", obj.GetKind(), obj.GetName(), i)
		}
		env, _ := container["env"].([]any)
		env = withoutNamed(env, append([]string{h.urlEnv, EnvCAFile}, h.tokenEnvs...)...)
		fromSecret := func(name string) map[string]any {
			return map[string]any{"name": name, "valueFrom": map[string]any{
				"secretKeyRef": map[string]any{"name": h.secret, "key": completeSecretKey},
			}}
		}
		env = append(env, map[string]any{"name": h.urlEnv, "value": h.url})
		for _, name := range h.tokenEnvs {
			env = append(env, fromSecret(name))
		}
		if len(h.ca) > 0 {
			env = append(env, map[string]any{"name": EnvCAFile, "value": caMountPath + "/" + caSecretKey})
			mounts, _ := container["volumeMounts"].([]any)
			container["volumeMounts"] = append(withoutNamed(mounts, caVolume),
				map[string]any{"name": caVolume, "mountPath": caMountPath, "readOnly": true})
		}
		container["env"] = env
		containers[i] = container
	}
	if err := unstructured.SetNestedSlice(obj.Object, containers, path...); err != nil {
		return err
	}
	if len(h.ca) == 0 {
		return nil
	}
	volumesPath := append(slices.Clone(specPath), "volumes")
	volumes, _, err := unstructured.NestedSlice(obj.Object, volumesPath...)
	if err != nil {
		return fmt.Errorf("%s %s: volumes: %w", obj.GetKind(), obj.GetName(), err)
	}
	volumes = append(withoutNamed(volumes, caVolume), map[string]any{"name": caVolume, "secret": map[string]any{
		"secretName": h.secret, "items": []any{map[string]any{"key": caSecretKey, "path": caSecretKey}},
	}})
	return unstructured.SetNestedSlice(obj.Object, volumes, volumesPath...)
}

// withoutNamed is list without the entries (env vars, mounts, volumes)
// of the given names.
func withoutNamed(list []any, names ...string) []any {
	return slices.DeleteFunc(slices.Clone(list), func(e any) bool {
		m, _ := e.(map[string]any)
		name, _ := m["name"].(string)
		return slices.Contains(names, name)
	})
}
