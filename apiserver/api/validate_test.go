package api_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
)

const validKubeconfig = `{"apiVersion":"v1","kind":"Config",
 "clusters":[{"name":"c","cluster":{"server":"https://127.0.0.1:6443"}}],
 "users":[{"name":"u","user":{"token":"t"}}],
 "contexts":[{"name":"ctx","context":{"cluster":"c","user":"u"}}],
 "current-context":"ctx"}`

func TestValidate(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		body      string
		wantField string // "" means valid
		wantWord  string
	}{
		{"valid application", "Application", `{"metadata":{"name":"echo-demo","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]}}`, "", ""},
		{"name with upper case and underscore", "Application", `{"metadata":{"name":"Echo_Demo","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]}}`, "", ""},
		{"missing name", "Application", `{"metadata":{"namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]}}`, "metadata.name", "required"},
		{"name ending in a dash", "Application", `{"metadata":{"name":"echo-","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]}}`, "metadata.name", "must start and end"},
		{"name too long", "Role", `{"metadata":{"name":"` + strings.Repeat("a", 256) + `"},"rules":[{"api":"core","resources":["roles"],"verbs":["get"]}]}`, "metadata.name", "at most 255"},
		{"global kind with a namespace", "Role", `{"metadata":{"name":"r","namespace":"x"},"rules":[{"api":"core","resources":["roles"],"verbs":["get"]}]}`, "metadata.namespace", "global kind"},
		{"bad label key", "Application", `{"metadata":{"name":"a","namespace":"ns","labels":{"-bad":"x"}},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]}}`, "metadata.labels", "key"},
		{"bad label value", "Application", `{"metadata":{"name":"a","namespace":"ns","labels":{"ok":"not ok"}},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}]}}`, "metadata.labels.ok", "value"},
		{"empty manifest", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[]}}`, "spec.manifest", "at least one"},
		{"manifest object without kind", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","metadata":{"name":"s"}}]}}`, "spec.manifest[0].kind", "required"},
		{"manifest kind not a string", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":5,"metadata":{"name":"s"}}]}}`, "spec.manifest[0].kind", "required"},
		{"manifest name only inside the template", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"metadata":{"name":"pod"}}},"metadata":{"labels":{"name":"x"}}}]}}`, "spec.manifest[0].metadata.name", "required"},
		{"manifest metadata not an object", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":"s"}]}}`, "spec.manifest[0].metadata.name", "required"},
		{"manifest entry not an object", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}},["Service"]]}}`, "spec.manifest[1]", "must be a Kubernetes object"},
		{"manifest entry null", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[null]}}`, "spec.manifest[0]", "must be a Kubernetes object"},
		{"manifest fields after nested objects", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"spec":{"ports":[{"port":80}],"x":{"kind":"no"}},"metadata":{"annotations":{"a":"b"},"name":"s"},"kind":"Service","apiVersion":"v1"}]}}`, "", ""},
		{"manifest keys with escapes", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","\u006bind":"Service","meta\u0064ata":{"n\u0061me":"s"}}]}}`, "", ""},
		{"manifest escaped key still missing name", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","\u006bind":"Service","metadata":{"\u006eame2":"s"}}]}}`, "spec.manifest[0].metadata.name", "required"},
		{"observer schema entry not an object", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}],"observer_schema":["x"]}}`, "spec.observer_schema[0]", "must be a Kubernetes object"},
		{"observer schema entry without a name", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}],"observer_schema":[{"apiVersion":"v1","kind":"Service","metadata":{}}]}}`, "spec.observer_schema[0].metadata.name", "required"},
		{"observer schema observing replicas", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"a":"b"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}}],"observer_schema":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":null}}]}}`, "", ""},
		{"observer schema with list markers", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"a":"b"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}}],"observer_schema":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"name":null},{"observer_schema_list_min_length":1,"observer_schema_list_max_length":2}]}}}}]}}`, "", ""},
		{"observer schema of an object not in the manifest", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"a":"b"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}}],"observer_schema":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"d"}}]}}`, "spec.observer_schema[0]", "which is not in spec.manifest"},
		{"observer schema of a field the manifest does not set", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"a":"b"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}}],"observer_schema":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"paused":null}}]}}`, "spec.observer_schema[0].spec.paused", "is not set in the manifest"},
		{"observer schema with a value leaf", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"a":"b"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}}],"observer_schema":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":3}}]}}`, "spec.observer_schema[0].spec.replicas", "must be null"},
		{"observer schema marker min above max", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"a":"b"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}}],"observer_schema":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"observer_schema_list_min_length":3,"observer_schema_list_max_length":2}]}}}}]}}`, "spec.observer_schema[0].spec.template.spec.containers[0]", "is more than"},
		{"observer schema marker missing its max", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"a":"b"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}}],"observer_schema":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"observer_schema_list_min_length":1}]}}}}]}}`, "spec.observer_schema[0].spec.template.spec.containers[0].observer_schema_list_max_length", "required"},
		{"observer schema marker the manifest breaks", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"a":"b"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c"}]}}}}],"observer_schema":[{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"template":{"spec":{"containers":[{"observer_schema_list_min_length":2,"observer_schema_list_max_length":3}]}}}}]}}`, "spec.observer_schema[0].spec.template.spec.containers[0]", "outside 2..3"},
		{"bad label constraint", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}],"constraints":{"cluster":{"labels":["location ~ DE"]}}}}`, "spec.constraints.cluster.labels[0]", "unknown operator"},
		{"bad metric constraint", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}],"constraints":{"cluster":{"metrics":["latency < fast"]}}}}`, "spec.constraints.cluster.metrics[0]", "not a number"},
		{"bad custom resource", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}],"constraints":{"cluster":{"custom_resources":["crontabs"]}}}}`, "spec.constraints.cluster.custom_resources[0]", "<plural>.<group>"},
		{"unknown hook", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}],"hooks":["finish"]}}`, "spec.hooks[0]", "unknown hook"},
		{"backoff limit below -1", "Application", `{"metadata":{"name":"a","namespace":"ns"},"spec":{"manifest":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"}}],"backoff_limit":-2}}`, "spec.backoff_limit", "-1"},
		{"valid cluster", "Cluster", `{"metadata":{"name":"c","namespace":"ns"},"spec":{"kubeconfig":` + validKubeconfig + `}}`, "", ""},
		{"cluster without kubeconfig", "Cluster", `{"metadata":{"name":"c","namespace":"ns"},"spec":{}}`, "spec.kubeconfig", "required"},
		{"kubeconfig with two contexts", "Cluster", `{"metadata":{"name":"c","namespace":"ns"},"spec":{"kubeconfig":{"contexts":[{"name":"a","context":{"cluster":"c","user":"u"}},{"name":"b","context":{"cluster":"c","user":"u"}}]}}}`, "spec.kubeconfig.contexts", "exactly one context, found 2"},
		{"kubeconfig with a missing user", "Cluster", `{"metadata":{"name":"c","namespace":"ns"},"spec":{"kubeconfig":{"clusters":[{"name":"c","cluster":{"server":"https://x"}}],"contexts":[{"name":"a","context":{"cluster":"c","user":"u"}}]}}}`, "spec.kubeconfig.users", "no user named"},
		{"metric min not below max", "GlobalMetric", `{"metadata":{"name":"m"},"spec":{"min":2,"max":1,"provider":{"name":"p","metric":"x"}}}`, "spec.min", "less than"},
		{"metric min equal to max", "GlobalMetric", `{"metadata":{"name":"m"},"spec":{"min":1,"max":1,"provider":{"name":"p","metric":"x"}}}`, "spec.min", "less than"},
		{"metric without max", "GlobalMetric", `{"metadata":{"name":"m"},"spec":{"min":1,"provider":{"name":"p","metric":"x"}}}`, "spec.max", "required"},
		{"valid static provider", "GlobalMetricsProvider", `{"metadata":{"name":"p"},"spec":{"type":"static","static":{"metrics":{"a":1}}}}`, "", ""},
		{"unknown provider type", "GlobalMetricsProvider", `{"metadata":{"name":"p"},"spec":{"type":"graphite"}}`, "spec.type", "unknown type"},
		{"provider type without its section", "GlobalMetricsProvider", `{"metadata":{"name":"p"},"spec":{"type":"prometheus"}}`, "spec.prometheus", "required"},
		{"provider with another type's section", "GlobalMetricsProvider", `{"metadata":{"name":"p"},"spec":{"type":"static","static":{"metrics":{}},"prometheus":{"url":"http://x"}}}`, "spec.prometheus", "not allowed"},
		{"prometheus url not http", "GlobalMetricsProvider", `{"metadata":{"name":"p"},"spec":{"type":"prometheus","prometheus":{"url":"ftp://x"}}}`, "spec.prometheus.url", "http"},
		{"kafka without table", "MetricsProvider", `{"metadata":{"name":"p","namespace":"n"},"spec":{"type":"kafka","kafka":{"url":"http://k","comparison_column":"c","value_column":"v"}}}`, "spec.kafka.table", "required"},
		{"role with unknown verb", "Role", `{"metadata":{"name":"r"},"rules":[{"api":"core","resources":["roles"],"verbs":["destroy"]}]}`, "rules[0].verbs[0]", "unknown verb"},
		{"role binding without users (the original accepts it)", "RoleBinding", `{"metadata":{"name":"b"},"roles":["r"]}`, "", ""},
		{"role binding without users or roles", "RoleBinding", `{"metadata":{"name":"b"},"users":[],"roles":[]}`, "", ""},
		{"role binding with a bad role name", "RoleBinding", `{"metadata":{"name":"b"},"roles":["bad-"]}`, "roles[0]", "must start and end"},
		{"role without rules (the original accepts it)", "Role", `{"metadata":{"name":"r"},"rules":[]}`, "", ""},
		{"prometheus url without a scheme (the original accepts it)", "GlobalMetricsProvider", `{"metadata":{"name":"p"},"spec":{"type":"prometheus","prometheus":{"url":"1.2.3.4:9090"}}}`, "", ""},
		{"kafka url without a scheme", "MetricsProvider", `{"metadata":{"name":"p","namespace":"n"},"spec":{"type":"kafka","kafka":{"url":"ksql:8088","table":"t","comparison_column":"c","value_column":"v"}}}`, "", ""},
		{"prometheus url that is no host", "GlobalMetricsProvider", `{"metadata":{"name":"p"},"spec":{"type":"prometheus","prometheus":{"url":"a b:x"}}}`, "spec.prometheus.url", "host:port"},
		{"im provider without url", "GlobalInfrastructureProvider", `{"metadata":{"name":"p"},"spec":{"type":"im","im":{}}}`, "spec.im.url", "required"},
		{"cloud without provider", "GlobalCloud", `{"metadata":{"name":"c"},"spec":{"type":"openstack","openstack":{"url":"https://k","auth":{"type":"password","password":{"user":{"username":"u","password":"p"},"project":{"name":"x"}}}}}}`, "spec.openstack.infrastructure_provider.name", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var k api.Kind
			for _, candidate := range api.Kinds {
				if candidate.Kind == tt.kind {
					k = candidate
				}
			}
			obj, err := k.Decode([]byte(tt.body))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			api.Normalize(k, obj)
			err = api.Validate(k, obj)
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want valid", err)
				}
				return
			}
			var fieldErrs api.FieldErrors
			if !errors.As(err, &fieldErrs) {
				t.Fatalf("Validate = %v, want FieldErrors on %s", err, tt.wantField)
			}
			for _, fe := range fieldErrs {
				if fe.Field == tt.wantField && strings.Contains(fe.Reason, tt.wantWord) {
					return
				}
			}
			t.Errorf("Validate = %v, want field %s with a reason containing %q", err, tt.wantField, tt.wantWord)
		})
	}
}

func TestValidateUpdate_immutableIdentity(t *testing.T) {
	k := api.MustKind("kubernetes", "Application")
	old, updated := k.New(), k.New()
	old.GetMetadata().Name, old.GetMetadata().Namespace = "a", "ns"
	updated.GetMetadata().Name, updated.GetMetadata().Namespace = "b", "other"
	err := api.ValidateUpdate(old, updated)
	if err == nil || !strings.Contains(err.Error(), "metadata.name: is immutable") || !strings.Contains(err.Error(), "metadata.namespace: is immutable") {
		t.Errorf("ValidateUpdate = %v, want both name and namespace reported immutable", err)
	}
}
