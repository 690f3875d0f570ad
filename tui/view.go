package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/krake-go/krake/apiserver/api"
)

// Styles are the UI's colours; NoColor styles render plain text.
type Styles struct {
	Title, Header, Selected, Dim, Good, Bad, Busy, Banner lipgloss.Style
}

// NewStyles binds styles to a renderer (its colour profile follows the
// output and NO_COLOR).
func NewStyles(r *lipgloss.Renderer) Styles {
	return Styles{
		Title:    r.NewStyle().Bold(true),
		Header:   r.NewStyle().Bold(true).Faint(true),
		Selected: r.NewStyle().Reverse(true),
		Dim:      r.NewStyle().Faint(true),
		Good:     r.NewStyle().Foreground(lipgloss.Color("2")),
		Bad:      r.NewStyle().Foreground(lipgloss.Color("1")),
		Busy:     r.NewStyle().Foreground(lipgloss.Color("3")),
		Banner:   r.NewStyle().Bold(true).Foreground(lipgloss.Color("1")),
	}
}

func (s Styles) state(state string) lipgloss.Style {
	switch api.HealthOf(state) {
	case api.HealthGood:
		return s.Good
	case api.HealthBad:
		return s.Bad
	}
	return s.Busy
}

// fit pads or cuts s to exactly w cells.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) > w {
		if w == 1 {
			return "…"
		}
		return string(r[:w-1]) + "…"
	}
	return s + strings.Repeat(" ", w-len(r))
}

func age(now time.Time, t api.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t.Time)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func labelString(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + labels[k]
	}
	return strings.Join(parts, ",")
}

// metricString is the metric values a cluster was last scored with.
func metricString(values map[string]float64) string {
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%g", k, values[k])
	}
	return strings.Join(parts, ",")
}

func services(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = m[k]
	}
	return strings.Join(parts, ",")
}

// column widths, given the total width.
type appCols struct{ name, ns, state, cluster, services, age int }

func appColumns(width int) appCols {
	c := appCols{name: 20, ns: 14, state: 12, cluster: 12, age: 5}
	rest := width - 2 - c.name - c.ns - c.state - c.cluster - c.age - 5
	if rest < 10 {
		c.ns = max(6, c.ns+rest-10)
		rest = 10
	}
	c.services = rest
	return c
}

func (m Model) appRow(a *api.Application, c appCols, s Styles) string {
	cluster := "-"
	if a.Status.RunningOn != nil {
		cluster = a.Status.RunningOn.Name
	} else if a.Status.ScheduledTo != nil {
		cluster = a.Status.ScheduledTo.Name
	}
	state := a.Status.State
	if a.Metadata.Deleted != nil && state != api.StateDeleting {
		state += "*"
	}
	return fit(a.Metadata.Name, c.name) + " " + fit(a.Metadata.Namespace, c.ns) + " " +
		s.state(a.Status.State).Render(fit(state, c.state)) + " " + fit(cluster, c.cluster) + " " +
		fit(services(a.Status.Services), c.services) + " " + fit(age(m.now(), a.Metadata.Created), c.age)
}

type clusterCols struct{ name, ns, state, labels, apps, age int }

func clusterColumns(width int) clusterCols {
	c := clusterCols{name: 20, ns: 14, state: 16, apps: 5, age: 5}
	c.labels = max(8, width-2-c.name-c.ns-c.state-c.apps-c.age-5)
	return c
}

func (m Model) clusterRow(cl *api.Cluster, c clusterCols, s Styles) string {
	n := 0
	for _, a := range m.apps {
		if ref := a.Status.RunningOn; ref != nil && ref.Namespace == cl.Metadata.Namespace && ref.Name == cl.Metadata.Name {
			n++
		}
	}
	info := labelString(cl.Metadata.Labels)
	if mv := metricString(cl.Status.MetricValues); mv != "" {
		info = strings.TrimPrefix(info+" "+mv, " ")
	}
	return fit(cl.Metadata.Name, c.name) + " " + fit(cl.Metadata.Namespace, c.ns) + " " +
		s.state(cl.Status.State).Render(fit(cl.Status.State, c.state)) + " " + fit(info, c.labels) + " " +
		fit(fmt.Sprint(n), c.apps) + " " + fit(age(m.now(), cl.Metadata.Created), c.age)
}

// window returns the [start, end) rows to draw so that cursor is visible:
// only those rows are rendered, so thousands of apps cost nothing extra.
func window(n, cursor, rows int) (int, int) {
	if rows <= 0 || n == 0 {
		return 0, 0
	}
	start := 0
	if cursor >= rows {
		start = cursor - rows + 1
	}
	return start, min(n, start+rows)
}

