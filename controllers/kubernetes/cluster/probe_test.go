package cluster

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/controllers/kubernetes/kubeclient"
)

// A narrow test of the state rules against a stand-in Kubernetes API; the
// e2e tests prove ONLINE, OFFLINE and NOTREADY against real clusters.
func TestProbe(t *testing.T) {
	readyNode := `{"metadata":{"name":"n1"},"status":{"conditions":[{"type":"Ready","status":"True"}]}}`
	notReadyNode := `{"metadata":{"name":"n2"},"status":{"conditions":[{"type":"Ready","status":"False","reason":"KubeletNotReady"}]}}`
	tests := []struct {
		name      string
		readyz    int
		nodes     string
		down      bool
		wantState string
		wantCode  api.ReasonCode
		wantMsg   string
	}{
		{"healthy", 200, readyNode, false, api.StateOnline, 0, ""},
		{"readyz failing", 500, readyNode, false, api.StateUnhealthy, api.ReasonClusterNotReachable, "/readyz"},
		{"a node not ready", 200, readyNode + "," + notReadyNode, false, api.StateNotReady, api.ReasonClusterNotReachable, "n2"},
		{"no nodes", 200, "", false, api.StateNotReady, api.ReasonClusterNotReachable, "no nodes"},
		{"unreachable", 200, readyNode, true, api.StateOffline, api.ReasonClusterNotReachable, "does not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/readyz":
					w.WriteHeader(tt.readyz)
					if tt.readyz == 200 {
						_, _ = w.Write([]byte("ok"))
					} else {
						_, _ = w.Write([]byte("[-]etcd failed"))
					}
				case "/api/v1/nodes":
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write([]byte(`{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[` + tt.nodes + `]}`))
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			server := srv.URL
			if tt.down {
				l, _ := net.Listen("tcp", "127.0.0.1:0")
				server = "http://" + l.Addr().String()
				l.Close()
			}
			cluster := &api.Cluster{Metadata: api.Metadata{Name: "c", Namespace: "ns"}, Spec: api.ClusterSpec{Kubeconfig: map[string]any{
				"apiVersion": "v1", "kind": "Config", "current-context": "c",
				"clusters": []any{map[string]any{"name": "c", "cluster": map[string]any{"server": server}}},
				"users":    []any{map[string]any{"name": "u", "user": map[string]any{"token": "secret-token"}}},
				"contexts": []any{map[string]any{"name": "c", "context": map[string]any{"cluster": "c", "user": "u"}}},
			}}}
			c := &Controller{kube: kubeclient.NewCache(2 * time.Second), opts: Options{ProbeTimeout: 2 * time.Second}}
			got := c.probeCluster(t.Context(), cluster)
			if got.State != tt.wantState {
				t.Fatalf("state = %s (%+v), want %s", got.State, got.Reason, tt.wantState)
			}
			if tt.wantCode == 0 {
				if got.Reason != nil {
					t.Errorf("reason = %+v, want none", got.Reason)
				}
				return
			}
			if got.Reason == nil || got.Reason.Code != tt.wantCode || !strings.Contains(got.Reason.Message, tt.wantMsg) {
				t.Errorf("reason = %+v, want code %s mentioning %q", got.Reason, tt.wantCode, tt.wantMsg)
			}
			if got.Reason != nil && strings.Contains(got.Reason.Message, "secret-token") {
				t.Errorf("the reason leaks the token: %s", got.Reason.Message)
			}
		})
	}
}
