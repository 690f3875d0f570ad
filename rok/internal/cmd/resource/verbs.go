package resource

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/rok/internal/cmdutil"
)

// ListOptions are `list`'s flags.
type ListOptions struct {
	Kind          api.Kind
	AllNamespaces bool
	Watch         bool
	Selector      string
	Output        OutputOptions
}

// NewCmdList returns `list`; runF nil runs it for real.
func NewCmdList(f *cmdutil.Factory, spec Spec, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{Kind: spec.Kind}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List " + plural(spec.Kind),
		Example: example(spec, "list"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runList(cmd.Context(), f, opts)
		},
	}
	opts.Output.add(cmd, true)
	if spec.Kind.Namespaced {
		cmd.Flags().BoolVarP(&opts.AllNamespaces, "all-namespaces", "A", false, "list across all namespaces")
	}
	cmd.Flags().StringVarP(&opts.Selector, "selector", "l", "", "label selector, e.g. app=echo,tier in (gold,silver)")
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "after listing, keep printing changes")
	return cmd
}

func runList(ctx context.Context, f *cmdutil.Factory, opts *ListOptions) error {
	printer, err := opts.Output.printer(f)
	if err != nil {
		return err
	}
	res, _, err := resourceFor(f, opts.Kind, opts.AllNamespaces)
	if err != nil {
		return err
	}
	// Pages of listPage: the server and rok hold one page at a time.
	lopts := client.ListOptions{LabelSelector: opts.Selector, Limit: listPage}
	if !opts.Watch && !printer.NeedsTyped() {
		// Tables, names and jsonpath read generic JSON: skip the typed
		// decode (a list of 1,000 is then about twice as fast).
		list, err := res.ListAllJSON(ctx, lopts)
		if err != nil {
			return err
		}
		return printer.PrintList(f.IO.Out, opts.Kind, anys(list.Items))
	}
	list, err := res.ListAll(ctx, lopts)
	if err != nil {
		return err
	}
	if opts.Watch {
		return watchList(ctx, f, opts.Kind, res, printer, list, opts.Selector, "")
	}
	return printer.PrintList(f.IO.Out, opts.Kind, anys(list.Items))
}

// anys is items as []any, which the printers take.
func anys[T any](items []T) []any {
	out := make([]any, len(items))
	for i, item := range items {
		out[i] = item
	}
	return out
}

// GetOptions are `get`'s.
type GetOptions struct {
	Kind   api.Kind
	Name   string
	Watch  bool
	Output OutputOptions
}

// NewCmdGet returns `get NAME`; runF nil runs it for real.
func NewCmdGet(f *cmdutil.Factory, spec Spec, runF func(context.Context, *GetOptions) error) *cobra.Command {
	opts := &GetOptions{Kind: spec.Kind}
	cmd := &cobra.Command{
		Use:               "get NAME",
		Short:             "Show one " + singular(spec.Kind),
		Example:           example(spec, "get"),
		Args:              exactName(spec.Kind),
		ValidArgsFunction: cmdutil.CompleteNames(f, spec.Kind),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runGet(cmd.Context(), f, opts)
		},
	}
	opts.Output.add(cmd, false)
	cmd.Flags().BoolVarP(&opts.Watch, "watch", "w", false, "keep printing the object as it changes")
	return cmd
}

func runGet(ctx context.Context, f *cmdutil.Factory, opts *GetOptions) error {
	printer, err := opts.Output.printer(f)
	if err != nil {
		return err
	}
	res, _, err := resourceFor(f, opts.Kind, false)
	if err != nil {
		return err
	}
	obj, err := res.Get(ctx, opts.Name)
	if err != nil {
		return err
	}
	if opts.Watch {
		list := &api.List[api.Object]{Items: []api.Object{obj}, Metadata: api.ListMetadata{ResourceVersion: obj.GetMetadata().ResourceVersion}}
		return watchList(ctx, f, opts.Kind, res, printer, list, "", opts.Name)
	}
	return printer.PrintObject(f.IO.Out, opts.Kind, obj)
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

// writeFunc sends one write and returns the object the server answered.
type writeFunc func(ctx context.Context, res *client.Resource[api.Object], opts client.WriteOptions) (api.Object, error)

// write sends one write (with a spinner while the server waits for the
// state) and prints the answer.
func write(ctx context.Context, f *cmdutil.Factory, k api.Kind, w WriteOptions, name string, send writeFunc) error {
	printer, err := w.Output.printer(f)
	if err != nil {
		return err
	}
	opts := w.Wait.writeOptions()
	opts.DryRun = w.DryRun
	res, _, err := resourceFor(f, k, false)
	if err != nil {
		return err
	}
	var obj api.Object
	err = f.IO.Spin(fmt.Sprintf("waiting for %s to be %s", name, opts.Blocking), func() error {
		obj, err = send(ctx, res, opts)
		return err
	})
	if err != nil {
		return err
	}
	return printer.PrintObject(f.IO.Out, k, obj)
}

// CreateOptions are `create`'s (or `register`'s): Object is what the
// flags built, ready to send.
type CreateOptions struct {
	Kind    api.Kind
	Object  api.Object
	Explain ExplainFunc // set: --dry-run explains the placement
	Write   WriteOptions
}

// NewCmdCreate returns `create NAME`; runF nil runs it for real.
func NewCmdCreate(f *cmdutil.Factory, spec Spec, runF func(context.Context, *CreateOptions) error) *cobra.Command {
	opts := &CreateOptions{Kind: spec.Kind, Explain: spec.Explain}
	use := spec.Create + " NAME"
	args := exactName(spec.Kind)
	if spec.NameFromFields {
		use = spec.Create + " [NAME]"
		args = cobra.MaximumNArgs(1)
	}
	cmd := &cobra.Command{
		Use:     use,
		Aliases: createAliases(spec),
		Short:   "Create " + aSingular(spec.Kind),
		Example: example(spec, "create"),
		Args:    args,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Write.Wait.check(); err != nil {
				return err
			}
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
			opts.Object = obj
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCreate(cmd.Context(), f, opts)
		},
	}
	spec.Fields.AddFlags(cmd.Flags(), false)
	opts.Write.add(cmd, spec, defaultState(spec.Kind), "validate on the server and show the result without storing it")
	return cmd
}

