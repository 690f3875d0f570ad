package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/krake-go/krake/apiserver/api"
	keymap "github.com/krake-go/krake/tui/keys"
	"github.com/krake-go/krake/tui/render"
)

// detail is the page of one application or cluster: its facts, placement,
// objects and timeline, kept live from the cache.
type detail struct {
	target        target
	width, height int
}

func (p *detail) SetSize(w, h int) { p.width, p.height = w, h }

func (p detail) Update(msg tea.KeyMsg, k keymap.KeyMap) intent {
	switch {
	case key.Matches(msg, k.YAML):
		return intent{kind: showYAML, target: p.target}
	case key.Matches(msg, k.Back):
		return intent{kind: back}
	}
	return intent{}
}

// ViewApp draws the page of application a (ok false: it is gone).
func (p detail) ViewApp(a *api.Application, ok bool, d pageData) string {
	if !ok {
		return p.gone(d)
	}
	s := d.styles
	lines := render.AppFields(a, d.now, p.width, s)
	e, err, answered := d.explained(a.Metadata.Namespace + "/" + a.Metadata.Name)
	lines = append(lines, "", s.Title.Render("PLACEMENT (why this cluster)"))
	lines = append(lines, render.Placement(e, err, answered, p.width)...)
	lines = append(lines, "", s.Title.Render("OBJECTS"))
	lines = append(lines, render.Objects(a, p.width, s)...)
	return p.finish(lines, d)
}

// ViewCluster draws the page of cluster c (ok false: it is gone).
func (p detail) ViewCluster(c *api.Cluster, ok bool, d pageData) string {
	if !ok {
		return p.gone(d)
	}
	var on []*api.Application
	for _, a := range d.apps {
		if render.RunsOn(a, c) {
			on = append(on, a)
		}
	}
	return p.finish(render.ClusterFields(c, on, p.width, d.styles), d)
}

// finish adds the timeline and the footer, cut to the screen.
func (p detail) finish(lines []string, d pageData) string {
	s := d.styles
	lines = append(lines, "", s.Title.Render("TIMELINE (since the UI started)"))
	lines = append(lines, render.Timeline(d.events, p.target.kind, p.target.namespace, p.target.name, p.width)...)
	lines = append(lines, "", shortHelp(d.keys.DetailHelp(), p.width, s))
	return strings.Join(render.Clip(lines, p.height), "\n")
}

func (p detail) gone(d pageData) string {
	return strings.Join([]string{d.styles.Title.Render(p.target.String()), "  (removed)", "", shortHelp(d.keys.DetailHelp(), p.width, d.styles)}, "\n")
}
