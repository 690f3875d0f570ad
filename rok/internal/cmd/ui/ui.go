// Package ui holds `rok ui`, the live dashboard (package tui).
package ui

import (
	"github.com/spf13/cobra"

	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/tui"
)

// New returns `rok ui`.
func New(f *cmdutil.Factory) *cobra.Command {
	var all bool
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
			c, err := f.Client()
			if err != nil {
				return err
			}
			ns := ""
			if !all {
				if ns, err = f.Namespace(); err != nil {
					return err
				}
			}
			return tui.Run(cmd.Context(), tui.Options{Client: c, Namespace: ns, In: f.IO.In, Out: f.IO.Out, NoColor: !f.IO.ColorEnabled()})
		},
	}
	cmd.Flags().BoolVarP(&all, "all-namespaces", "A", false, "show every namespace")
	return cmd
}
