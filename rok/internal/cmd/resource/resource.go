// Package resource builds rok's verbs (create, list, get, update, delete)
// for any kind of the registry; kind packages add their flags through
// Fields and extra verbs of their own.
package resource

import (
	"context"
	"fmt"
	"strings"
	"time"

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
	Explain func(ctx context.Context, c *client.Client, obj api.Object) (*placement.Explanation, error)
}

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
		newCreate(f, spec), newList(f, spec), newGet(f, spec), newUpdate(f, spec), newDelete(f, spec))
	group.AddCommand(extra...)
	return group
}

// outputFlags are -o and friends.
type outputFlags struct {
	format    string
	noHeaders bool
	sortBy    string
}

func (o *outputFlags) add(cmd *cobra.Command, list bool) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "table", "output format: table, wide, json, yaml, name, jsonpath=EXPR")
	_ = cmd.RegisterFlagCompletionFunc("output", cmdutil.CompleteValues(output.Formats...))
	if list {
		cmd.Flags().BoolVar(&o.noHeaders, "no-headers", false, "omit the table header")
		cmd.Flags().StringVar(&o.sortBy, "sort-by", "", "sort a list by a JSONPath, e.g. .metadata.created")
	}
}

func (o *outputFlags) printer(f *cmdutil.Factory) (*output.Printer, error) {
	p, err := output.New(output.Options{Format: o.format, NoHeaders: o.noHeaders, SortBy: o.sortBy,
		TTY: f.IO.IsStdoutTTY(), Color: f.IO.ColorEnabled()})
	if err != nil {
		return nil, &cmdutil.FlagError{Err: err}
	}
	return p, nil
}

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

func newList(f *cmdutil.Factory, spec Spec) *cobra.Command {
	var out outputFlags
	var allNamespaces, watch bool
	var selector string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List " + plural(spec.Kind),
		Example: example(spec, "list"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			printer, err := out.printer(f)
			if err != nil {
				return err
			}
			res, _, err := resourceFor(f, spec.Kind, allNamespaces)
			if err != nil {
				return err
			}
			// Pages of listPage: the server and rok hold one page at a time.
			opts := client.ListOptions{LabelSelector: selector, Limit: listPage}
			if !watch && !printer.NeedsTyped() {
				// Tables, names and jsonpath read generic JSON: skip the
				// typed decode (a list of 1,000 is then about twice as fast).
				list, err := res.ListAllJSON(cmd.Context(), opts)
				if err != nil {
					return err
				}
				return printer.PrintList(f.IO.Out, spec.Kind, anys(list.Items))
			}
			list, err := res.ListAll(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if watch {
				return watchList(cmd.Context(), f, spec.Kind, res, printer, list, selector, "")
			}
			return printer.PrintList(f.IO.Out, spec.Kind, anys(list.Items))
		},
	}
	out.add(cmd, true)
	if spec.Kind.Namespaced {
		cmd.Flags().BoolVarP(&allNamespaces, "all-namespaces", "A", false, "list across all namespaces")
	}
	cmd.Flags().StringVarP(&selector, "selector", "l", "", "label selector, e.g. app=echo,tier in (gold,silver)")
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "after listing, keep printing changes")
	return cmd
}

// anys is items as []any, which the printers take.
func anys[T any](items []T) []any {
	out := make([]any, len(items))
	for i, item := range items {
		out[i] = item
	}
	return out
}

func newGet(f *cmdutil.Factory, spec Spec) *cobra.Command {
	var out outputFlags
	var watch bool
	cmd := &cobra.Command{
		Use:               "get NAME",
		Short:             "Show one " + singular(spec.Kind),
		Example:           example(spec, "get"),
		Args:              exactName(spec.Kind),
		ValidArgsFunction: cmdutil.CompleteNames(f, spec.Kind),
		RunE: func(cmd *cobra.Command, args []string) error {
			printer, err := out.printer(f)
			if err != nil {
				return err
			}
			res, _, err := resourceFor(f, spec.Kind, false)
			if err != nil {
				return err
			}
			obj, err := res.Get(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if watch {
				list := &api.List[api.Object]{Items: []api.Object{obj}, Metadata: api.ListMetadata{ResourceVersion: obj.GetMetadata().ResourceVersion}}
				return watchList(cmd.Context(), f, spec.Kind, res, printer, list, "", args[0])
			}
			return printer.PrintObject(f.IO.Out, spec.Kind, obj)
		},
	}
	out.add(cmd, false)
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "keep printing the object as it changes")
	return cmd
}

