// Package styles holds the dashboard's colours, bound to one renderer so
// that NO_COLOR and the terminal's profile are honoured everywhere.
package styles

import (
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"

	"github.com/krake-go/krake/apiserver/api"
)

// Styles are the UI's colours; with an ASCII profile they render plain text.
type Styles struct {
	Plain, Title, Header, Selected, Dim, Good, Bad, Busy, Banner lipgloss.Style
}

// New binds the styles to r.
func New(r *lipgloss.Renderer) Styles {
	return Styles{
		Plain:    r.NewStyle(),
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

// State is the colour of a lifecycle state: api.HealthOf decides, as it
// does for rok's tables.
func (s Styles) State(state string) lipgloss.Style {
	switch api.HealthOf(state) {
	case api.HealthGood:
		return s.Good
	case api.HealthBad:
		return s.Bad
	}
	return s.Busy
}

// Help styles the key lists (footer and help page) with these colours.
func (s Styles) Help() help.Styles {
	return help.Styles{
		ShortKey: s.Dim, ShortDesc: s.Dim, ShortSeparator: s.Dim, Ellipsis: s.Dim,
		FullKey: s.Title, FullDesc: s.Plain, FullSeparator: s.Dim,
	}
}
