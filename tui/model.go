package tui

import (
	"slices"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
)

// Messages: everything that happens outside Update arrives as one of these.
type (
	appMsg struct {
		typ string
		app *api.Application
	}
	clusterMsg struct {
		typ     string
		cluster *api.Cluster
	}
	healthMsg  struct{ err error }
	deletedMsg struct {
		what string
		err  error
	}
	explainMsg struct {
		key         string
		explanation *placement.Explanation
		err         error
	}
	movedMsg struct{ text string }
)

// pane is the list that has the focus.
type pane int

const (
	appsPane pane = iota
	clustersPane
)

// mode is what fills the screen.
type mode int

const (
	overviewMode mode = iota
	detailMode
	yamlMode
	helpMode
)

// event is one state transition seen since the UI started.
type event struct {
	at        time.Time
	kind      string // application or cluster
	namespace string
	name      string
	from, to  string
}

// Model is the UI's whole state. Update is a pure transition; I/O happens
// in the commands it returns.
type Model struct {
	apps     map[string]*api.Application
	clusters map[string]*api.Cluster
	events   []event // newest last
	now      func() time.Time

	namespace     string // "" = all namespaces
	apiURL        string
	disconnected  error
	width, height int

	mode       mode
	focus      pane
	cursor     [2]int
	offset     [2]int
	filter     string
	filtering  bool
	command    string
	commanding bool
	confirm    string // "kind/namespace/name" awaiting y/n
	flash      string // one-line message (errors, results)

	actions     Actions
	styles      Styles
	explanation map[string]explainMsg // by app key, fetched on entering its details
}

// Actions are the side effects the UI can ask for; tui.Run wires them to
// the API client, tests to recorders.
type Actions struct {
	DeleteApp     func(namespace, name string) tea.Cmd
	DeleteCluster func(namespace, name string) tea.Cmd
	Health        func() tea.Cmd
	YAML          func(obj any) string
	// Explain fetches the placement explanation of an app.
	Explain func(namespace, name string) tea.Cmd
	// Move re-schedules an app now: retry when FAILED or DEGRADED, else
	// re-bind a running app to a better cluster if migration is allowed.
	Move func(app *api.Application) tea.Cmd
}

// NewModel returns an empty model.
func NewModel(namespace, apiURL string, actions Actions, now func() time.Time) Model {
	if now == nil {
		now = time.Now
	}
	return Model{apps: map[string]*api.Application{}, clusters: map[string]*api.Cluster{},
		namespace: namespace, apiURL: apiURL, actions: actions, now: now, width: 80, height: 24}
}

func key(namespace, name string) string { return namespace + "/" + name }

// Init starts the health checks.
func (m Model) Init() tea.Cmd {
	if m.actions.Health == nil {
		return nil
	}
	return m.actions.Health()
}

// Update applies one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case appMsg:
		m.applyApp(msg)
		return m, nil
	case clusterMsg:
		m.applyCluster(msg)
		return m, nil
	case healthMsg:
		m.disconnected = msg.err
		if m.actions.Health == nil {
			return m, nil
		}
		return m, tea.Tick(2*time.Second, func(time.Time) tea.Msg { return healthTickMsg{} })
	case healthTickMsg:
		return m, m.actions.Health()
	case explainMsg:
		if m.explanation == nil {
			m.explanation = map[string]explainMsg{}
		}
		m.explanation[msg.key] = msg
		return m, nil
	case movedMsg:
		m.flash = msg.text
		return m, nil
	case deletedMsg:
		if msg.err != nil {
			m.flash = "delete " + msg.what + " failed: " + msg.err.Error()
		} else {
			m.flash = "deleting " + msg.what
		}
		return m, nil
	case tea.KeyMsg:
		// Fast typing (or a paste) can bring several runes in one message:
		// each is a key of its own unless it is text for a prompt.
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			var cmds []tea.Cmd
			var model tea.Model = m
			for _, r := range msg.Runes {
				var cmd tea.Cmd
				model, cmd = model.(Model).key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
				cmds = append(cmds, cmd)
			}
			return model, tea.Batch(cmds...)
		}
		return m.key(msg)
	}
	return m, nil
}

type healthTickMsg struct{}

func (m *Model) applyApp(msg appMsg) { upsert(m, m.apps, "application", msg.typ, msg.app) }