func exactName(k api.Kind) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch len(args) {
		case 1:
			return nil
		case 0:
			return cmdutil.FlagErrorf("give the name of the %s", singular(k))
		}
		return cmdutil.FlagErrorf("expected one name, got %d: %s", len(args), strings.Join(args, " "))
	}
}

// waitFlags are --wait[=STATE] and --timeout.
type waitFlags struct {
	state   string
	timeout time.Duration
}

func (w *waitFlags) add(cmd *cobra.Command, def string) {
	cmd.Flags().StringVar(&w.state, "wait", "", "wait until the state is reached (bare --wait: "+def+")")
	cmd.Flags().Lookup("wait").NoOptDefVal = def
	cmd.Flags().DurationVar(&w.timeout, "timeout", 2*time.Minute, "how long --wait waits")
	_ = cmd.RegisterFlagCompletionFunc("wait", cmdutil.CompleteValues(api.StateRunning, api.StateOnline, api.StateDeleted, api.StateFailed, api.StateDegraded))
}

func (w *waitFlags) options() (client.WriteOptions, error) {
	if w.state == "" {
		return client.WriteOptions{}, nil
	}
	if w.timeout <= 0 || w.timeout > time.Hour {
		return client.WriteOptions{}, cmdutil.FlagErrorf("--timeout %s must be between 1s and 1h", w.timeout)
	}
	return client.WriteOptions{Blocking: strings.ToUpper(w.state), Timeout: w.timeout.Seconds()}, nil
}

// writeFlags are the flags every write verb shares: -o, --dry-run and,
// for kinds with a state, --wait[=STATE] and --timeout.
type writeFlags struct {
	out    outputFlags
	wait   waitFlags
	dryRun bool
}

func (w *writeFlags) add(cmd *cobra.Command, spec Spec, waitDefault, dryRunHelp string) {
	w.out.add(cmd, false)
	cmd.Flags().BoolVar(&w.dryRun, "dry-run", false, dryRunHelp)
	if spec.Wait {
		w.wait.add(cmd, waitDefault)
	}
}

// writeFunc sends one write and returns the object the server answered.
type writeFunc func(ctx context.Context, res *client.Resource[api.Object], opts client.WriteOptions) (api.Object, error)

// run checks the flags, sends the write (with a spinner while the server
// waits for the state) and prints the answer.
func (w *writeFlags) run(cmd *cobra.Command, f *cmdutil.Factory, spec Spec, name string, write writeFunc) error {
	printer, err := w.out.printer(f)
	if err != nil {
		return err
	}
	opts, err := w.wait.options()
	if err != nil {
		return err
	}
	opts.DryRun = w.dryRun
	res, _, err := resourceFor(f, spec.Kind, false)
	if err != nil {
		return err
	}
	var obj api.Object
	err = f.IO.Spin(fmt.Sprintf("waiting for %s to be %s", name, opts.Blocking), func() error {
		obj, err = write(cmd.Context(), res, opts)
		return err
	})
	if err != nil {
		return err
	}
	return printer.PrintObject(f.IO.Out, spec.Kind, obj)
}

