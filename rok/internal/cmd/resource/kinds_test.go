package resource_test

import (
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/rok/internal/cmd/resource"
	"github.com/krake-go/krake/rok/internal/cmd/root"
)

// TestCommands checks rok's table of kinds against api.Kinds, and the
// generated tree against the table: every kind has one row, every row its
// group with the five verbs, and no name or alias is taken twice.
func TestCommands(t *testing.T) {
	rows := map[string]resource.Command{}
	for _, c := range resource.Commands {
		if _, ok := api.KindFor(c.API, c.Kind); !ok {
			t.Errorf("row %s/%s names no kind of api.Kinds", c.API, c.Kind)
		}
		if _, dup := rows[c.API+"/"+c.Kind]; dup {
			t.Errorf("kind %s/%s has two rows", c.API, c.Kind)
		}
		rows[c.API+"/"+c.Kind] = c
	}
	for _, k := range api.Kinds {
		if _, ok := rows[k.String()]; !ok {
			t.Errorf("kind %s has no rok command: add a row to resource.Commands", k)
		}
	}
	tree := root.New(testFactory(), "test")
	for _, topic := range resource.Topics {
		taken := map[string]string{}
		for _, c := range resource.Commands {
			if c.API != topic.API {
				continue
			}
			for _, name := range append([]string{c.Use}, c.Aliases...) {
				if other, ok := taken[name]; ok {
					t.Errorf("rok %s %s: both %s and %s", topic.Use, name, other, c.Kind)
				}
				taken[name] = c.Kind
			}
			create := "create"
			if c.Register {
				create = "register"
			}
			for _, verb := range []string{create, "list", "get", "update", "delete"} {
				path := []string{topic.Use, c.Use, verb}
				found, rest, err := tree.Find(path)
				if err != nil || len(rest) > 0 || found.Name() != verb {
					t.Errorf("rok %s: not found (%v)", strings.Join(path, " "), err)
				}
			}
			// An alias reaches the same group.
			for _, alias := range c.Aliases {
				found, _, err := tree.Find([]string{topic.Use, alias})
				if err != nil || found.Name() != c.Use {
					t.Errorf("rok %s %s does not reach %s", topic.Use, alias, c.Use)
				}
			}
		}
	}
}
