package output_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/rok/internal/output"
)

// TestWatch_piped: piped, a live list prints the header once, then one
// row per change, as kubectl -w.
func TestWatch_piped(t *testing.T) {
	kind := api.MustKind("kubernetes", "Application")
	app := func(name, state string) api.Object {
		a := kind.New().(*api.Application)
		a.Metadata.Namespace, a.Metadata.Name, a.Status.State = "dev", name, state
		return a
	}
	p, err := output.New(output.Options{Format: "table"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w, err := p.NewWatch(&out, false, kind, []api.Object{app("first", api.StatePending)})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []struct {
		typ string
		obj api.Object
	}{{api.Added, app("second", api.StatePending)}, {api.Modified, app("first", api.StateRunning)}, {api.Deleted, app("second", api.StatePending)}} {
		if err := w.Event(ev.typ, ev.obj); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	var got []string
	for _, l := range lines {
		f := strings.Split(l, "\t")
		got = append(got, f[0]+" "+f[len(f)-1])
	}
	want := "name state,first PENDING,second PENDING,first RUNNING,second PENDING"
	if strings.Join(got, ",") != want {
		t.Errorf("piped watch printed:\n%s\nwant rows %s", out.String(), want)
	}
}