func newCreate(f *cmdutil.Factory, spec Spec) *cobra.Command {
	var w writeFlags
	use := spec.Create + " NAME"
	args := exactName(spec.Kind)
	if spec.NameFromFields {
		use = spec.Create + " [NAME]"
		args = cobra.MaximumNArgs(1)
	}
	cmd := &cobra.Command{
		Use:     use,
		Aliases: createAliases(spec),
		Short:   "Create a " + singular(spec.Kind),
		Example: example(spec, "create"),
		Args:    args,
		RunE: func(cmd *cobra.Command, args []string) error {
			obj := spec.Kind.New()
			if len(args) == 1 {
				obj.GetMetadata().Name = args[0]
			}
			if err := spec.Fields.Apply(obj, cmd.Flags(), false); err != nil {
				return err
			}
			if obj.GetMetadata().Name == "" {
				return cmdutil.FlagErrorf("give the name of the %s", singular(spec.Kind))
			}
			if w.dryRun && spec.Explain != nil {
				return explainDryRun(cmd, f, spec, &w, obj)
			}
			return w.run(cmd, f, spec, obj.GetMetadata().Name, func(ctx context.Context, res *client.Resource[api.Object], opts client.WriteOptions) (api.Object, error) {
				return res.Create(ctx, obj, opts)
			})
		},
	}
	spec.Fields.AddFlags(cmd.Flags(), false)
	w.add(cmd, spec, defaultState(spec.Kind), "validate on the server and show the result without storing it")
	return cmd
}

// explainDryRun validates obj on the server, then prints where it would go.
func explainDryRun(cmd *cobra.Command, f *cmdutil.Factory, spec Spec, w *writeFlags, obj api.Object) error {
	printer, err := w.out.printer(f)
	if err != nil {
		return err
	}
	res, ns, err := resourceFor(f, spec.Kind, false)
	if err != nil {
		return err
	}
	obj.GetMetadata().Namespace = ns
	if _, err := res.Create(cmd.Context(), obj, client.WriteOptions{DryRun: true}); err != nil {
		return err
	}
	c, err := f.Client()
	if err != nil {
		return err
	}
	e, err := spec.Explain(cmd.Context(), c, obj)
	if err != nil {
		return err
	}
	return printer.PrintExplanation(f.IO.Out, e)
}

func createAliases(spec Spec) []string {
	if spec.Create == "create" {
		return nil
	}
	return []string{"create"}
}

func defaultState(k api.Kind) string {
	if k.ReadyState != "" {
		return k.ReadyState
	}
	return api.StateRunning
}

func newUpdate(f *cmdutil.Factory, spec Spec) *cobra.Command {
	var w writeFlags
	cmd := &cobra.Command{
		Use:               "update NAME",
		Short:             "Change a " + singular(spec.Kind),
		Example:           example(spec, "update"),
		Args:              exactName(spec.Kind),
		ValidArgsFunction: cmdutil.CompleteNames(f, spec.Kind),
		RunE: func(cmd *cobra.Command, args []string) error {
			return w.run(cmd, f, spec, args[0], func(ctx context.Context, res *client.Resource[api.Object], opts client.WriteOptions) (api.Object, error) {
				current, err := res.Get(ctx, args[0])
				if err != nil {
					return nil, err
				}
				// current carries its resource_version: a concurrent change
				// makes this update fail with a conflict instead of undoing it.
				if err := spec.Fields.Apply(current, cmd.Flags(), true); err != nil {
					return nil, err
				}
				return res.Update(ctx, current, opts)
			})
		},
	}
	spec.Fields.AddFlags(cmd.Flags(), true)
	w.add(cmd, spec, defaultState(spec.Kind), "validate on the server and show the result without storing it")
	return cmd
}

func newDelete(f *cmdutil.Factory, spec Spec) *cobra.Command {
	var w writeFlags
	var force bool
	cmd := &cobra.Command{
		Use:               "delete NAME",
		Aliases:           []string{"rm"},
		Short:             "Delete a " + singular(spec.Kind),
		Example:           example(spec, "delete"),
		Args:              exactName(spec.Kind),
		ValidArgsFunction: cmdutil.CompleteNames(f, spec.Kind),
		RunE: func(cmd *cobra.Command, args []string) error {
			return w.run(cmd, f, spec, args[0], func(ctx context.Context, res *client.Resource[api.Object], opts client.WriteOptions) (api.Object, error) {
				opts.Force = force
				return res.Delete(ctx, args[0], opts)
			})
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "remove the record at once, skipping the controllers' cleanup")
	w.add(cmd, spec, api.StateDeleted, "show what would be deleted")
	return cmd
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
