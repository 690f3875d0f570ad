package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	keymap "github.com/krake-go/krake/tui/keys"
	"github.com/krake-go/krake/tui/render"
	"github.com/krake-go/krake/tui/styles"
)

// yamlView is the page of one object as YAML.
type yamlView struct {
	target        target
	width, height int
}

func (p *yamlView) SetSize(w, h int) { p.width, p.height = w, h }

func (p yamlView) Update(msg tea.KeyMsg, k keymap.KeyMap) intent {
	if key.Matches(msg, k.Back) {
		return intent{kind: back}
	}
	return intent{}
}

// View draws obj (nil: gone) through toYAML.
func (p yamlView) View(obj any, toYAML func(any) string, s styles.Styles) string {
	text := "(nothing selected)"
	if obj != nil && toYAML != nil {
		text = toYAML(obj)
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	lines = render.Clip(lines, max(1, p.height-1))
	return strings.Join(lines, "\n") + "\n" + s.Dim.Render("esc back")
}
