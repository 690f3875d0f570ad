package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	keymap "github.com/krake-go/krake/tui/keys"
	"github.com/krake-go/krake/tui/render"
	"github.com/krake-go/krake/tui/styles"
)

// pane is the list that has the focus.
type pane int

const (
	appsPane pane = iota
	clustersPane
)

// overview is the first page: clusters, applications and the latest
// transitions, one list focused.
type overview struct {
	focus         pane
	cursor        [2]int
	width, height int
}

func (o *overview) SetSize(w, h int) { o.width, o.height = w, h }

func (o *overview) resetCursor() { o.cursor = [2]int{} }

// clamp keeps each cursor on a row of its list.
func (o *overview) clamp(apps, clusters int) {
	for p, n := range [2]int{apps, clusters} {
		if o.cursor[p] >= n {
			o.cursor[p] = max(0, n-1)
		}
	}
}

// selected is the row under the focused cursor.
func (o overview) selected(d pageData) (target, bool) {
	if o.focus == appsPane {
		if i := o.cursor[appsPane]; i < len(d.apps) {
			return targetOf("application", d.apps[i]), true
		}
		return target{}, false
	}
	if i := o.cursor[clustersPane]; i < len(d.clusters) {
		return targetOf("cluster", d.clusters[i]), true
	}
	return target{}, false
}

// Update moves the cursor or turns a key into an intent.
func (o overview) Update(msg tea.KeyMsg, k keymap.KeyMap, d pageData) (overview, intent) {
	p := o.focus
	rows := len(d.apps)
	if p == clustersPane {
		rows = len(d.clusters)
	}
	sel, ok := o.selected(d)
	switch {
	case key.Matches(msg, k.Quit):
		return o, intent{kind: quit}
	case key.Matches(msg, k.Down):
		if o.cursor[p] < rows-1 {
			o.cursor[p]++
		}
	case key.Matches(msg, k.Up):
		if o.cursor[p] > 0 {
			o.cursor[p]--
		}
	case key.Matches(msg, k.Top):
		o.cursor[p] = 0
	case key.Matches(msg, k.Bottom):
		o.cursor[p] = max(0, rows-1)
	case key.Matches(msg, k.Pane):
		o.focus = 1 - o.focus
	case key.Matches(msg, k.Open) && ok:
		return o, intent{kind: open, target: sel}
	case key.Matches(msg, k.Move) && ok && sel.kind == "application":
		return o, intent{kind: moveApp, target: sel}
	case key.Matches(msg, k.YAML) && ok:
		return o, intent{kind: showYAML, target: sel}
	case key.Matches(msg, k.Help):
		return o, intent{kind: showHelp}
	case key.Matches(msg, k.Filter):
		return o, intent{kind: startFilter}
	case key.Matches(msg, k.Command):
		return o, intent{kind: startCommand}
	case key.Matches(msg, k.Clear):
		return o, intent{kind: clear}
	case key.Matches(msg, k.Delete) && ok:
		return o, intent{kind: askDelete, target: sel}
	}
	return o, intent{}
}

// View draws the page; footer is its last line.
func (o overview) View(d pageData, footer string) string {
	s := d.styles
	var b strings.Builder
	ns := d.namespace
	if ns == "" {
		ns = "all namespaces"
	}
	header := s.Title.Render("Krake") + "  " + render.Fit("ns: "+ns, 30) + " " + s.Dim.Render(d.apiURL)
	b.WriteString(render.Fit(header, o.width+len(header)-lipgloss.Width(header)) + "\n")
	used := 1
	if d.disconnected != nil {
		b.WriteString(s.Banner.Render(render.Fit("API unreachable, reconnecting: "+d.disconnected.Error(), o.width)) + "\n")
		used++
	}
	eventRows := min(4, len(d.events))
	// Lines left for rows: total minus titles, headers, events block, footer.
	free := max(2, o.height-used-4-(max(1, eventRows)+1)-1)
	clusterRows := min(len(d.clusters), max(1, free/3))
	if len(d.clusters) == 0 {
		clusterRows = 1
	}
	appRows := max(1, free-clusterRows)

	cc := render.ClusterColumns(o.width)
	clusterLines := make([]string, 0, clusterRows)
	start, end := render.Window(len(d.clusters), o.cursor[clustersPane], clusterRows)
	for i := start; i < end; i++ {
		apps := 0
		for _, a := range d.apps {
			if render.RunsOn(a, d.clusters[i]) {
				apps++
			}
		}
		clusterLines = append(clusterLines, o.line(s, clustersPane, i, render.ClusterRow(d.clusters[i], apps, cc, d.now, s)))
	}
	o.list(&b, s, clustersPane, fmt.Sprintf("CLUSTERS (%d)", len(d.clusters)), cc, clusterLines, clusterRows,
		o.emptyHint(d.filter, "no clusters: rok kube cluster register -k KUBECONFIG"))

	ac := render.AppColumns(o.width)
	appLines := make([]string, 0, appRows)
	start, end = render.Window(len(d.apps), o.cursor[appsPane], appRows)
	for i := start; i < end; i++ {
		appLines = append(appLines, o.line(s, appsPane, i, render.AppRow(d.apps[i], ac, d.now, s)))
	}
	o.list(&b, s, appsPane, fmt.Sprintf("APPLICATIONS (%d)", len(d.apps)), ac, appLines, appRows,
		o.emptyHint(d.filter, "no applications: rok kube app create NAME -f MANIFEST"))

	b.WriteString(s.Title.Render("EVENTS") + "\n")
	for i := range eventRows {
		b.WriteString(render.Fit("  "+d.events[len(d.events)-1-i].Line(), o.width) + "\n")
	}
	if eventRows == 0 {
		b.WriteString(s.Dim.Render(render.Fit("  changes of state since the UI started show here", o.width)) + "\n")
	}
	b.WriteString(footer)
	return b.String()
}

// list writes a titled list of rows lines, padded to height, with hint
// in place of an empty list.
func (o overview) list(b *strings.Builder, s styles.Styles, p pane, title string, cols render.Columns, lines []string, height int, hint string) {
	if o.focus == p {
		b.WriteString(s.Title.Render("▸ "+title) + "\n")
	} else {
		b.WriteString(s.Dim.Render("  "+title) + "\n")
	}
	b.WriteString(s.Header.Render(cols.Header()) + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	for i := len(lines); i < height; i++ {
		if i == 0 {
			b.WriteString(s.Dim.Render(hint) + "\n")
			continue
		}
		b.WriteString("\n")
	}
}

// emptyHint explains an empty list: the filter, or how to fill it.
func (o overview) emptyHint(filter, fill string) string {
	if filter != "" {
		return render.Fit("  nothing matches /"+filter+" (esc clears the filter)", o.width)
	}
	return render.Fit("  "+fill, o.width)
}

func (o overview) line(s styles.Styles, p pane, i int, row string) string {
	if o.focus == p && o.cursor[p] == i {
		return s.Selected.Render("> " + row)
	}
	return "  " + row
}

// shortHelp is a one-line list of bindings, cut to width.
func shortHelp(bindings []key.Binding, width int, s styles.Styles) string {
	h := help.New()
	h.Styles, h.Width = s.Help(), width
	return h.ShortHelpView(bindings)
}