func runCreate(ctx context.Context, f *cmdutil.Factory, opts *CreateOptions) error {
	if opts.Write.DryRun && opts.Explain != nil {
		return explainDryRun(ctx, f, opts)
	}
	return write(ctx, f, opts.Kind, opts.Write, opts.Object.GetMetadata().Name, func(ctx context.Context, res *client.Resource[api.Object], wo client.WriteOptions) (api.Object, error) {
		return res.Create(ctx, opts.Object, wo)
	})
}

// explainDryRun validates the object on the server, then prints where it
// would go.
func explainDryRun(ctx context.Context, f *cmdutil.Factory, opts *CreateOptions) error {
	printer, err := opts.Write.Output.printer(f)
	if err != nil {
		return err
	}
	res, ns, err := resourceFor(f, opts.Kind, false)
	if err != nil {
		return err
	}
	opts.Object.GetMetadata().Namespace = ns
	if _, err := res.Create(ctx, opts.Object, client.WriteOptions{DryRun: true}); err != nil {
		return err
	}
	c, err := f.Client()
	if err != nil {
		return err
	}
	e, err := opts.Explain(ctx, c, opts.Object)
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

// UpdateOptions are `update`'s: Apply sets the flags the user gave onto
// the stored object.
type UpdateOptions struct {
	Kind  api.Kind
	Name  string
	Apply func(current api.Object) error
	Write WriteOptions
}

// NewCmdUpdate returns `update NAME`; runF nil runs it for real.
func NewCmdUpdate(f *cmdutil.Factory, spec Spec, runF func(context.Context, *UpdateOptions) error) *cobra.Command {
	opts := &UpdateOptions{Kind: spec.Kind}
	cmd := &cobra.Command{
		Use:               "update NAME",
		Short:             "Change " + aSingular(spec.Kind),
		Example:           example(spec, "update"),
		Args:              exactName(spec.Kind),
		ValidArgsFunction: cmdutil.CompleteNames(f, spec.Kind),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Write.Wait.check(); err != nil {
				return err
			}
			opts.Name = args[0]
			opts.Apply = func(current api.Object) error { return spec.Fields.Apply(current, cmd.Flags(), true) }
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runUpdate(cmd.Context(), f, opts)
		},
	}
	spec.Fields.AddFlags(cmd.Flags(), true)
	opts.Write.add(cmd, spec, defaultState(spec.Kind), "validate on the server and show the result without storing it")
	return cmd
}

func runUpdate(ctx context.Context, f *cmdutil.Factory, opts *UpdateOptions) error {
	return write(ctx, f, opts.Kind, opts.Write, opts.Name, func(ctx context.Context, res *client.Resource[api.Object], wo client.WriteOptions) (api.Object, error) {
		// current carries its resource_version: a concurrent change (a
		// controller writing the status, say) makes the update fail with a
		// conflict instead of undoing it; the flags are then applied again
		// to the object as it is now, a few times.
		for attempt := 1; ; attempt++ {
			current, err := res.Get(ctx, opts.Name)
			if err != nil {
				return nil, err
			}
			if err := opts.Apply(current); err != nil {
				return nil, err
			}
			updated, err := res.Update(ctx, current, wo)
			if !client.IsConflict(err) || attempt == updateAttempts {
				return updated, err
			}
		}
	})
}

// updateAttempts bounds update's retries after a conflict.
const updateAttempts = 5

// DeleteOptions are `delete`'s.
type DeleteOptions struct {
	Kind  api.Kind
	Name  string
	Force bool
	Write WriteOptions
}

// NewCmdDelete returns `delete NAME`; runF nil runs it for real.
func NewCmdDelete(f *cmdutil.Factory, spec Spec, runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{Kind: spec.Kind}
	cmd := &cobra.Command{
		Use:               "delete NAME",
		Aliases:           []string{"rm"},
		Short:             "Delete " + aSingular(spec.Kind),
		Example:           example(spec, "delete"),
		Args:              exactName(spec.Kind),
		ValidArgsFunction: cmdutil.CompleteNames(f, spec.Kind),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.Write.Wait.check(); err != nil {
				return err
			}
			opts.Name = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDelete(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Force, "force", false, "remove the record at once, skipping the controllers' cleanup")
	opts.Write.add(cmd, spec, api.StateDeleted, "show what would be deleted")
	return cmd
}

func runDelete(ctx context.Context, f *cmdutil.Factory, opts *DeleteOptions) error {
	return write(ctx, f, opts.Kind, opts.Write, opts.Name, func(ctx context.Context, res *client.Resource[api.Object], wo client.WriteOptions) (api.Object, error) {
		wo.Force = opts.Force
		return res.Delete(ctx, opts.Name, wo)
	})
}

// aSingular is the kind's singular with its article: "an application",
// "a cluster".
func aSingular(k api.Kind) string {
	name := singular(k)
	if strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}
