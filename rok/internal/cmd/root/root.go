// Package root assembles rok's command tree.
package root

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/krake-go/krake/internal/docs"
	"github.com/krake-go/krake/rok/internal/cmd/completion"
	"github.com/krake-go/krake/rok/internal/cmd/configcmd"
	"github.com/krake-go/krake/rok/internal/cmd/core"
	"github.com/krake-go/krake/rok/internal/cmd/infra"
	"github.com/krake-go/krake/rok/internal/cmd/kube"
	"github.com/krake-go/krake/rok/internal/cmd/ui"
	"github.com/krake-go/krake/rok/internal/cmdutil"
)

// New returns the root command.
func New(f *cmdutil.Factory, version string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rok",
		Short: "Krake's command line: clusters, applications and metrics across many Kubernetes clusters",
		Long: `rok talks to a Krake API (krakectl serve). Register clusters, create
applications from Kubernetes manifests with placement constraints, and
watch where they run.`,
		Example: `  rok kube cluster register -k kubeconfig.yaml
  rok kube app create echo-demo -f echo-demo.yaml --wait
  rok kube app list -o wide
  rok kube app get echo-demo -o json`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	cmd.SetVersionTemplate("rok {{.Version}}\n")
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.Overrides.APIURL, "api-url", "", "Krake API URL (default from the context, ROK_API_URL or http://localhost:8080)")
	pf.StringVar(&f.Overrides.Context, "context", "", "configuration context to use")
	pf.StringVarP(&f.Overrides.Namespace, "namespace", "n", "", "namespace (default from the context, ROK_NAMESPACE or system:admin)")
	_ = cmd.RegisterFlagCompletionFunc("namespace", cmdutil.CompleteNamespaces(f))
	_ = cmd.RegisterFlagCompletionFunc("context", cmdutil.CompleteContexts(f))
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })

	cmd.AddCommand(kube.New(f), core.New(f), infra.New(f), ui.New(f), configcmd.New(f), completion.New(), newVersion(f, version), newWhoami(f),
		docs.Command(func() *cobra.Command { return New(f, version) }))
	return cmd
}

func newVersion(f *cmdutil.Factory, version string) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print rok's version and, if reachable, the server's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(f.IO.Out, "rok %s\n", version)
			c, err := f.Client()
			if err != nil {
				return nil
			}
			v, err := c.Version(cmd.Context())
			if err != nil {
				fmt.Fprintf(f.IO.Out, "server: unreachable (%v)\n", err)
				return nil
			}
			fmt.Fprintf(f.IO.Out, "server: %s %s at %s\n", v.Name, v.Version, c.BaseURL())
			return nil
		},
	}
}

func newWhoami(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the API takes you for (user and groups)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			me, err := c.Me(cmd.Context())
			if err != nil {
				return err
			}
			groups := "none"
			if len(me.Groups) > 0 {
				groups = strings.Join(me.Groups, ", ")
			}
			fmt.Fprintf(f.IO.Out, "user:   %s\ngroups: %s\n", me.User, groups)
			return nil
		},
	}
}
