// Package ui holds `rok ui`, the live dashboard (package tui).
package ui

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/tui"
)

// Options are `rok ui`'s.
type Options struct {
	AllNamespaces bool
}

// New returns `rok ui`.
func New(f *cmdutil.Factory) *cobra.Command { return NewCmd(f, nil) }

// NewCmd returns `rok ui`; runF nil runs it.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Live dashboard of clusters, applications and their state changes",
		Long: `A live terminal dashboard, updated from API watches. Press ? inside for
the keys: j/k move, tab switches panes, enter shows details, / filters,
: jumps (:apps, :clusters, :ns NAME), d deletes, y shows YAML, q quits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !f.IO.IsStdoutTTY() {
				return cmdutil.FlagErrorf("rok ui needs a terminal; for scripts use rok kube app list -w -o json")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return run(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.AllNamespaces, "all-namespaces", "A", false, "show every namespace")
	return cmd
}

func run(ctx context.Context, f *cmdutil.Factory, opts *Options) error {
	c, err := f.Client()
	if err != nil {
		return err
	}
	ns := ""
	if !opts.AllNamespaces {
		if ns, err = f.Namespace(); err != nil {
			return err
		}
	}
	return tui.Run(ctx, tui.Options{Client: c, Namespace: ns, In: f.IO.In, Out: f.IO.Out, NoColor: !f.IO.ColorEnabled()})
}
