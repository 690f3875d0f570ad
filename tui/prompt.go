package tui

import (
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	keymap "github.com/krake-go/krake/tui/keys"
	"github.com/krake-go/krake/tui/styles"
)

// promptKind is what the bottom-line prompt is for.
type promptKind int

const (
	noPrompt promptKind = iota
	filterPrompt
	commandPrompt
)

// promptEnd says how a key left the prompt.
type promptEnd int

const (
	typing promptEnd = iota
	accepted
	cancelled
)

// prompt is the `/` or `:` line, a bubbles textinput.
type prompt struct {
	kind  promptKind
	input textinput.Model
	width int
}

func (p *prompt) SetSize(w int) { p.width = w }

func (p prompt) active() bool { return p.kind != noPrompt }

// start opens the prompt empty and focused; the cursor does not blink, so
// frames change only when something does.
func (p *prompt) start(kind promptKind, s styles.Styles) tea.Cmd {
	in := textinput.New()
	in.Prompt = "/"
	if kind == commandPrompt {
		in.Prompt = ":"
		in.ShowSuggestions = true
		in.SetSuggestions(commandNames())
	}
	in.PromptStyle, in.TextStyle, in.PlaceholderStyle, in.CompletionStyle = s.Plain, s.Plain, s.Dim, s.Dim
	in.Cursor.Style, in.Cursor.TextStyle = s.Selected, s.Plain
	in.Cursor.SetMode(cursor.CursorStatic)
	p.kind, p.input = kind, in
	return p.input.Focus()
}

// Update types msg into the prompt; it returns the text and whether the
// prompt was accepted or cancelled (and so closed).
func (p *prompt) Update(msg tea.KeyMsg, k keymap.KeyMap) (string, promptEnd, tea.Cmd) {
	switch {
	case key.Matches(msg, k.PromptAccept):
		value := p.input.Value()
		p.kind = noPrompt
		return value, accepted, nil
	case key.Matches(msg, k.PromptCancel):
		p.kind = noPrompt
		return "", cancelled, nil
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return p.input.Value(), typing, cmd
}

// View is the prompt line with what it accepts.
func (p prompt) View() string {
	hint := "  (text, !text, label=value; enter keeps, esc clears)"
	if p.kind == commandPrompt {
		hint = "  (" + strings.Join(commandNames(), ", ") + "; tab completes)"
	}
	return fitStyled(p.input.View()+hint, p.width)
}

// fitStyled is render.Fit for text that may hold colour sequences.
func fitStyled(s string, w int) string {
	if lipgloss.Width(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-lipgloss.Width(s))
}

// filter is `/` input: a substring of name or state, `!` to invert,
// `label=value` to match a label.
type filter struct {
	text   string
	invert bool
	label  string
	value  string
}

// filterHelp is the grammar, for the help page.
var filterHelp = [][2]string{
	{"text", "name or state contains text"},
	{"!text", "name and state do not contain text"},
	{"label=value", "the label has that value (!label=value: it has not)"},
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

// command is one `:` command: the help page, the prompt's suggestions and
// its error message are all drawn from this table.
type command struct {
	names []string // the first is the one shown
	usage string
	help  string
	args  int // words after the name
	run   func(m Model, args []string) (Model, tea.Cmd)
}

var commands = []command{
	{names: []string{"apps", "app", "applications"}, usage: ":apps", help: "show the applications",
		run: func(m Model, _ []string) (Model, tea.Cmd) {
			m.overview.focus, m.page = appsPane, overviewPage
			return m, nil
		}},
	{names: []string{"clusters", "cluster"}, usage: ":clusters", help: "show the clusters",
		run: func(m Model, _ []string) (Model, tea.Cmd) {
			m.overview.focus, m.page = clustersPane, overviewPage
			return m, nil
		}},
	{names: []string{"ns"}, usage: ":ns NAME", help: "one namespace (:ns all for every namespace)", args: 1,
		run: func(m Model, args []string) (Model, tea.Cmd) {
			m.namespace = args[0]
			if args[0] == "all" || args[0] == "-A" {
				m.namespace = ""
			}
			m.overview.resetCursor()
			return m, nil
		}},
	{names: []string{"all"}, usage: ":all", help: "every namespace",
		run: func(m Model, _ []string) (Model, tea.Cmd) {
			m.namespace = ""
			m.overview.resetCursor()
			return m, nil
		}},
	{names: []string{"q", "quit"}, usage: ":q", help: "quit",
		run: func(m Model, _ []string) (Model, tea.Cmd) { return m, tea.Quit }},
}

func commandNames() []string {
	out := make([]string, len(commands))
	for i, c := range commands {
		out[i] = c.names[0]
	}
	return out
}

// command runs a `:` line.
func (m Model) command(line string) (tea.Model, tea.Cmd) {
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return m, nil
	}
	for _, c := range commands {
		if slices.Contains(c.names, fields[0]) && len(fields)-1 == c.args {
			return c.run(m, fields[1:])
		}
	}
	// A prefix of exactly one command's name is that command (:cl).
	var match []command
	for _, c := range commands {
		if strings.HasPrefix(c.names[0], fields[0]) && len(fields)-1 == c.args {
			match = append(match, c)
		}
	}
	if len(match) == 1 {
		return match[0].run(m, fields[1:])
	}
	usages := make([]string, len(commands))
	for i, c := range commands {
		usages[i] = c.usage
	}
	m.say("unknown command :" + line + " (try " + strings.Join(usages, ", ") + ")")
	return m, nil
}
