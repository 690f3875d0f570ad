package tui

import (
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	keymap "github.com/krake-go/krake/tui/keys"
	"github.com/krake-go/krake/tui/render"
	"github.com/krake-go/krake/tui/styles"
)

// Messages: everything that happens outside Update arrives as one of these.
type (
	// appMsg and clusterMsg say that the cache changed (the informers
	// applied the event before sending it); Update records transitions.
	appMsg struct {
		typ string
		app *api.Application
	}
	clusterMsg struct {
		typ     string
		cluster *api.Cluster
	}
	// listedMsg says that the first list of a kind ("application" or
	// "cluster") is in: what arrived before it was already there.
	listedMsg     struct{ kind string }
	healthMsg     struct{ err error }
	healthTickMsg struct{}
	deletedMsg    struct {
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

// Objects is where the UI reads clusters and applications: in Run, the
// informers' caches, so the UI holds no copy of its own. Callers must not
// modify what they return.
type Objects interface {
	Applications() []*api.Application
	Clusters() []*api.Cluster
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

// pageID is the page that fills the screen.
type pageID int

const (
	overviewPage pageID = iota
	appPage
	clusterPage
	yamlPage
	helpPage
)

// Model is the UI's state: the pages, the prompt and what it learned from
// the messages (transitions, explanations). Update is a pure transition;
// I/O happens in the commands it returns.
type Model struct {
	objects Objects
	states  map[string]string // last state per target, to see transitions
	events  []render.Event    // newest last
	// listing holds the kinds whose first list is still arriving: their
	// objects existed before the UI started, so they are states, not
	// transitions (500 apps must not bury the EVENTS pane at start-up).
	listing     map[string]bool
	explanation map[string]explainMsg
	now         func() time.Time

	namespace     string // "" = all namespaces
	filter        string // the `/` filter in force
	apiURL        string
	disconnected  error
	width, height int

	page     pageID
	overview overview
	detail   detail
	yaml     yamlView
	help     helpView
	prompt   prompt
	confirm  target    // awaiting y/n when set
	flash    string    // one-line message (errors, results): set with say
	flashAt  time.Time // when it was said

	keys    keymap.KeyMap
	styles  styles.Styles
	actions Actions
}

// NewModel returns a model reading objects.
func NewModel(objects Objects, namespace, apiURL string, actions Actions, now func() time.Time) Model {
	if now == nil {
		now = time.Now
	}
	m := Model{objects: objects, states: map[string]string{}, explanation: map[string]explainMsg{},
		namespace: namespace, apiURL: apiURL, actions: actions, now: now, keys: keymap.Default()}
	return m.resize(80, 24)
}

// ListingFirst returns the model taking the objects of kinds as the
// state it starts from, not as transitions, until a listedMsg for each.
func (m Model) ListingFirst(kinds ...string) Model {
	m.listing = map[string]bool{}
	for _, k := range kinds {
		m.listing[k] = true
	}
	return m
}

// WithStyles returns the model drawing with s.
func (m Model) WithStyles(s styles.Styles) Model { m.styles = s; return m }

func (m Model) resize(w, h int) Model {
	m.width, m.height = w, h
	m.overview.SetSize(w, h)
	m.detail.SetSize(w, h)
	m.yaml.SetSize(w, h)
	m.help.SetSize(w, h)
	m.prompt.SetSize(w)
	return m
}

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
		return m.resize(msg.Width, msg.Height), nil
	case appMsg:
		m.observe(targetOf("application", msg.app), msg.typ, msg.app.Status.State)
	case clusterMsg:
		m.observe(targetOf("cluster", msg.cluster), msg.typ, msg.cluster.Status.State)
	case listedMsg:
		delete(m.listing, msg.kind)
	case healthMsg:
		m.disconnected = msg.err
		if m.actions.Health != nil {
			return m, tea.Tick(2*time.Second, func(time.Time) tea.Msg { return healthTickMsg{} })
		}
	case healthTickMsg:
		return m, m.actions.Health()
	case explainMsg:
		m.explanation[msg.key] = msg
	case movedMsg:
		m.say(msg.text)
	case deletedMsg:
		if msg.err != nil {
			m.say("delete " + msg.what + " failed: " + msg.err.Error())
		} else {
			m.say("deleting " + msg.what)
		}
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

// flashFor is how long a message holds the footer: then the keys are
// back, as in k9s, rather than a message standing until esc beside a row
// it is not about. (The health check's tick redraws the screen.)
const flashFor = 5 * time.Second

// say puts text in the footer for flashFor ("" clears it).
func (m *Model) say(text string) { m.flash, m.flashAt = text, m.now() }

// maxEvents bounds the event history kept in memory.
const maxEvents = 1000

// observe records a state transition of t.
func (m *Model) observe(t target, typ, state string) {
	k := t.String()
	from, seen := m.states[k]
	if typ == api.Deleted {
		delete(m.states, k)
		state = "(removed)"
	} else {
		m.states[k] = state
		if seen && from == state || m.listing[t.kind] {
			return
		}
	}
	m.events = append(m.events, render.Event{At: m.now(), Kind: t.kind, Namespace: t.namespace, Name: t.name, From: from, To: state})
	if len(m.events) > maxEvents {
		m.events = slices.Clone(m.events[len(m.events)-maxEvents:])
	}
}

// visibleApps are the applications of the namespace that pass the filter,
// sorted by namespace and name.
func (m Model) visibleApps() []*api.Application {
	return visible(m, m.objects.Applications(), func(a *api.Application) string { return a.Status.State })
}

func (m Model) visibleClusters() []*api.Cluster {
	return visible(m, m.objects.Clusters(), func(c *api.Cluster) string { return c.Status.State })
}

func visible[T api.Object](m Model, objects []T, state func(T) string) []T {
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
		if c := strings.Compare(mx.Namespace, my.Namespace); c != 0 {
			return c
		}
		return strings.Compare(mx.Name, my.Name)
	})
	return out
}

// find returns the object t names, if it is still in the cache.
func find[T api.Object](objects []T, t target) (T, bool) {
	for _, o := range objects {
		if meta := o.GetMetadata(); meta.Namespace == t.namespace && meta.Name == t.name {
			return o, true
		}
	}
	var zero T
	return zero, false
}

func (m Model) key(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if key.Matches(msg, m.keys.ForceQuit) {
		return m, tea.Quit
	}
	switch {
	case m.confirm != (target{}):
		return m.confirmKey(msg)
	case m.prompt.active():
		return m.promptKey(msg)
	}
	var act intent
	switch m.page {
	case overviewPage:
		m.overview, act = m.overview.Update(msg, m.keys, m.pageData())
	case appPage, clusterPage:
		act = m.detail.Update(msg, m.keys)
	case yamlPage:
		act = m.yaml.Update(msg, m.keys)
	case helpPage:
		act = m.help.Update(msg, m.keys)
	}
	return m.do(act)
}

// do carries out what a page asked for.
func (m Model) do(act intent) (tea.Model, tea.Cmd) {
	switch act.kind {
	case quit:
		return m, tea.Quit
	case back:
		m.page = overviewPage
	case open:
		m.detail.target, m.page = act.target, clusterPage
		if act.target.kind == "application" {
			m.page = appPage
			if m.actions.Explain != nil {
				return m, m.actions.Explain(act.target.namespace, act.target.name)
			}
		}
	case showYAML:
		m.yaml.target, m.page = act.target, yamlPage
	case showHelp:
		m.page = helpPage
	case startFilter:
		m.filter = ""
		m.overview.resetCursor()
		return m, m.prompt.start(filterPrompt, m.styles)
	case startCommand:
		return m, m.prompt.start(commandPrompt, m.styles)
	case clear:
		m.filter = ""
		m.say("")
	case askDelete:
		m.confirm = act.target
	case moveApp:
		if a, ok := find(m.visibleApps(), act.target); ok && m.actions.Move != nil {
			m.say("re-scheduling " + a.Metadata.Name + " ...")
			return m, m.actions.Move(a)
		}
	}
	m.overview.clamp(len(m.visibleApps()), len(m.visibleClusters()))
	return m, nil
}

func (m Model) confirmKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	t := m.confirm
	m.confirm = target{}
	if !key.Matches(msg, m.keys.Confirm) {
		m.say("delete cancelled")
		return m, nil
	}
	switch {
	case t.kind == "application" && m.actions.DeleteApp != nil:
		return m, m.actions.DeleteApp(t.namespace, t.name)
	case t.kind == "cluster" && m.actions.DeleteCluster != nil:
		return m, m.actions.DeleteCluster(t.namespace, t.name)
	}
	return m, nil
}

