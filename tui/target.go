package tui

import (
	"time"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	keymap "github.com/krake-go/krake/tui/keys"
	"github.com/krake-go/krake/tui/render"
	"github.com/krake-go/krake/tui/styles"
)

// target names one object on screen: "application/ns/name".
type target struct{ kind, namespace, name string }

func targetOf(kind string, obj api.Object) target {
	meta := obj.GetMetadata()
	return target{kind: kind, namespace: meta.Namespace, name: meta.Name}
}

func (t target) String() string { return t.kind + "/" + t.namespace + "/" + t.name }

// intent is what a page asks the model to do after a key: pages decide,
// the model navigates and runs side effects.
type intent struct {
	kind   intentKind
	target target
}

type intentKind int

const (
	none intentKind = iota
	quit
	back
	open
	showYAML
	showHelp
	startFilter
	startCommand
	clear
	askDelete
	moveApp
)

// pageData is what the pages read besides their own state.
type pageData struct {
	apps         []*api.Application // visible, sorted
	clusters     []*api.Cluster     // visible, sorted
	events       []render.Event
	explanation  map[string]explainMsg
	now          time.Time
	styles       styles.Styles
	keys         keymap.KeyMap
	namespace    string
	filter       string
	apiURL       string
	disconnected error
}

// explained is the explanation of app key, once the API answered.
func (d pageData) explained(key string) (*placement.Explanation, error, bool) {
	e, ok := d.explanation[key]
	return e.explanation, e.err, ok
}