// Render draws the model with styles s.
func (m Model) Render(s Styles) string {
	switch m.mode {
	case helpMode:
		return m.renderHelp(s)
	case detailMode:
		return m.renderDetail(s)
	case yamlMode:
		return m.renderYAML(s)
	}
	return m.renderOverview(s)
}

func (m Model) renderOverview(s Styles) string {
	var b strings.Builder
	ns := m.namespace
	if ns == "" {
		ns = "all namespaces"
	}
	header := s.Title.Render("Krake") + "  " + fit("ns: "+ns, 30) + " " + s.Dim.Render(m.apiURL)
	b.WriteString(fit(header, m.width+len(header)-lipgloss.Width(header)) + "\n")
	used := 1
	if m.disconnected != nil {
		b.WriteString(s.Banner.Render(fit("API unreachable, reconnecting: "+m.disconnected.Error(), m.width)) + "\n")
		used++
	}
	clusters, apps := m.visibleClusters(), m.visibleApps()
	eventRows := min(4, len(m.events))
	// Lines left for rows: total minus titles, headers, events block, footer.
	free := max(2, m.height-used-4-(eventRows+1)-1)
	clusterRows := min(len(clusters), max(1, free/3))
	if len(clusters) == 0 {
		clusterRows = 1
	}
	appRows := max(1, free-clusterRows)

	cc := clusterColumns(m.width)
	b.WriteString(m.title(s, clustersPane, fmt.Sprintf("CLUSTERS (%d)", len(clusters))) + "\n")
	b.WriteString(s.Header.Render("  "+fit("NAME", cc.name)+" "+fit("NAMESPACE", cc.ns)+" "+fit("STATE", cc.state)+" "+fit("LABELS / METRICS", cc.labels)+" "+fit("APPS", cc.apps)+" "+fit("AGE", cc.age)) + "\n")
	start, end := window(len(clusters), m.cursor[clustersPane], clusterRows)
	for i := start; i < end; i++ {
		b.WriteString(m.line(s, clustersPane, i, m.clusterRow(clusters[i], cc, s)) + "\n")
	}
	for i := end - start; i < clusterRows; i++ {
		if i == 0 && len(clusters) == 0 {
			b.WriteString(s.Dim.Render(m.emptyHint("no clusters: rok kube cluster register -k KUBECONFIG")) + "\n")
			continue
		}
		b.WriteString("\n")
	}

	ac := appColumns(m.width)
	b.WriteString(m.title(s, appsPane, fmt.Sprintf("APPLICATIONS (%d)", len(apps))) + "\n")
	b.WriteString(s.Header.Render("  "+fit("NAME", ac.name)+" "+fit("NAMESPACE", ac.ns)+" "+fit("STATE", ac.state)+" "+fit("CLUSTER", ac.cluster)+" "+fit("SERVICES", ac.services)+" "+fit("AGE", ac.age)) + "\n")
	start, end = window(len(apps), m.cursor[appsPane], appRows)
	for i := start; i < end; i++ {
		b.WriteString(m.line(s, appsPane, i, m.appRow(apps[i], ac, s)) + "\n")
	}
	for i := end - start; i < appRows; i++ {
		if i == 0 && len(apps) == 0 {
			b.WriteString(s.Dim.Render(m.emptyHint("no applications: rok kube app create NAME -f MANIFEST")) + "\n")
			continue
		}
		b.WriteString("\n")
	}

	b.WriteString(s.Title.Render("EVENTS") + "\n")
	for i := 0; i < eventRows; i++ {
		e := m.events[len(m.events)-1-i]
		b.WriteString(fit("  "+m.eventLine(e), m.width) + "\n")
	}
	b.WriteString(m.footer(s))
	return b.String()
}

// emptyHint explains an empty list: the filter, or how to fill it.
func (m Model) emptyHint(fill string) string {
	if m.filter != "" {
		return fit("  nothing matches /"+m.filter+" (esc clears the filter)", m.width)
	}
	return fit("  "+fill, m.width)
}

func (m Model) eventLine(e event) string {
	from := e.from
	if from == "" {
		from = "new"
	}
	return fmt.Sprintf("%s %s %s/%s %s → %s", e.at.Format("15:04:05"), e.kind, e.namespace, e.name, from, e.to)
}

func (m Model) title(s Styles, p pane, text string) string {
	if m.focus == p {
		return s.Title.Render("▸ " + text)
	}
	return s.Dim.Render("  " + text)
}

