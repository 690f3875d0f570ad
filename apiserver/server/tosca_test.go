package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/server"
	"github.com/krake-go/krake/apiserver/store"
)

const echoTemplate = `tosca_definitions_version: tosca_simple_yaml_1_0
imports: [custom_types]
topology_template:
  node_templates:
    cm:
      type: tosca.nodes.indigo.KubernetesObject
      properties:
        spec: {apiVersion: v1, kind: ConfigMap, metadata: {name: cm}}
`

var appKind = api.MustKind("kubernetes", "Application")

// TestResumeTranslations: an app left TRANSLATING (the server stopped
// during the fetch) is fetched again when a server starts.
func TestResumeTranslations(t *testing.T) {
	templates := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(echoTemplate)) }))
	defer templates.Close()
	st := store.New(etcdClient, store.Options{})
	ns := namespace(t)
	app := api.MustKind("kubernetes", "Application").New().(*api.Application)
	app.Metadata.Namespace, app.Metadata.Name = ns, "left"
	app.Spec.Tosca = api.RawObject(`"` + templates.URL + `/echo.yaml"`)
	app.Status.State = api.StateTranslating
	api.Normalize(appKind, app)
	if _, err := st.Create(t.Context(), appKind, app); err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.Options{Store: st, Version: "test"})
	if err := srv.ResumeTranslations(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv.WaitBackground()
	item, err := st.Get(t.Context(), appKind, ns, "left")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := item.Decode(appKind)
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*api.Application)
	if got.Status.State != api.StatePending || len(got.Spec.Manifest) != 1 {
		t.Errorf("after resuming: %s with %d objects, want PENDING with the template's ConfigMap", got.Status.State, len(got.Spec.Manifest))
	}
}
