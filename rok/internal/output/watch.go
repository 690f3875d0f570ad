package output

import (
	"fmt"
	"io"
	"slices"

	"github.com/krake-go/krake/apiserver/api"
)

// Watch prints a live list (-w): the list first, then each change. On a
// terminal a table is redrawn whole; piped, each change is one more row;
// with -o json each change is an event line {"type", "object"}.
type Watch struct {
	p       *Printer
	out     io.Writer
	tty     bool
	kind    api.Kind
	current []api.Object
}

// NewWatch starts a live list of initial on out; tty is whether out is a
// terminal.
func (p *Printer) NewWatch(out io.Writer, tty bool, k api.Kind, initial []api.Object) (*Watch, error) {
	w := &Watch{p: p, out: out, tty: tty, kind: k, current: slices.Clone(initial)}
	if p.Format() == "json" {
		for _, obj := range w.current {
			if err := WriteEvent(out, api.Added, obj); err != nil {
				return nil, err
			}
		}
		return w, nil
	}
	return w, w.redraw()
}

func (w *Watch) redraw() error {
	if w.tty && !w.p.IsStructured() {
		fmt.Fprint(w.out, "\033[H\033[2J")
	}
	items := make([]any, len(w.current))
	for i, obj := range w.current {
		items[i] = obj
	}
	return w.p.PrintList(w.out, w.kind, items)
}

// Event records one change and prints it.
func (w *Watch) Event(typ string, obj api.Object) error {
	key := func(o api.Object) string { return o.GetMetadata().Namespace + "/" + o.GetMetadata().Name }
	i := slices.IndexFunc(w.current, func(o api.Object) bool { return key(o) == key(obj) })
	switch {
	case typ == api.Deleted && i >= 0:
		w.current = slices.Delete(w.current, i, i+1)
	case typ != api.Deleted && i >= 0:
		w.current[i] = obj
	case typ != api.Deleted:
		w.current = append(w.current, obj)
	}
	switch {
	case w.p.Format() == "json":
		return WriteEvent(w.out, typ, obj)
	case w.tty:
		return w.redraw()
	}
	// Piped, as kubectl -w: the list's header once, then a row per change,
	// so `rok ... list -w | grep` sees rows only.
	rows := *w.p
	rows.opts.NoHeaders = true
	return rows.PrintList(w.out, w.kind, []any{obj})
}
