package tui

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	xgolden "github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/tui/styles"
)

var clock = time.Date(2026, 11, 24, 10, 5, 0, 0, time.UTC)

func plainStyles() styles.Styles {
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(termenv.Ascii)
	return styles.New(r)
}

// memObjects stands in for the informers' caches: feed applies a message
// to it, as an informer does before it sends the message.
type memObjects struct {
	mu       sync.Mutex
	apps     map[string]*api.Application
	clusters map[string]*api.Cluster
}

func newMemObjects() *memObjects {
	return &memObjects{apps: map[string]*api.Application{}, clusters: map[string]*api.Cluster{}}
}

func (o *memObjects) Applications() []*api.Application {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Collect(maps.Values(o.apps))
}

func (o *memObjects) Clusters() []*api.Cluster {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Collect(maps.Values(o.clusters))
}

func apply[T api.Object](items map[string]T, typ string, obj T) {
	k := obj.GetMetadata().Namespace + "/" + obj.GetMetadata().Name
	if typ == api.Deleted {
		delete(items, k)
	} else {
		items[k] = obj
	}
}

// feed applies msg to the cache when it is a change, and returns it.
func (o *memObjects) feed(msg tea.Msg) tea.Msg {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch msg := msg.(type) {
	case appMsg:
		apply(o.apps, msg.typ, msg.app)
	case clusterMsg:
		apply(o.clusters, msg.typ, msg.cluster)
	}
	return msg
}