func (m *Model) applyCluster(msg clusterMsg) { upsert(m, m.clusters, "cluster", msg.typ, msg.cluster) }

// upsert applies one watch event to items and records a state transition.
func upsert[T api.Object](m *Model, items map[string]T, kind, typ string, obj T) {
	meta := obj.GetMetadata()
	k := key(meta.Namespace, meta.Name)
	if typ == api.Deleted {
		delete(items, k)
		m.record(kind, meta.Namespace, meta.Name, api.State(obj), "(removed)")
		return
	}
	from := ""
	if prev, ok := items[k]; ok {
		from = api.State(prev)
	}
	items[k] = obj
	if to := api.State(obj); from != to {
		m.record(kind, meta.Namespace, meta.Name, from, to)
	}
}

// maxEvents bounds the event history kept in memory.
const maxEvents = 1000

func (m *Model) record(kind, namespace, name, from, to string) {
	m.events = append(m.events, event{at: m.now(), kind: kind, namespace: namespace, name: name, from: from, to: to})
	if len(m.events) > maxEvents {
		m.events = slices.Clone(m.events[len(m.events)-maxEvents:])
	}
}

// visibleApps are the applications of the namespace that pass the filter,
// sorted by namespace and name.
func (m Model) visibleApps() []*api.Application {
	return visible(m, m.apps, func(a *api.Application) string { return a.Status.State })
}

func (m Model) visibleClusters() []*api.Cluster {
	return visible(m, m.clusters, func(c *api.Cluster) string { return c.Status.State })
}

// visible are the objects of the namespace that pass the filter, sorted by
// namespace and name.
func visible[T api.Object](m Model, objects map[string]T, state func(T) string) []T {
	out := make([]T, 0, len(objects))
	f := parseFilter(m.filter)
	for _, o := range objects {
		meta := o.GetMetadata()
		if (m.namespace == "" || meta.Namespace == m.namespace) && f.match(meta.Name, state(o), meta.Labels) {
			out = append(out, o)
		}
	}
	slices.SortFunc(out, func(x, y T) int {
		mx, my := x.GetMetadata(), y.GetMetadata()
		return strings.Compare(key(mx.Namespace, mx.Name), key(my.Namespace, my.Name))
	})
	return out
}

// filter is `/` input: a substring of name or state, `!` to invert,
// `label=value` to match a label.
type filter struct {
	text   string
	invert bool
	label  string
	value  string
}

func parseFilter(s string) filter {
	f := filter{}
	if strings.HasPrefix(s, "!") {
		f.invert, s = true, s[1:]
	}
	if k, v, ok := strings.Cut(s, "="); ok {
		f.label, f.value = k, v
		return f
	}
	f.text = strings.ToLower(s)
	return f
}

func (f filter) match(name, state string, labels map[string]string) bool {
	var ok bool
	switch {
	case f.label != "":
		ok = labels[f.label] == f.value
	case f.text == "":
		return true
	default:
		ok = strings.Contains(strings.ToLower(name), f.text) || strings.Contains(strings.ToLower(state), f.text)
	}
	return ok != f.invert
}

func (m Model) rows() int {
	if m.focus == appsPane {
		return len(m.visibleApps())
	}
	return len(m.visibleClusters())
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := msg.String()
	if k == "ctrl+c" {
		return m, tea.Quit
	}
	switch {
	case m.confirm != "":
		return m.confirmKey(k)
	case m.filtering:
		return m.filterKey(msg)
	case m.commanding:
		return m.commandKey(msg)
	}
	if m.mode != overviewMode {
		switch k {
		case "esc", "q", "enter", "backspace":
			m.mode = overviewMode
		case "y":
			if m.mode == detailMode {
				m.mode = yamlMode
			}
		}
		return m, nil
	}
	p := m.focus
	switch k {
	case "q":
		return m, tea.Quit
	case "j", "down":
		if m.cursor[p] < m.rows()-1 {
			m.cursor[p]++
		}
	case "k", "up":
		if m.cursor[p] > 0 {
			m.cursor[p]--
		}
	case "g", "home":
		m.cursor[p] = 0
	case "G", "end":
		m.cursor[p] = max(0, m.rows()-1)
	case "tab":
		m.focus = 1 - m.focus
	case "enter":
		if m.rows() > 0 {
			m.mode = detailMode
			if a := m.selectedApp(); a != nil && m.actions.Explain != nil {
				return m, m.actions.Explain(a.Metadata.Namespace, a.Metadata.Name)
			}
		}
	case "m":
		if a := m.selectedApp(); a != nil && m.actions.Move != nil {
			m.flash = "re-scheduling " + a.Metadata.Name + " ..."
			return m, m.actions.Move(a)
		}
	case "y":
		if m.rows() > 0 {
			m.mode = yamlMode
		}
	case "?":
		m.mode = helpMode
	case "/":
		m.filtering, m.filter = true, ""
		m.cursor = [2]int{}
	case ":":
		m.commanding, m.command = true, ""
	case "esc":
		m.filter, m.flash = "", ""
	case "d":
		if sel := m.selectedKey(); sel != "" {
			m.confirm = sel
		}
	}
	m.clampCursor()
	return m, nil
}