func (m Model) line(s Styles, p pane, i int, row string) string {
	if m.focus == p && m.cursor[p] == i {
		return s.Selected.Render("> " + row)
	}
	return "  " + row
}

func (m Model) footer(s Styles) string {
	switch {
	case m.confirm != "":
		return s.Banner.Render(fit("delete "+m.confirm+"? y to confirm, any other key to cancel", m.width))
	case m.filtering:
		return fit("/"+m.filter+"█  (text, !text, label=value; enter keeps, esc clears)", m.width)
	case m.commanding:
		return fit(":"+m.command+"█  (apps, clusters, ns NAME, all, q)", m.width)
	case m.flash != "":
		return fit(m.flash, m.width)
	case m.filter != "":
		return fit("filter: "+m.filter+"  (esc clears) • ? help", m.width)
	}
	return s.Dim.Render(fit("j/k move • tab pane • enter details • / filter • : jump • d delete • m move • y yaml • ? help • q quit", m.width))
}

func (m Model) selectedApp() *api.Application {
	apps := m.visibleApps()
	if m.focus != appsPane || m.cursor[appsPane] >= len(apps) {
		return nil
	}
	return apps[m.cursor[appsPane]]
}

func (m Model) selectedCluster() *api.Cluster {
	cl := m.visibleClusters()
	if m.focus != clustersPane || m.cursor[clustersPane] >= len(cl) {
		return nil
	}
	return cl[m.cursor[clustersPane]]
}

func (m Model) renderDetail(s Styles) string {
	var lines []string
	add := func(k, v string) { lines = append(lines, fit(fmt.Sprintf("  %-18s %s", k, v), m.width)) }
	if a := m.selectedApp(); a != nil {
		lines = append(lines, s.Title.Render("application "+a.Metadata.Namespace+"/"+a.Metadata.Name))
		add("state", s.state(a.Status.State).Render(a.Status.State))
		if r := a.Status.Reason; r != nil {
			add("reason", r.Code.String()+": "+r.Message)
		}
		if a.Status.RunningOn != nil {
			add("running on", a.Status.RunningOn.Name)
		} else if a.Status.ScheduledTo != nil {
			add("scheduled to", a.Status.ScheduledTo.Name)
		}
		add("services", orNone(services(a.Status.Services)))
		add("pods ready", fmt.Sprintf("%d of %d", a.Status.ContainerHealth.RunningPods, a.Status.ContainerHealth.DesiredPods))
		add("labels", orNone(labelString(a.Metadata.Labels)))
		add("constraints", orNone(strings.Join(slices.Concat(a.Spec.Constraints.Cluster.Labels, a.Spec.Constraints.Cluster.CustomResources, a.Spec.Constraints.Cluster.Metrics), ", ")))
		add("migration", fmt.Sprint(a.Spec.Constraints.Migration))
		add("created", a.Metadata.Created.Local().Format("2006-01-02 15:04:05")+" ("+age(m.now(), a.Metadata.Created)+" ago)")
		lines = append(lines, "", s.Title.Render("PLACEMENT (why this cluster)"))
		lines = append(lines, m.placementLines(key(a.Metadata.Namespace, a.Metadata.Name))...)
		lines = append(lines, "", s.Title.Render("OBJECTS"))
		lines = append(lines, m.objectLines(a, s)...)
		lines = append(lines, "", s.Title.Render("TIMELINE (since the UI started)"))
		lines = append(lines, m.timeline("application", a.Metadata.Namespace, a.Metadata.Name)...)
	} else if c := m.selectedCluster(); c != nil {
		lines = append(lines, s.Title.Render("cluster "+c.Metadata.Namespace+"/"+c.Metadata.Name))
		add("state", s.state(c.Status.State).Render(c.Status.State))
		if r := c.Status.Reason; r != nil {
			add("reason", r.Code.String()+": "+r.Message)
		}
		add("labels", orNone(labelString(c.Metadata.Labels)))
		add("custom resources", orNone(strings.Join(c.Spec.CustomResources, ", ")))
		var metrics []string
		for _, mr := range c.Spec.Metrics {
			metrics = append(metrics, fmt.Sprintf("%s (weight %g)", mr.Name, mr.Weight))
		}
		add("metrics", orNone(strings.Join(metrics, ", ")))
		lines = append(lines, "", s.Title.Render("NODES"))
		for _, n := range c.Status.Nodes {
			ready := "Unknown"
			for _, cond := range n.Conditions {
				if cond.Type == "Ready" {
					ready = cond.Status
				}
			}
			lines = append(lines, fit("  "+n.Name+"  Ready="+ready, m.width))
		}
		lines = append(lines, "", s.Title.Render("APPLICATIONS ON IT"))
		for _, a := range m.visibleAppsOn(c) {
			lines = append(lines, fit("  "+a.Metadata.Name+"  "+a.Status.State, m.width))
		}
		lines = append(lines, "", s.Title.Render("TIMELINE (since the UI started)"))
		lines = append(lines, m.timeline("cluster", c.Metadata.Namespace, c.Metadata.Name)...)
	}
	lines = append(lines, "", s.Dim.Render("esc back • y yaml"))
	return strings.Join(clip(lines, m.height), "\n")
}

