package render_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	xgolden "github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/tui/render"
	"github.com/krake-go/krake/tui/styles"
)

var clock = time.Date(2026, 11, 24, 10, 5, 0, 0, time.UTC)

func plain() styles.Styles {
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(termenv.Ascii)
	return styles.New(r)
}

func fixtures() (*api.Application, *api.Cluster) {
	a := &api.Application{Metadata: api.Metadata{Namespace: "demo", Name: "echo-demo-with-a-long-name",
		Labels: map[string]string{"app": "echo", "tier": "gold"}, Created: api.NewTime(clock.Add(-3 * time.Minute))}}
	a.Status.State = api.StateRunning
	a.Status.RunningOn = &api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: "demo", Name: "cluster-1"}
	a.Status.Services = map[string]string{"echo": "127.0.0.1:30080", "admin": "127.0.0.1:30081"}
	a.Status.Objects = []api.ObjectHealth{{Kind: "Deployment", Name: "echo", Healthy: true, Status: "1/1 ready"}}
	a.Spec.Constraints.Cluster.Labels = []string{"location is DE"}
	c := &api.Cluster{Metadata: api.Metadata{Namespace: "demo", Name: "cluster-1", Labels: map[string]string{"location": "DE"},
		Created: api.NewTime(clock.Add(-50 * time.Hour))}}
	c.Status.State = api.StateOnline
	c.Status.MetricValues = map[string]float64{"heat": 0.8, "cost": 3}
	c.Status.Nodes = []api.Node{{Name: "kwok-node-1", Conditions: []api.NodeCondition{{Type: "Ready", Status: "True"}}}}
	c.Spec.Metrics = []api.MetricRef{{Name: "heat", Weight: 1}}
	return a, c
}

// TestRender draws every row and detail block at two widths; `go test
// ./tui/render -update` rewrites the golden files.
func TestRender(t *testing.T) {
	a, c := fixtures()
	s := plain()
	e := &placement.Explanation{Chosen: "cluster-1", Clusters: []placement.ClusterVerdict{
		{Cluster: "cluster-1", Verdict: placement.Verdict{Passed: true}, Score: &placement.Score{Total: 0.8, HasMetrics: true,
			Parts: []placement.MetricScore{{Name: "heat", Value: 0.8, Normalized: 0.8, Weight: 1}}}},
		{Cluster: "cluster-2", Verdict: placement.Verdict{Filter: "state", Reason: "cluster is OFFLINE, not ONLINE"}},
	}}
	events := []render.Event{{At: clock, Kind: "application", Namespace: "demo", Name: a.Metadata.Name, To: api.StatePending},
		{At: clock, Kind: "application", Namespace: "demo", Name: a.Metadata.Name, From: api.StatePending, To: api.StateRunning}}
	for _, width := range []int{80, 120} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ac, cc := render.AppColumns(width), render.ClusterColumns(width)
			lines := []string{ac.Header(), "  " + render.AppRow(a, ac, clock, s), cc.Header(), "  " + render.ClusterRow(c, 1, cc, clock, s), ""}
			lines = append(lines, render.AppFields(a, clock, width, s)...)
			lines = append(lines, render.Placement(e, nil, true, width)...)
			lines = append(lines, render.Objects(a, width, s)...)
			lines = append(lines, render.Timeline(events, "application", "demo", a.Metadata.Name, width)...)
			lines = append(lines, "")
			lines = append(lines, render.ClusterFields(c, []*api.Application{a}, width, s)...)
			for i, l := range lines {
				if w := lipgloss.Width(l); w > width {
					t.Errorf("line %d is %d cells on a %d-cell terminal: %q", i, w, width, l)
				}
			}
			xgolden.RequireEqual(t, []byte(strings.Join(lines, "\n")))
		})
	}
}

// TestAppFields_hooksJobsAndShutdown: the detail shows the hooks, where a
// shutdown stands, and completed and failed pods.
func TestAppFields_hooksJobsAndShutdown(t *testing.T) {
	a, _ := fixtures()
	a.Spec.Hooks = []string{api.HookShutdown}
	a.Status.State = api.StateWaitingForCleaning
	a.Status.Shutdown = &api.ShutdownStatus{Attempts: 2, Deadline: api.NewTimePtr(clock.Add(30 * time.Second)), LastError: "connection refused"}
	a.Status.ContainerHealth = api.ContainerHealth{DesiredPods: 3, RunningPods: 1, CompletedPods: 2}
	text := strings.Join(render.AppFields(a, clock, 120, plain()), "\n")
	for _, want := range []string{"state              WAITING_FOR_CLEANING", "hooks              shutdown",
		"shutdown           waiting for the callback until " + clock.Add(30*time.Second).Local().Format("15:04:05") + " (calls: 2); last call: connection refused",
		"pods ready         1 of 3, 2 completed, 0 failed"} {
		if !strings.Contains(text, want) {
			t.Errorf("detail lacks %q:\n%s", want, text)
		}
	}
}

func TestPlacement_beforeAndWithoutAnAnswer(t *testing.T) {
	if got := render.Placement(nil, nil, false, 80); len(got) != 1 || !strings.Contains(got[0], "asking the API") {
		t.Errorf("before the answer: %q", got)
	}
	if got := render.Placement(nil, fmt.Errorf("403 forbidden"), true, 80); !strings.Contains(got[0], "explanation unavailable: 403 forbidden") {
		t.Errorf("on an error: %q", got)
	}
}

func TestFit(t *testing.T) {
	for _, tt := range []struct {
		in   string
		w    int
		want string
	}{{"abc", 5, "abc  "}, {"abcdef", 4, "abc…"}, {"abc", 1, "…"}, {"abc", 0, ""}, {"→→→", 2, "→…"}} {
		if got := render.Fit(tt.in, tt.w); got != tt.want {
			t.Errorf("Fit(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
		}
	}
}

// TestClusterFields_created: a cluster Krake creates shows its cloud and
// its infrastructure, or that it has none yet.
func TestClusterFields_created(t *testing.T) {
	_, c := fixtures()
	c.Spec.Tosca = map[string]any{"tosca_definitions_version": "tosca_simple_yaml_1_0"}
	text := strings.Join(render.ClusterFields(c, nil, 120, plain()), "\n")
	for _, want := range []string{"cloud              not placed yet", "infrastructure     not created yet"} {
		if !strings.Contains(text, want) {
			t.Errorf("detail lacks %q:\n%s", want, text)
		}
	}
	id := "92deea031a40"
	c.Status.RunningOn = &api.ResourceRef{API: "infrastructure", Kind: "GlobalCloud", Name: "local"}
	c.Status.ClusterID = &id
	text = strings.Join(render.ClusterFields(c, nil, 120, plain()), "\n")
	for _, want := range []string{"cloud              GlobalCloud local", "infrastructure     92deea031a40"} {
		if !strings.Contains(text, want) {
			t.Errorf("detail lacks %q:\n%s", want, text)
		}
	}
	_, registered := fixtures()
	if text := strings.Join(render.ClusterFields(registered, nil, 120, plain()), "\n"); strings.Contains(text, "infrastructure") {
		t.Errorf("a registered cluster shows infrastructure:\n%s", text)
	}
}
