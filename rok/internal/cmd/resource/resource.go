// Package resource builds rok's verbs (create, list, get, update, delete)
// for any kind of the registry; kind packages add their flags through
// Fields and extra verbs of their own.
//
// Each verb follows gh's shape: NewCmdX parses argv into XOptions and
// hands them to runF (the real runX unless a test passes its own), so the
// argv -> options step is tested without a server (TestNewCmdX).
package resource

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/output"
)

// Fields are a kind's create/update flags.
type Fields interface {
	// AddFlags declares the flags; update adds the --remove-existing-* ones.
	AddFlags(fs *pflag.FlagSet, update bool)
	// Apply sets the flags the user gave onto obj (new on create, the
	// stored object on update).
	Apply(obj api.Object, fs *pflag.FlagSet, update bool) error
}

// Spec describes one kind's command group.
type Spec struct {
	Kind    api.Kind
	Use     string
	Aliases []string
	Short   string
	Fields  Fields
	// Create names the create verb ("create", or "register" for clusters);
	// NameFromFields lets Fields choose the name when none is given.
	Create         string
	NameFromFields bool
	// Wait enables --wait[=STATE] on create, update and delete.
	Wait bool
	// Examples per verb.
	Examples map[string]string
	// Explain, when set, makes create --dry-run print where the object
	// would go (applications) instead of the object.
	Explain ExplainFunc
}

// ExplainFunc asks the server where obj would be placed.
type ExplainFunc func(ctx context.Context, c *client.Client, obj api.Object) (*placement.Explanation, error)

// NewTopic returns a command that only groups others (`rok kube`, `rok
// core`): without a subcommand it prints its help.
func NewTopic(use string, aliases []string, short string, children ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:     use,
		Aliases: aliases,
		Short:   short,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(children...)
	return cmd
}

// NewGroup returns `rok <api> <kind>` with its verbs.
func NewGroup(f *cmdutil.Factory, spec Spec, extra ...*cobra.Command) *cobra.Command {
	if spec.Create == "" {
		spec.Create = "create"
	}
	group := NewTopic(spec.Use, spec.Aliases, spec.Short,
		NewCmdCreate(f, spec, nil), NewCmdList(f, spec, nil), NewCmdGet(f, spec, nil), NewCmdUpdate(f, spec, nil), NewCmdDelete(f, spec, nil))
	group.AddCommand(extra...)
	return group
}

// watchList prints list, then every change until ctx ends. On a terminal
// the table is redrawn; otherwise each change is printed once (a row, or
// an event line with -o json).
func watchList(ctx context.Context, f *cmdutil.Factory, k api.Kind, res *client.Resource[api.Object], printer *output.Printer, list *api.List[api.Object], selector, name string) error {
	live, err := printer.NewWatch(f.IO.Out, f.IO.IsStdoutTTY(), k, list.Items)
	if err != nil {
		return err
	}
	for ev := range res.Watch(ctx, client.WatchOptions{ResourceVersion: list.Metadata.ResourceVersion, LabelSelector: selector}) {
		if ev.Err != nil {
			return ev.Err
		}
		if name != "" && ev.Object.GetMetadata().Name != name {
			continue
		}
		if err := live.Event(ev.Type, ev.Object); err != nil {
			return err
		}
	}
	return ctx.Err()
}

func singular(k api.Kind) string {
	var b strings.Builder
	for i, r := range k.Kind {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return strings.ToLower(b.String())
}

func plural(k api.Kind) string {
	s := singular(k)
	if strings.HasSuffix(s, "y") {
		return s[:len(s)-1] + "ies"
	}
	return s + "s"
}

// listPage is how many objects rok asks for per request of a list.
const listPage = 500

// resourceFor returns the client of the kind in the namespace.
func resourceFor(f *cmdutil.Factory, k api.Kind, allNamespaces bool) (*client.Resource[api.Object], string, error) {
	c, err := f.Client()
	if err != nil {
		return nil, "", err
	}
	ns := ""
	if k.Namespaced && !allNamespaces {
		if ns, err = f.Namespace(); err != nil {
			return nil, "", err
		}
	}
	return client.For[api.Object](c, k, ns), ns, nil
}

func example(spec Spec, verb string) string { return spec.Examples[verb] }
