package keys_test

import (
	"testing"

	"github.com/charmbracelet/bubbles/key"

	"github.com/krake-go/krake/tui/keys"
)

// TestKeyMap checks that the help page lists every key of the footer and
// that no key of the overview does two things.
func TestKeyMap(t *testing.T) {
	k := keys.Default()
	listed := map[string]bool{}
	for _, group := range k.FullHelp() {
		for _, b := range group {
			if b.Help().Key == "" || b.Help().Desc == "" {
				t.Errorf("binding %v has no help text", b.Keys())
			}
			listed[b.Help().Key] = true
		}
	}
	for _, b := range k.ShortHelp() {
		if b.Help().Key != k.Navigate.Help().Key && !listed[b.Help().Key] {
			t.Errorf("footer key %q is not on the help page", b.Help().Key)
		}
	}
	overview := []key.Binding{k.Down, k.Up, k.Top, k.Bottom, k.Pane, k.Open, k.YAML, k.Filter, k.Command, k.Clear, k.Delete, k.Move, k.Help, k.Quit, k.ForceQuit}
	owner := map[string]string{}
	for _, b := range overview {
		for _, name := range b.Keys() {
			if other, ok := owner[name]; ok {
				t.Errorf("key %q is bound to both %q and %q on the overview", name, other, b.Help().Desc)
			}
			owner[name] = b.Help().Desc
		}
	}
}
