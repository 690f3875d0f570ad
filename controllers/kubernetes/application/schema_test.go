package application

import (
	"testing"

	json "github.com/go-json-experiment/json/v1"
	"github.com/google/go-cmp/cmp"
)

func TestProject(t *testing.T) {
	var manifest, schema, want map[string]any
	for s, v := range map[string]*map[string]any{
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"tier":"gold"}},
		  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"d"}},"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}}}`: &manifest,
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
		  "spec":{"replicas":null,"template":{"spec":{"containers":[{"name":null},{"observer_schema_list_min_length":1,"observer_schema_list_max_length":1}]}}}}`: &schema,
		`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
		  "spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}}}`: &want,
	} {
		if err := json.Unmarshal([]byte(s), v); err != nil {
			t.Fatal(err)
		}
	}
	got, lists := project(manifest, schema)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("projection (-want +got):\n%s", diff)
	}
	if len(lists) != 1 || cmp.Diff([]string{"spec", "template", "spec", "containers"}, lists[0].path) != "" || lists[0].min != 1 || lists[0].max != 1 {
		t.Errorf("observed lists %+v, want the containers, 1..1", lists)
	}
}
