package provider

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
)

// fakeIM answers as the Infrastructure Manager's REST API documents
// (https://imdocs.readthedocs.io/en/latest/REST.html): POST /infrastructures
// answers the new URI, GET .../state {"state": {"state", "vm_states"}},
// GET .../outputs {"outputs": {...}}, POST .../{id} adds resources, PUT
// .../reconfigure, DELETE .../{id}. It records what it was sent.
type fakeIM struct {
	mu       sync.Mutex
	requests []string // "METHOD path?query content-type"
	auth     []string
	bodies   []string
	state    string
	vms      map[string]string
	outputs  map[string]any
	fail     int // answer this status to everything when set
}

func (f *fakeIM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Content-Type"))
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.bodies = append(f.bodies, string(body))
	if f.fail != 0 {
		http.Error(w, "Error: the cloud said no", f.fail)
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/im/infrastructures":
		_, _ = io.WriteString(w, "http://"+r.Host+"/im/infrastructures/0f1e2d3c-uuid")
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/state"):
		if !strings.Contains(r.URL.Path, "0f1e2d3c-uuid") {
			http.Error(w, "Error Getting Inf. state: Invalid infrastructure ID or access not granted.", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		vms := `{}`
		if f.vms != nil {
			data, _ := yaml.Marshal(f.vms)
			js, _ := yaml.YAMLToJSON(data)
			vms = string(js)
		}
		_, _ = io.WriteString(w, `{"state": {"state": "`+f.state+`", "vm_states": `+vms+`}}`)
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/outputs"):
		w.Header().Set("Content-Type", "application/json")
		data, _ := yaml.Marshal(map[string]any{"outputs": f.outputs})
		js, _ := yaml.YAMLToJSON(data)
		_, _ = w.Write(js)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

const imKubeconfig = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]
users: [{name: u, user: {token: sekret-token}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`

func imFixture(t *testing.T, f *fakeIM) (*im, *api.Cluster) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	token := "im-token-42"
	p := &api.InfrastructureProvider{Metadata: api.Metadata{Name: "im-prov"},
		Spec: api.InfrastructureProviderSpec{Type: api.InfrastructureProviderIM, IM: &api.IMSpec{URL: srv.URL + "/im/", Token: &token}}}
	cloud := &api.Cloud{Metadata: api.Metadata{Name: "os1"}, Spec: api.CloudSpec{Type: api.CloudOpenstack, Openstack: &api.OpenstackSpec{
		URL: "https://keystone.example:5000/v3", Auth: api.OpenstackAuth{Type: "password", Password: api.OpenstackPassword{Version: "3",
			User: api.OpenstackUser{Username: "alice", Password: "os-pass-7", DomainName: "Default"}, Project: api.OpenstackProject{Name: "proj"}}}}}}
	prov, err := newIM(p, cloud)
	if err != nil {
		t.Fatal(err)
	}
	cl := &api.Cluster{Metadata: api.Metadata{Name: "big", Namespace: "ns"},
		Spec: api.ClusterSpec{Tosca: map[string]any{"tosca_definitions_version": "tosca_simple_yaml_1_0",
			"topology_template": map[string]any{"node_templates": map[string]any{"wn": map[string]any{"type": "tosca.nodes.indigo.Compute"}}}}}}
	return prov, cl
}

// TestIM_requests: every call is the request IM documents, with the
// header IM's auth-file format makes of the provider's and the cloud's
// credentials.
func TestIM_requests(t *testing.T) {
	f := &fakeIM{state: "configured", outputs: map[string]any{"kubeconfig": imKubeconfig}}
	prov, cl := imFixture(t, f)
	ctx := context.Background()
	id, err := prov.Create(ctx, cl)
	if err != nil || id != "0f1e2d3c-uuid" {
		t.Fatalf("Create = %q, %v", id, err)
	}
	cl.Status.ClusterID = &id
	if state, err := prov.State(ctx, cl); err != nil || state != Configured {
		t.Fatalf("State = %v, %v", state, err)
	}
	kc, err := prov.Kubeconfig(ctx, cl)
	if err != nil || kc["current-context"] != "x" {
		t.Fatalf("Kubeconfig = %v, %v", kc, err)
	}
	if err := prov.Reconcile(ctx, cl); err != nil {
		t.Fatal(err)
	}
	if err := prov.Reconfigure(ctx, cl); err != nil {
		t.Fatal(err)
	}
	if err := prov.Delete(ctx, cl); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"POST /im/infrastructures?async=true text/yaml",
		"GET /im/infrastructures/0f1e2d3c-uuid/state ",
		"GET /im/infrastructures/0f1e2d3c-uuid/outputs ",
		"POST /im/infrastructures/0f1e2d3c-uuid?async=true text/yaml",
		"PUT /im/infrastructures/0f1e2d3c-uuid/reconfigure ",
		"DELETE /im/infrastructures/0f1e2d3c-uuid?async=true ",
	}
	if strings.Join(f.requests, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(f.requests, "\n"), strings.Join(want, "\n"))
	}
	wantAuth := `id = im-prov;token = im-token-42;type = InfrastructureManager\n` +
		`id = os1;host = https://keystone.example:5000/v3;auth_version = 3.x_password;username = alice;password = os-pass-7;tenant = proj;type = OpenStack`
	for i, got := range f.auth {
		if got != wantAuth {
			t.Fatalf("request %d Authorization:\n%s\nwant:\n%s", i, got, wantAuth)
		}
	}
	var sent map[string]any
	if err := yaml.Unmarshal([]byte(f.bodies[0]), &sent); err != nil || sent["tosca_definitions_version"] != "tosca_simple_yaml_1_0" {
		t.Errorf("create body is not the template as YAML: %q (%v)", f.bodies[0], err)
	}
}

// TestIM_states: IM's states map to the generic ones; one unconfigured
// machine makes the whole unconfigured, as the original reads it.
func TestIM_states(t *testing.T) {
	for _, tt := range []struct {
		state string
		vms   map[string]string
		want  State
	}{
		{"pending", nil, Pending},
		{"running", nil, Creating},
		{"configured", map[string]string{"0": "configured", "1": "configured"}, Configured},
		{"running", map[string]string{"0": "running", "1": "unconfigured"}, Unconfigured},
		{"unconfigured", nil, Unconfigured},
		{"stopped", nil, Failed},
		{"off", nil, Failed},
		{"unknown", nil, Failed},
		{"failed", nil, Failed},
		{"deleting", nil, Deleting},
	} {
		prov, cl := imFixture(t, &fakeIM{state: tt.state, vms: tt.vms})
		id := "0f1e2d3c-uuid"
		cl.Status.ClusterID = &id
		if got, err := prov.State(context.Background(), cl); err != nil || got != tt.want {
			t.Errorf("IM %s %v: %v, %v; want %v", tt.state, tt.vms, got, err, tt.want)
		}
	}
}

// TestIM_errors: failures carry the reason code of the call and never a
// credential; a missing infrastructure is ErrNotFound.
func TestIM_errors(t *testing.T) {
	prov, cl := imFixture(t, &fakeIM{fail: http.StatusUnauthorized})
	ctx := context.Background()
	_, err := prov.Create(ctx, cl)
	checkErr(t, err, api.ReasonCreateFailed, "401")
	id := "0f1e2d3c-uuid"
	cl.Status.ClusterID = &id
	checkErr(t, prov.Reconcile(ctx, cl), api.ReasonReconcileFailed, "401")
	checkErr(t, prov.Reconfigure(ctx, cl), api.ReasonReconfigureFailed, "401")
	checkErr(t, prov.Delete(ctx, cl), api.ReasonDeleteFailed, "401")
	_, err = prov.State(ctx, cl)
	checkErr(t, err, api.ReasonRetrieveFailed, "401")

	prov, cl = imFixture(t, &fakeIM{state: "configured", outputs: map[string]any{}})
	other := "gone-id"
	cl.Status.ClusterID = &other
	if _, err := prov.State(ctx, cl); !IsNotFound(err) {
		t.Errorf("State of an unknown id: %v, want ErrNotFound", err)
	}
	cl.Status.ClusterID = &id
	_, err = prov.Kubeconfig(ctx, cl)
	checkErr(t, err, api.ReasonRetrieveFailed, "no kubeconfig output")
	prov, cl = imFixture(t, &fakeIM{outputs: map[string]any{"kubeconfig": "{not: [yaml"}})
	cl.Status.ClusterID = &id
	_, err = prov.Kubeconfig(ctx, cl)
	checkErr(t, err, api.ReasonRetrieveFailed, "not YAML")
	// Without credentials the provider cannot be built.
	p := &api.InfrastructureProvider{Metadata: api.Metadata{Name: "bare"}, Spec: api.InfrastructureProviderSpec{Type: "im", IM: &api.IMSpec{URL: "http://127.0.0.1:1"}}}
	if _, err := newIM(p, &api.Cloud{Spec: api.CloudSpec{Type: "openstack", Openstack: &api.OpenstackSpec{}}}); err == nil {
		t.Error("an IM provider without credentials was built")
	}
	if _, err := newIM(p, &api.Cloud{Spec: api.CloudSpec{Type: "kwok", Kwok: &api.KwokCloudSpec{}}}); err == nil {
		t.Error("an IM provider was built for a kwok cloud")
	}
}

func checkErr(t *testing.T, err error, code api.ReasonCode, contains string) {
	t.Helper()
	reason := ReasonOf(err, -1)
	if err == nil || reason.Code != code || !strings.Contains(err.Error(), contains) {
		t.Errorf("error %v (code %v), want code %v naming %q", err, reason.Code, code, contains)
		return
	}
	for _, secret := range []string{"im-token-42", "os-pass-7", "sekret-token", "Authorization"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q holds %q", err, secret)
		}
	}
}