func (m Model) placementLines(appKey string) []string {
	msg, ok := m.explanation[appKey]
	switch {
	case !ok:
		return []string{"  (asking the API ...)"}
	case msg.err != nil:
		return []string{fit("  explanation unavailable: "+msg.err.Error(), m.width)}
	case len(msg.explanation.Clusters) == 0:
		return []string{"  no cluster in the namespace"}
	}
	var out []string
	for _, r := range msg.explanation.Rows() {
		line := "  " + fit(r.Cluster, 16) + " " + fit(r.Result, 20) + " "
		if r.Score != "-" {
			line += "score " + r.Score + "  "
		}
		out = append(out, fit(line+strings.Join(r.Why, "  "), m.width))
	}
	return out
}

func (m Model) visibleAppsOn(c *api.Cluster) []*api.Application {
	var out []*api.Application
	for _, a := range m.visibleApps() {
		if ref := a.Status.RunningOn; ref != nil && ref.Namespace == c.Metadata.Namespace && ref.Name == c.Metadata.Name {
			out = append(out, a)
		}
	}
	return out
}

func (m Model) timeline(kind, namespace, name string) []string {
	var out []string
	for _, e := range m.events {
		if e.kind == kind && e.namespace == namespace && e.name == name {
			out = append(out, fit("  "+m.eventLine(e), m.width))
		}
	}
	if len(out) == 0 {
		out = append(out, "  (no transitions yet)")
	}
	return out
}

// objectLines are the app's objects with their health on the cluster,
// or the manifest's objects until the controller has reported them.
func (m Model) objectLines(a *api.Application, s Styles) []string {
	if len(a.Status.Objects) == 0 {
		var out []string
		for _, o := range manifestObjects(a) {
			out = append(out, fit("  "+o+"  (not applied yet)", m.width))
		}
		return out
	}
	var out []string
	for _, o := range a.Status.Objects {
		style := s.Good
		if !o.Healthy {
			style = s.Bad
		}
		out = append(out, "  "+fit(o.Kind+" "+o.Name, 32)+" "+style.Render(fit(o.Status, max(1, m.width-35))))
	}
	return out
}

func manifestObjects(a *api.Application) []string {
	var out []string
	for _, raw := range a.Spec.Manifest {
		var obj struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		_ = jsonUnmarshal(raw, &obj)
		out = append(out, obj.Kind+" "+obj.Metadata.Name)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func clip(lines []string, height int) []string {
	if height > 0 && len(lines) > height {
		return lines[:height]
	}
	return lines
}

func (m Model) renderYAML(s Styles) string {
	var obj any
	if a := m.selectedApp(); a != nil {
		obj = a
	} else if c := m.selectedCluster(); c != nil {
		obj = c
	}
	text := "(nothing selected)"
	if obj != nil && m.actions.YAML != nil {
		text = m.actions.YAML(obj)
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	lines = clip(lines, max(1, m.height-1))
	return strings.Join(lines, "\n") + "\n" + s.Dim.Render("esc back")
}

// help lists every key.
var help = [][2]string{
	{"j / k, ↓ / ↑", "move"}, {"g / G", "first / last row"}, {"tab", "switch between clusters and applications"},
	{"enter", "details of the selected row"}, {"esc", "back; clear the filter"}, {"/", "filter: text, !text (invert), label=value"},
	{":", "jump: :apps, :clusters, :ns NAME, :all, :q"}, {"d", "delete the selected row (asks first)"},
	{"m", "re-schedule now (retry, or move to a better cluster)"},
	{"y", "the selected object as YAML"}, {"?", "this help"}, {"q, ctrl+c", "quit"},
}

func (m Model) renderHelp(s Styles) string {
	lines := []string{s.Title.Render("KEYS")}
	for _, h := range help {
		lines = append(lines, fit(fmt.Sprintf("  %-14s %s", h[0], h[1]), m.width))
	}
	lines = append(lines, "", s.Dim.Render("esc back"))
	return strings.Join(clip(lines, m.height), "\n")
}
