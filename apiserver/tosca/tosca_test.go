package tosca_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/tosca"
)

func parse(t testing.TB, doc string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const template = `tosca_definitions_version: tosca_simple_yaml_1_2
imports:
  - ec3_custom_types: https://raw.githubusercontent.com/grycap/ec3/tosca/tosca/custom_types.yaml
topology_template:
  inputs:
    replicas: {type: integer, default: 2}
    port: {type: integer, default: 8080}
  node_templates:
    deployment:
      type: tosca.nodes.indigo.KubernetesObject
      properties:
        replicas: {get_input: replicas}
        spec:
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: echo}
          spec:
            replicas: {get_property: [SELF, replicas]}
            selector: {matchLabels: {app: echo}}
            template:
              metadata: {labels: {app: echo}}
              spec: {containers: [{name: echo, image: registry.k8s.io/echoserver:1.10}]}
    service:
      type: tosca.nodes.indigo.KubernetesObject
      properties:
        spec:
          concat:
            - "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec: {type: NodePort, selector: {app: echo}, ports: [{port: "
            - {get_input: port}
            - "}]}\n"
`

func TestTranslate(t *testing.T) {
	objs, err := tosca.Translate(parse(t, template))
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		parse(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: echo}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: echo}}\n  template:\n    metadata: {labels: {app: echo}}\n    spec: {containers: [{name: echo, image: registry.k8s.io/echoserver:1.10}]}\n"),
		parse(t, "apiVersion: v1\nkind: Service\nmetadata: {name: echo}\nspec: {type: NodePort, selector: {app: echo}, ports: [{port: 8080}]}\n"),
	}
	if diff := cmp.Diff(want, objs); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}
}

func TestTranslate_errors(t *testing.T) {
	for _, tt := range []struct {
		name, doc, want string
	}{
		{"unknown version", "tosca_definitions_version: tosca_2_0\n", `tosca_definitions_version: "tosca_2_0" is not one of`},
		{"no node templates", "tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template: {}\n", "node_templates: required"},
		{"missing type", "tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template:\n  node_templates:\n    x: {type: tosca.nodes.indigo.KubernetesObject, properties: {spec: {kind: ConfigMap}}}\n",
			`node_templates.x.type: type "tosca.nodes.indigo.KubernetesObject" is not declared`},
		{"bad function argument", strings.Replace(template, "{get_input: port}", "{get_input: [port]}", 1), "get_input takes the name of an input"},
		{"unknown input", strings.Replace(template, "{get_input: port}", "{get_input: nope}", 1), `get_input: no input "nope"`},
		{"unknown node", strings.Replace(template, "[SELF, replicas]", "[ghost, replicas]", 1), `get_property: no node template "ghost"`},
		{"input without default", strings.Replace(template, "{type: integer, default: 8080}", "{type: integer}", 1), "inputs.port: has no default"},
		{"spec not YAML", strings.Replace(template, `"}]}\n"`, `"}]]]\n"`, 1), "not a YAML Kubernetes object"},
		{"a property that refers to itself", "tosca_definitions_version: tosca_simple_yaml_1_0\nimports: [x]\ntopology_template:\n  node_templates:\n    x:\n      type: tosca.nodes.indigo.KubernetesObject\n      properties:\n        a: {get_property: [SELF, a]}\n        spec: {get_property: [SELF, a]}\n",
			"functions nest deeper"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tosca.Translate(parse(t, tt.doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
			if _, ok := tosca.AsError(err); !ok {
				t.Errorf("error %v is not a *tosca.Error", err)
			}
		})
	}
}

func FuzzTranslate(f *testing.F) {
	f.Add([]byte(template))
	f.Add([]byte("tosca_definitions_version: tosca_simple_yaml_1_0\ntopology_template: {node_templates: {a: {type: x}}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var doc map[string]any
		if yaml.Unmarshal(data, &doc) != nil || doc == nil {
			return
		}
		objs, err := tosca.Translate(doc) // must not panic or hang
		if err == nil && len(objs) == 0 {
			t.Fatal("no error and no objects")
		}
	})
}
