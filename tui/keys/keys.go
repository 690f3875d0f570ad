// Package keys is the dashboard's one key map: the pages match keys
// against it, and the footer and the help page are drawn from it, so a key
// is listed in one place only.
package keys

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every binding of `rok ui`.
type KeyMap struct {
	Navigate, Down, Up, Top, Bottom, Pane key.Binding
	Open, Back, Clear, YAML               key.Binding
	Filter, Command, Delete, Move         key.Binding
	Help, Quit, ForceQuit, Confirm        key.Binding
	PromptAccept, PromptCancel            key.Binding
}

// Default is the key map: vi keys and arrows, as in k9s.
func Default() KeyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return KeyMap{
		Navigate:     b("j/k", "move", "j", "k", "down", "up"), // the footer's summary of Down and Up
		Down:         b("j/↓", "down", "j", "down"),
		Up:           b("k/↑", "up", "k", "up"),
		Top:          b("g", "first row", "g", "home"),
		Bottom:       b("G", "last row", "G", "end"),
		Pane:         b("tab", "pane", "tab"),
		Open:         b("enter", "details", "enter"),
		Back:         b("esc", "back", "esc", "q", "enter", "backspace"),
		Clear:        b("esc", "clear filter", "esc"),
		YAML:         b("y", "yaml", "y"),
		Filter:       b("/", "filter", "/"),
		Command:      b(":", "jump", ":"),
		Delete:       b("d", "delete", "d"),
		Move:         b("m", "move", "m"),
		Help:         b("?", "help", "?"),
		Quit:         b("q", "quit", "q"),
		ForceQuit:    b("ctrl+c", "quit", "ctrl+c"),
		Confirm:      b("y", "confirm", "y", "Y"),
		PromptAccept: b("enter", "keep", "enter"),
		PromptCancel: b("esc", "clear", "esc"),
	}
}

// ShortHelp is the overview's footer.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Navigate, k.Pane, k.Open, k.Filter, k.Command, k.Delete, k.Move, k.YAML, k.Help, k.Quit}
}

// FullHelp is the help page, in columns.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Down, k.Up, k.Top, k.Bottom, k.Pane},
		{k.Open, k.Back, k.YAML, k.Filter, k.Clear},
		{k.Command, k.Delete, k.Move, k.Help, k.Quit},
	}
}

// DetailHelp is the footer of the detail pages.
func (k KeyMap) DetailHelp() []key.Binding { return []key.Binding{k.Back, k.YAML} }
