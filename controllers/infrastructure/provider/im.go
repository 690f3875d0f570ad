package provider

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
)

// im talks to an Infrastructure Manager (https://imdocs.readthedocs.io)
// over its REST API, as the original Krake does: the TOSCA template is
// POSTed as YAML, the state polled, the kubeconfig read from the
// infrastructure's outputs. Its Authorization header carries the IM
// credentials and the cloud's, so it is never logged or put in an error.
type im struct {
	base   *url.URL
	auth   string
	name   string // the provider's name, for messages
	client *http.Client
}

func newIM(p *api.InfrastructureProvider, cloud *api.Cloud) (*im, error) {
	spec := p.Spec.IM
	if spec == nil {
		return nil, Errorf(api.ReasonInvalidResource, "infrastructure provider %s has no im settings", p.Metadata.Name)
	}
	base, err := url.Parse(strings.TrimSuffix(spec.URL, "/"))
	if err != nil || base.Host == "" {
		return nil, Errorf(api.ReasonInvalidResource, "infrastructure provider %s: %q is not a URL", p.Metadata.Name, spec.URL)
	}
	imAuth, err := imAuthLine(p)
	if err != nil {
		return nil, err
	}
	cloudAuth, err := cloudAuthLine(cloud)
	if err != nil {
		return nil, err
	}
	// IM's header holds one credential per line; a header cannot hold a
	// newline, so lines are joined by a literal backslash-n (IM's rule).
	return &im{base: base, auth: imAuth + `\n` + cloudAuth, name: p.Metadata.Name,
		client: &http.Client{Timeout: 60 * time.Second}}, nil
}

// authLine is IM's "key = value;key = value" form.
func authLine(pairs ...string) string {
	parts := make([]string, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		parts = append(parts, pairs[i]+" = "+pairs[i+1])
	}
	return strings.Join(parts, ";")
}

func imAuthLine(p *api.InfrastructureProvider) (string, error) {
	spec := p.Spec.IM
	switch {
	case spec.Token != nil && *spec.Token != "":
		return authLine("id", p.Metadata.Name, "token", *spec.Token, "type", "InfrastructureManager"), nil
	case spec.Username != nil && spec.Password != nil:
		return authLine("id", p.Metadata.Name, "username", *spec.Username, "password", *spec.Password, "type", "InfrastructureManager"), nil
	}
	return "", Errorf(api.ReasonInvalidResource, "infrastructure provider %s needs a token, or a username and a password", p.Metadata.Name)
}

func cloudAuthLine(cloud *api.Cloud) (string, error) {
	os := cloud.Spec.Openstack
	if os == nil {
		return "", Errorf(api.ReasonInvalidResource, "the IM provider builds on OpenStack clouds; cloud %s is of type %s", cloud.Metadata.Name, cloud.Spec.Type)
	}
	if os.Auth.Type != "" && os.Auth.Type != "password" {
		return "", Errorf(api.ReasonInvalidResource, "cloud %s: OpenStack authentication %q is not supported (password is)", cloud.Metadata.Name, os.Auth.Type)
	}
	pw := os.Auth.Password
	return authLine("id", cloud.Metadata.Name, "host", os.URL, "auth_version", pw.Version+".x_password",
		"username", pw.User.Username, "password", pw.User.Password, "tenant", pw.Project.Name, "type", "OpenStack"), nil
}

