package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	keymap "github.com/krake-go/krake/tui/keys"
	"github.com/krake-go/krake/tui/render"
	"github.com/krake-go/krake/tui/styles"
)

// helpView lists the keys (from the key map), the filter grammar and the
// `:` commands (from their table).
type helpView struct{ width, height int }

func (p *helpView) SetSize(w, h int) { p.width, p.height = w, h }

func (p helpView) Update(msg tea.KeyMsg, k keymap.KeyMap) intent {
	if key.Matches(msg, k.Back) {
		return intent{kind: back}
	}
	return intent{}
}

func (p helpView) View(k keymap.KeyMap, s styles.Styles) string {
	h := help.New()
	h.Styles, h.Width, h.FullSeparator = s.Help(), p.width, "    "
	lines := []string{s.Title.Render("KEYS")}
	for _, l := range strings.Split(h.FullHelpView(k.FullHelp()), "\n") {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "", s.Title.Render("FILTER (/)"))
	for _, f := range filterHelp {
		lines = append(lines, render.Fit(fmt.Sprintf("  %-14s %s", f[0], f[1]), p.width))
	}
	lines = append(lines, "", s.Title.Render("COMMANDS (:)"))
	for _, c := range commands {
		lines = append(lines, render.Fit(fmt.Sprintf("  %-14s %s", c.usage, c.help), p.width))
	}
	lines = append(lines, "", s.Dim.Render("esc back"))
	return strings.Join(render.Clip(lines, p.height), "\n")
}