func (m Model) promptKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	kind := m.prompt.kind
	value, done, cmd := m.prompt.Update(msg, m.keys)
	switch kind {
	case filterPrompt:
		m.filter = value
		if done == cancelled {
			m.filter = ""
		}
		m.overview.clamp(len(m.visibleApps()), len(m.visibleClusters()))
	case commandPrompt:
		if done == accepted {
			return m.command(value)
		}
	}
	return m, cmd
}

// View draws the page in front.
func (m Model) View() string {
	switch m.page {
	case helpPage:
		return m.help.View(m.keys, m.styles)
	case appPage:
		a, ok := find(m.objects.Applications(), m.detail.target)
		return m.detail.ViewApp(a, ok, m.pageData())
	case clusterPage:
		c, ok := find(m.objects.Clusters(), m.detail.target)
		return m.detail.ViewCluster(c, ok, m.pageData())
	case yamlPage:
		var obj any
		if m.yaml.target.kind == "application" {
			if a, ok := find(m.objects.Applications(), m.yaml.target); ok {
				obj = a
			}
		} else if c, ok := find(m.objects.Clusters(), m.yaml.target); ok {
			obj = c
		}
		return m.yaml.View(obj, m.actions.YAML, m.styles)
	}
	return m.overview.View(m.pageData(), m.footer())
}

// pageData is what the pages read besides their own state.
func (m Model) pageData() pageData {
	return pageData{apps: m.visibleApps(), clusters: m.visibleClusters(), events: m.events, explanation: m.explanation,
		now: m.now(), styles: m.styles, keys: m.keys, namespace: m.namespace, filter: m.filter,
		apiURL: m.apiURL, disconnected: m.disconnected}
}

// footer is the overview's last line: a question, the prompt, a message,
// the filter in force, or the keys.
func (m Model) footer() string {
	s := m.styles
	switch {
	case m.confirm != (target{}):
		return s.Banner.Render(render.Fit("delete "+m.confirm.String()+"? y to confirm, any other key to cancel", m.width))
	case m.prompt.active():
		return m.prompt.View()
	case m.flash != "" && m.now().Sub(m.flashAt) < flashFor:
		return render.Fit(m.flash, m.width)
	case m.filter != "":
		return render.Fit("filter: "+m.filter+"  (esc clears) • ? help", m.width)
	}
	return shortHelp(m.keys.ShortHelp(), m.width, s)
}