func app(ns, name, state, cluster string, labels map[string]string) *api.Application {
	a := &api.Application{Metadata: api.Metadata{Namespace: ns, Name: name, Labels: labels,
		Created: api.NewTime(clock.Add(-3 * time.Minute))}}
	a.Status.State = state
	if cluster != "" {
		ref := api.ResourceRef{API: "kubernetes", Kind: "Cluster", Namespace: ns, Name: cluster}
		a.Status.RunningOn = &ref
		a.Status.Services = map[string]string{name: "127.0.0.1:30080"}
		a.Status.Objects = []api.ObjectHealth{
			{Kind: "Deployment", Name: name, Namespace: "default", Healthy: state == api.StateRunning, Status: "1/1 ready"},
			{Kind: "Service", Name: name, Namespace: "default", Healthy: true, Status: "127.0.0.1:30080"},
		}
	}
	a.Spec.Manifest = api.MustRawObjects(map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": name}})
	return a
}

func cluster(ns, name, state string, labels map[string]string) *api.Cluster {
	c := &api.Cluster{Metadata: api.Metadata{Namespace: ns, Name: name, Labels: labels, Created: api.NewTime(clock.Add(-2 * time.Hour))}}
	c.Status.State = state
	c.Status.Nodes = []api.Node{{Name: "kwok-node-1", Conditions: []api.NodeCondition{{Type: "Ready", Status: "True"}}}}
	if state == api.StateOnline {
		c.Status.MetricValues = map[string]float64{"heat": 0.8}
	}
	return c
}

// recorder stands in for the API: it records what the UI asked for.
type recorder struct{ deleted []string }

func newTestModel(rec *recorder) Model {
	actions := Actions{
		DeleteApp: func(ns, name string) tea.Cmd {
			return func() tea.Msg {
				rec.deleted = append(rec.deleted, "application/"+ns+"/"+name)
				return deletedMsg{what: name}
			}
		},
		DeleteCluster: func(ns, name string) tea.Cmd {
			return func() tea.Msg {
				rec.deleted = append(rec.deleted, "cluster/"+ns+"/"+name)
				return deletedMsg{what: name}
			}
		},
		YAML: toYAML,
	}
	return NewModel(newMemObjects(), "demo", "http://127.0.0.1:8080", actions, func() time.Time { return clock }).WithStyles(plainStyles())
}

func send(m Model, msgs ...tea.Msg) (Model, []tea.Cmd) {
	var cmds []tea.Cmd
	for _, msg := range msgs {
		next, cmd := m.Update(m.objects.(*memObjects).feed(msg))
		m = next.(Model)
		cmds = append(cmds, cmd)
	}
	return m, cmds
}

func keys(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

func seeded() Model {
	m := newTestModel(&recorder{})
	m, _ = send(m,
		clusterMsg{api.Added, cluster("demo", "cluster-1", api.StateOnline, map[string]string{"location": "DE"})},
		clusterMsg{api.Added, cluster("demo", "cluster-2", api.StateOffline, map[string]string{"location": "FR"})},
		appMsg{api.Added, app("demo", "echo-demo", api.StatePending, "", map[string]string{"app": "echo"})},
		appMsg{api.Added, app("demo", "web", api.StateRunning, "cluster-1", map[string]string{"tier": "gold"})},
		appMsg{api.Added, app("other", "elsewhere", api.StateRunning, "cluster-9", nil)},
	)
	return m
}

func TestUpdate_recordsTransitions(t *testing.T) {
	m := seeded()
	running := app("demo", "echo-demo", api.StateRunning, "cluster-1", nil)
	m, _ = send(m, appMsg{api.Modified, running}, appMsg{api.Deleted, running})
	var got []string
	for _, e := range m.events {
		if e.Name == "echo-demo" {
			got = append(got, e.From+">"+e.To)
		}
	}
	if strings.Join(got, ",") != ">PENDING,PENDING>RUNNING,RUNNING>(removed)" {
		t.Errorf("transitions = %v", got)
	}
	for _, a := range m.visibleApps() {
		if a.Metadata.Name == "echo-demo" {
			t.Error("a deleted application is still listed")
		}
	}
}

// TestUpdate_firstListIsNoTransition: what the first lists bring existed
// before the UI started: it is listed, but the EVENTS pane starts empty,
// and a change after the list is a transition from the listed state.
func TestUpdate_firstListIsNoTransition(t *testing.T) {
	m := newTestModel(&recorder{}).ListingFirst("application", "cluster")
	m, _ = send(m,
		appMsg{api.Added, app("demo", "echo-demo", api.StateDegraded, "", nil)},
		clusterMsg{api.Added, cluster("demo", "cluster-1", api.StateOnline, nil)},
		listedMsg{kind: "application"},
	)
	if view := m.View(); !strings.Contains(view, "changes of state since the UI started show here") || strings.Contains(view, "→") {
		t.Errorf("after the first list the EVENTS pane should hold only its hint:\n%s", view)
	}
	m, _ = send(m,
		appMsg{api.Added, app("demo", "web", api.StatePending, "", nil)},          // created after the list
		clusterMsg{api.Added, cluster("demo", "cluster-2", api.StateOnline, nil)}, // clusters still listing
		appMsg{api.Modified, app("demo", "echo-demo", api.StateRunning, "cluster-1", nil)},
		listedMsg{kind: "cluster"},
		clusterMsg{api.Modified, cluster("demo", "cluster-1", api.StateOffline, nil)},
	)
	var got []string
	for _, e := range m.events {
		got = append(got, e.Name+":"+e.From+">"+e.To)
	}
	want := "web:>PENDING,echo-demo:DEGRADED>RUNNING,cluster-1:ONLINE>OFFLINE"
	if strings.Join(got, ",") != want {
		t.Errorf("events %v, want %s", got, want)
	}
	if n := len(m.visibleApps()); n != 2 {
		t.Errorf("%d apps listed, want 2", n)
	}
}

func TestUpdate_namespaceFilterAndCursor(t *testing.T) {
	m := seeded()
	if n := len(m.visibleApps()); n != 2 {
		t.Fatalf("namespace demo shows %d apps, want 2", n)
	}
	m, _ = send(m, keys("j"), keys("j"), keys("j"))
	if m.overview.cursor[appsPane] != 1 {
		t.Errorf("cursor = %d after three j on two rows, want 1", m.overview.cursor[appsPane])
	}
	m, _ = send(m, keys("/"), keys("gold"), tea.KeyMsg{Type: tea.KeyEnter})
	if apps := m.visibleApps(); len(apps) != 0 {
		t.Errorf("filter 'gold' (not a name or state) shows %d apps", len(apps))
	}
	m, _ = send(m, tea.KeyMsg{Type: tea.KeyEsc}, keys("/"), keys("tier=gold"), tea.KeyMsg{Type: tea.KeyEnter})
	if apps := m.visibleApps(); len(apps) != 1 || apps[0].Metadata.Name != "web" {
		t.Errorf("label filter tier=gold shows %v", apps)
	}
	m, _ = send(m, tea.KeyMsg{Type: tea.KeyEsc}, keys("/"), keys("!echo"), tea.KeyMsg{Type: tea.KeyEnter})
	if apps := m.visibleApps(); len(apps) != 1 || apps[0].Metadata.Name != "web" {
		t.Errorf("inverted filter !echo shows %v", apps)
	}
	m, _ = send(m, tea.KeyMsg{Type: tea.KeyEsc}, keys(":"), keys("ns all"), tea.KeyMsg{Type: tea.KeyEnter})
	if n := len(m.visibleApps()); n != 3 {
		t.Errorf(":ns all shows %d apps, want 3", n)
	}
}

func TestUpdate_deleteAsksFirst(t *testing.T) {
	rec := &recorder{}
	m := seeded()
	m.actions = newTestModel(rec).actions
	m, cmds := send(m, keys("d"))
	if m.confirm.String() != "application/demo/echo-demo" || cmds[0] != nil {
		t.Fatalf("d: confirm %q, command %v; want a question and no delete yet", m.confirm, cmds[0])
	}
	m, _ = send(m, keys("n"))
	if m.confirm != (target{}) || m.flash != "delete cancelled" {
		t.Errorf("n did not cancel: confirm %q flash %q", m.confirm, m.flash)
	}
	m, _ = send(m, keys("d"))
	m, cmds = send(m, keys("y"))
	if cmds[0] == nil {
		t.Fatal("y did not ask for the delete")
	}
	msg := cmds[0]()
	m, _ = send(m, msg)
	if strings.Join(rec.deleted, ",") != "application/demo/echo-demo" {
		t.Errorf("deleted %v, want the selected application", rec.deleted)
	}
	if !strings.HasPrefix(m.flash, "deleting") {
		t.Errorf("flash = %q", m.flash)
	}
}

func TestUpdate_detailsAskForTheExplanation(t *testing.T) {
	asked := ""
	m := seeded()
	m.actions.Explain = func(ns, name string) tea.Cmd {
		asked = ns + "/" + name
		return func() tea.Msg {
			return explainMsg{key: asked, explanation: &placement.Explanation{Chosen: "cluster-1", Clusters: []placement.ClusterVerdict{
				{Cluster: "cluster-1", Verdict: placement.Verdict{Passed: true}, Score: &placement.Score{Total: 0.8, HasMetrics: true, Parts: []placement.MetricScore{{Name: "heat", Value: 0.8, Normalized: 0.8, Weight: 1}}}},
				{Cluster: "cluster-2", Verdict: placement.Verdict{Filter: "state", Reason: "cluster is OFFLINE, not ONLINE"}},
			}}}
		}
	}
	m, cmds := send(m, keys("j"), tea.KeyMsg{Type: tea.KeyEnter})
	if asked != "demo/web" || cmds[1] == nil {
		t.Fatalf("enter asked for %q", asked)
	}
	m, _ = send(m, cmds[1]())
	view := m.View()
	// The rows are rok's (placement.Explanation.Rows): the same words in both.
	for _, want := range []string{"PLACEMENT", "cluster-1        chosen               score 0.800  heat=0.8 (0.80×1)",
		"cluster-2        rejected (state)     cluster is OFFLINE"} {
		if !strings.Contains(view, want) {
			t.Errorf("detail lacks %q:\n%s", want, view)
		}
	}
}

func TestUpdate_mMovesTheSelectedApp(t *testing.T) {
	var moved *api.Application
	m := seeded()
	m.actions.Move = func(a *api.Application) tea.Cmd {
		moved = a
		return func() tea.Msg { return movedMsg{text: "moving " + a.Metadata.Name} }
	}
	m, cmds := send(m, keys("m"))
	if moved == nil || moved.Metadata.Name != "echo-demo" || cmds[0] == nil {
		t.Fatalf("m moved %v", moved)
	}
	m, _ = send(m, cmds[0]())
	if m.flash != "moving echo-demo" {
		t.Errorf("flash = %q", m.flash)
	}
}

func TestUpdate_severalRunesAreSeveralKeys(t *testing.T) {
	m, _ := send(seeded(), keys("jk?"))
	if m.page != helpPage || m.overview.cursor[appsPane] != 0 {
		t.Errorf("'jk?' in one message: page %v cursor %d; want help and the cursor back at 0", m.page, m.overview.cursor[appsPane])
	}
}

// golden compares got with testdata/<test name>.golden; `go test ./tui
// -update` rewrites it.
func golden(t *testing.T, got string) {
	t.Helper()
	xgolden.RequireEqual(t, []byte(got))
}

// TestView renders every screen at 80x24 and at 120x30.
func TestView(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 30}} {
		base, _ := send(seeded(), tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		for _, screen := range []struct {
			name string
			keys []tea.Msg
		}{
			{"overview", nil},
			{"app_detail", []tea.Msg{keys("j"), tea.KeyMsg{Type: tea.KeyEnter}}},
			{"cluster_detail", []tea.Msg{tea.KeyMsg{Type: tea.KeyTab}, tea.KeyMsg{Type: tea.KeyEnter}}},
			{"help", []tea.Msg{keys("?")}},
			{"confirm", []tea.Msg{keys("d")}},
			{"disconnected", []tea.Msg{healthMsg{err: fmt.Errorf("connection refused")}}},
		} {
			t.Run(fmt.Sprintf("%s_%dx%d", screen.name, size[0], size[1]), func(t *testing.T) {
				m, _ := send(base, screen.keys...)
				view := m.View()
				for i, line := range strings.Split(view, "\n") {
					if w := lipgloss.Width(line); w > size[0] {
						t.Errorf("line %d is %d cells wide on a %d-cell terminal: %q", i, w, size[0], line)
					}
				}
				if lines := strings.Count(view, "\n") + 1; lines > size[1] {
					t.Errorf("%d lines on a %d-line terminal", lines, size[1])
				}
				golden(t, view)
			})
		}
	}
}

// BenchmarkView renders the overview with 5,000 applications; a frame
// must stay well under 16 ms.
func BenchmarkView(b *testing.B) {
	m := newTestModel(&recorder{})
	for i := range 5000 {
		m, _ = send(m, appMsg{api.Added, app("demo", fmt.Sprintf("app-%05d", i), api.StateRunning, "cluster-1", nil)})
	}
	m, _ = send(m, tea.WindowSizeMsg{Width: 160, Height: 50}, keys("G"))
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkFilterKey measures one key typed into the filter with 5,000
// applications: the update plus the next frame.
func BenchmarkFilterKey(b *testing.B) {
	m := newTestModel(&recorder{})
	for i := range 5000 {
		m, _ = send(m, appMsg{api.Added, app("demo", fmt.Sprintf("app-%05d", i), api.StateRunning, "cluster-1", nil)})
	}
	m, _ = send(m, tea.WindowSizeMsg{Width: 160, Height: 50}, keys("/"))
	for b.Loop() {
		next, _ := send(m, keys("4"))
		_ = next.View()
	}
}

// TestUpdate_commandPrefix: a prefix of one command runs it; an unknown or
// ambiguous word says what there is.
func TestUpdate_commandPrefix(t *testing.T) {
	m, _ := send(seeded(), keys(":"), keys("cl"), tea.KeyMsg{Type: tea.KeyEnter})
	if m.overview.focus != clustersPane {
		t.Errorf(":cl did not focus the clusters")
	}
	m, _ = send(m, keys(":"), keys("zz"), tea.KeyMsg{Type: tea.KeyEnter})
	if !strings.Contains(m.flash, "unknown command :zz (try :apps, :clusters") {
		t.Errorf("flash = %q", m.flash)
	}
	m, _ = send(m, keys(":"), keys("a"), tea.KeyMsg{Type: tea.KeyEnter}) // apps or all
	if !strings.Contains(m.flash, "unknown command :a ") {
		t.Errorf(":a is ambiguous (apps, all), flash = %q", m.flash)
	}
}

// TestUpdate_lifecycleStates: the states of TOSCA, the shutdown hook and
// jobs arrive as transitions like any other, and the list shows them.
func TestUpdate_lifecycleStates(t *testing.T) {
	m := seeded()
	for _, st := range []string{api.StateTranslating, api.StatePending, api.StateRunning, api.StateWaitingForCleaning, api.StateReadyForAction, api.StateCompleted} {
		m, _ = send(m, appMsg{api.Modified, app("demo", "echo-demo", st, "cluster-1", nil)})
	}
	var got []string
	for _, e := range m.events {
		if e.Name == "echo-demo" {
			got = append(got, e.To)
		}
	}
	want := "PENDING,TRANSLATING,PENDING,RUNNING,WAITING_FOR_CLEANING,READY_FOR_ACTION,COMPLETED"
	if strings.Join(got, ",") != want {
		t.Errorf("transitions %v, want %s", got, want)
	}
	m, _ = send(m, tea.WindowSizeMsg{Width: 120, Height: 30})
	if view := m.View(); !strings.Contains(view, "COMPLETED") || !strings.Contains(view, "READY_FOR_ACTION → COMPLETED") {
		t.Errorf("the overview lacks the COMPLETED app or its transition:\n%s", view)
	}
}

// TestUpdate_flashExpires: a message holds the footer for flashFor, from
// when it was set; then the keys are back.
func TestUpdate_flashExpires(t *testing.T) {
	now := clock
	m := seeded()
	m.now = func() time.Time { return now }
	m, _ = send(m, movedMsg{text: "echo-demo is already on the best cluster (cluster-1)"})
	now = now.Add(flashFor - time.Second)
	if f := m.footer(); !strings.Contains(f, "already on the best cluster") {
		t.Errorf("footer before flashFor: %q", f)
	}
	m, _ = send(m, movedMsg{text: "retrying web"}) // a new message starts again
	now = now.Add(flashFor - time.Second)
	if f := m.footer(); !strings.Contains(f, "retrying web") {
		t.Errorf("footer %s into the second message: %q", flashFor-time.Second, f)
	}
	now = now.Add(time.Second)
	if f := m.footer(); strings.Contains(f, "retrying") || !strings.Contains(f, "j/k move") {
		t.Errorf("footer after flashFor: %q, want the keys back", f)
	}
	m, _ = send(m, movedMsg{text: "retrying web"}) // the same words again are a new message
	if f := m.footer(); !strings.Contains(f, "retrying web") {
		t.Errorf("footer after the same message again: %q", f)
	}
}
