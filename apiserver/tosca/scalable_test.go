package tosca

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestScalableCount(t *testing.T) {
	tests := []struct {
		name, doc string
		count     int
		found     bool
		err       string
	}{
		{name: "inputs feed the count, summed over node templates", doc: `
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  inputs: {workers: {type: integer, default: 3}}
  node_templates:
    front: {type: tosca.nodes.Compute, capabilities: {scalable: {properties: {count: 1}}}}
    wn: {type: tosca.nodes.Compute, capabilities: {scalable: {properties: {count: {get_input: workers}}}}}`,
			count: 4, found: true},
		{name: "no count anywhere", doc: `
tosca_definitions_version: tosca_simple_yaml_1_2
topology_template: {node_templates: {k: {type: tosca.nodes.Compute}}}`},
		{name: "a count that is not a whole number", doc: `
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template: {node_templates: {wn: {type: x, capabilities: {scalable: {properties: {count: 1.5}}}}}}`,
			err: "node_templates.wn.capabilities.scalable.properties.count: must be a whole number"},
		{name: "an input without a default", doc: `
tosca_definitions_version: tosca_simple_yaml_1_0
topology_template:
  inputs: {size: {type: integer}}
  node_templates: {wn: {type: x, capabilities: {scalable: {properties: {count: {get_input: size}}}}}}`,
			err: "topology_template.inputs.size: has no default"},
		{name: "not TOSCA", doc: `{apiVersion: v1}`, err: "tosca_definitions_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(tt.doc), &doc); err != nil {
				t.Fatal(err)
			}
			count, found, err := ScalableCount(doc)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one naming %q", err, tt.err)
				}
				return
			}
			if err != nil || count != tt.count || found != tt.found {
				t.Errorf("= %d, %v, %v; want %d, %v", count, found, err, tt.count, tt.found)
			}
		})
	}
}