// call sends one request; a 404 is ErrNotFound, any other failure an
// Error with code, naming the call but never the header.
func (p *im) call(ctx context.Context, code api.ReasonCode, method, path string, query url.Values, body []byte, out any) error {
	u := *p.base
	u.Path += path
	u.RawQuery = query.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return Errorf(code, "IM provider %s: %s %s: %v", p.name, method, path, err)
	}
	req.Header.Set("Authorization", p.auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "text/yaml")
	}
	resp, err := p.client.Do(req)
	if err != nil {
		// The error names the URL, which holds no credentials.
		return Errorf(code, "IM provider %s: %s %s: %v", p.name, method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return Errorf(code, "IM provider %s: %s %s: reading the answer: %v", p.name, method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return ErrNotFound
	case resp.StatusCode >= 300:
		return Errorf(code, "IM provider %s: %s %s: %s: %s", p.name, method, path, resp.Status, firstLine(data))
	}
	if out != nil {
		if s, ok := out.(*string); ok {
			*s = string(data)
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return Errorf(code, "IM provider %s: %s %s: the answer is not the JSON IM sends: %v", p.name, method, path, err)
		}
	}
	return nil
}

func firstLine(data []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

func toscaYAML(cl *api.Cluster) ([]byte, error) {
	data, err := yaml.Marshal(cl.Spec.Tosca)
	if err != nil {
		return nil, Errorf(api.ReasonInvalidResource, "cluster %s: its TOSCA template cannot be written as YAML: %v", cl.Metadata.Name, err)
	}
	return data, nil
}

func clusterID(cl *api.Cluster) (string, error) {
	if cl.Status.ClusterID == nil || *cl.Status.ClusterID == "" {
		return "", Errorf(api.ReasonRetrieveFailed, "cluster %s has no infrastructure id yet", cl.Metadata.Name)
	}
	return url.PathEscape(*cl.Status.ClusterID), nil
}

var async = url.Values{"async": {"true"}}

func (p *im) Create(ctx context.Context, cl *api.Cluster) (string, error) {
	body, err := toscaYAML(cl)
	if err != nil {
		return "", err
	}
	var answer string
	if err := p.call(ctx, api.ReasonCreateFailed, http.MethodPost, "/infrastructures", async, body, &answer); err != nil {
		return "", err
	}
	// IM answers the new infrastructure's URI, as text or as {"uri": ...}.
	uri := strings.TrimSpace(answer)
	var asJSON struct {
		URI string `json:"uri"`
	}
	if json.Unmarshal([]byte(uri), &asJSON) == nil && asJSON.URI != "" {
		uri = asJSON.URI
	}
	_, id, ok := strings.Cut(uri, "infrastructures/")
	id = strings.Trim(id, "/ ")
	if !ok || id == "" {
		return "", Errorf(api.ReasonCreateFailed, "IM provider %s: the answer to the create is no infrastructure URI: %s", p.name, firstLine([]byte(answer)))
	}
	return id, nil
}

// imStates maps IM's states to the generic ones
// (https://imdocs.readthedocs.io/en/latest/xmlrpc.html#im-valid-states).
var imStates = map[string]State{
	"pending":      Pending,
	"running":      Creating, // the machines run, their configuration does not yet
	"configured":   Configured,
	"unconfigured": Unconfigured,
	"deleting":     Deleting,
	"unknown":      Failed,
	"stopped":      Failed,
	"off":          Failed,
	"failed":       Failed,
}

func (p *im) State(ctx context.Context, cl *api.Cluster) (State, error) {
	id, err := clusterID(cl)
	if err != nil {
		return "", err
	}
	var answer struct {
		State struct {
			State    string            `json:"state"`
			VMStates map[string]string `json:"vm_states"`
		} `json:"state"`
	}
	if err := p.call(ctx, api.ReasonRetrieveFailed, http.MethodGet, "/infrastructures/"+id+"/state", nil, nil, &answer); err != nil {
		return "", err
	}
	overall := answer.State.State
	if overall == "" {
		return "", Errorf(api.ReasonRetrieveFailed, "IM provider %s: infrastructure %s has an empty state", p.name, *cl.Status.ClusterID)
	}
	// IM's overall state misses a partly failed update: any unconfigured
	// machine makes the whole unconfigured.
	for _, vm := range answer.State.VMStates {
		if vm == "unconfigured" {
			overall = "unconfigured"
		}
	}
	state, ok := imStates[strings.ToLower(overall)]
	if !ok {
		return "", Errorf(api.ReasonRetrieveFailed, "IM provider %s: infrastructure %s has the unknown state %q", p.name, *cl.Status.ClusterID, overall)
	}
	return state, nil
}

func (p *im) Kubeconfig(ctx context.Context, cl *api.Cluster) (map[string]any, error) {
	id, err := clusterID(cl)
	if err != nil {
		return nil, err
	}
	var answer struct {
		Outputs map[string]any `json:"outputs"`
	}
	if err := p.call(ctx, api.ReasonRetrieveFailed, http.MethodGet, "/infrastructures/"+id+"/outputs", nil, nil, &answer); err != nil {
		return nil, err
	}
	text, _ := answer.Outputs["kubeconfig"].(string)
	if text == "" {
		return nil, Errorf(api.ReasonRetrieveFailed, "IM provider %s: infrastructure %s has no kubeconfig output (the template's topology_template.outputs.kubeconfig)", p.name, *cl.Status.ClusterID)
	}
	var kc map[string]any
	if err := yaml.Unmarshal([]byte(text), &kc); err != nil || kc == nil {
		// Not the text itself: it holds the cluster's keys.
		return nil, Errorf(api.ReasonRetrieveFailed, "IM provider %s: the kubeconfig output of infrastructure %s is not YAML", p.name, *cl.Status.ClusterID)
	}
	return kc, nil
}

func (p *im) Reconcile(ctx context.Context, cl *api.Cluster) error {
	id, err := clusterID(cl)
	if err != nil {
		return err
	}
	body, err := toscaYAML(cl)
	if err != nil {
		return err
	}
	return p.call(ctx, api.ReasonReconcileFailed, http.MethodPost, "/infrastructures/"+id, async, body, nil)
}

func (p *im) Reconfigure(ctx context.Context, cl *api.Cluster) error {
	id, err := clusterID(cl)
	if err != nil {
		return err
	}
	return p.call(ctx, api.ReasonReconfigureFailed, http.MethodPut, "/infrastructures/"+id+"/reconfigure", nil, nil, nil)
}

func (p *im) Delete(ctx context.Context, cl *api.Cluster) error {
	id, err := clusterID(cl)
	if err != nil {
		return nil // never created: nothing to delete
	}
	err = p.call(ctx, api.ReasonDeleteFailed, http.MethodDelete, "/infrastructures/"+id, async, nil, nil)
	if IsNotFound(err) {
		return nil
	}
	return err
}

// String names the provider without its credentials (%v of it is safe).
func (p *im) String() string { return fmt.Sprintf("IM provider %s at %s", p.name, p.base) }