func (m *Model) clampCursor() {
	for _, p := range []pane{appsPane, clustersPane} {
		n := len(m.visibleApps())
		if p == clustersPane {
			n = len(m.visibleClusters())
		}
		if m.cursor[p] >= n {
			m.cursor[p] = max(0, n-1)
		}
	}
}

// selectedKey is "application/ns/name" or "cluster/ns/name" of the row
// under the cursor.
func (m Model) selectedKey() string {
	if m.focus == appsPane {
		if apps := m.visibleApps(); m.cursor[appsPane] < len(apps) {
			a := apps[m.cursor[appsPane]]
			return "application/" + a.Metadata.Namespace + "/" + a.Metadata.Name
		}
		return ""
	}
	if cl := m.visibleClusters(); m.cursor[clustersPane] < len(cl) {
		c := cl[m.cursor[clustersPane]]
		return "cluster/" + c.Metadata.Namespace + "/" + c.Metadata.Name
	}
	return ""
}

func (m Model) confirmKey(k string) (tea.Model, tea.Cmd) {
	target := m.confirm
	m.confirm = ""
	if k != "y" && k != "Y" {
		m.flash = "delete cancelled"
		return m, nil
	}
	parts := strings.SplitN(target, "/", 3)
	if len(parts) != 3 {
		return m, nil
	}
	if parts[0] == "application" && m.actions.DeleteApp != nil {
		return m, m.actions.DeleteApp(parts[1], parts[2])
	}
	if parts[0] == "cluster" && m.actions.DeleteCluster != nil {
		return m, m.actions.DeleteCluster(parts[1], parts[2])
	}
	return m, nil
}

func (m Model) filterKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEnter:
		m.filtering = false
	case tea.KeyEsc:
		m.filtering, m.filter = false, ""
	case tea.KeyBackspace:
		if m.filter != "" {
			m.filter = m.filter[:len(m.filter)-1]
		}
	case tea.KeyRunes, tea.KeySpace:
		m.filter += string(msg.Runes)
	}
	m.clampCursor()
	return m, nil
}

func (m Model) commandKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEsc:
		m.commanding = false
	case tea.KeyBackspace:
		if m.command != "" {
			m.command = m.command[:len(m.command)-1]
		}
	case tea.KeyRunes, tea.KeySpace:
		m.command += string(msg.Runes)
	case tea.KeyEnter:
		m.commanding = false
		fields := strings.Fields(m.command)
		switch {
		case len(fields) == 0:
		case fields[0] == "apps" || fields[0] == "app" || fields[0] == "applications":
			m.focus, m.mode = appsPane, overviewMode
		case fields[0] == "clusters" || fields[0] == "cluster":
			m.focus, m.mode = clustersPane, overviewMode
		case fields[0] == "ns" && len(fields) == 2:
			m.namespace = fields[1]
			if fields[1] == "all" || fields[1] == "-A" {
				m.namespace = ""
			}
			m.cursor = [2]int{}
		case fields[0] == "all":
			m.namespace, m.cursor = "", [2]int{}
		case fields[0] == "q" || fields[0] == "quit":
			return m, tea.Quit
		default:
			m.flash = "unknown command :" + m.command + " (try :apps, :clusters, :ns NAME, :all, :q)"
		}
	}
	return m, nil
}
