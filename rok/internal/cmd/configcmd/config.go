// Package configcmd holds `rok config`: view, use-context, set-context.
package configcmd

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/config"
)

// New returns `rok config`.
func New(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show and change rok's contexts ($XDG_CONFIG_HOME/rok/config.yaml)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newView(f), newUseContext(f), newSetContext(f))
	return cmd
}

func newView(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "view",
		Short: "Print the configuration file and what rok resolves from it",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			path := f.Env.Path()
			file, err := config.Load(path)
			if err != nil {
				return err
			}
			// Tokens are secrets: the view never shows them.
			for i := range file.Contexts {
				if file.Contexts[i].Token != "" {
					file.Contexts[i].Token = "REDACTED"
				}
			}
			data, err := yaml.Marshal(file)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "# %s\n%s", path, data)
			r, err := f.Config()
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "# in effect: api_url %s (from %s), namespace %s (from %s)\n", r.APIURL, r.Source, r.Namespace, r.NamespaceSource)
			if r.TokenSource != "" {
				fmt.Fprintf(f.IO.Out, "# in effect: a bearer token (from %s)\n", r.TokenSource)
			}
			if r.TLSSource != "" {
				fmt.Fprintf(f.IO.Out, "# in effect: tls ca %q, cert %q, key %q (from %s)\n", r.TLS.CA, r.TLS.Cert, r.TLS.Key, r.TLSSource)
			}
			return nil
		},
	}
}

func newUseContext(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:               "use-context NAME",
		Short:             "Make a context the current one",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteContexts(f),
		RunE: func(_ *cobra.Command, args []string) error {
			path := f.Env.Path()
			file, err := config.Load(path)
			if err != nil {
				return err
			}
			if _, ok := file.Context(args[0]); !ok {
				return cmdutil.FlagErrorf("no context %q; create it with `rok config set-context %s --api-url URL`", args[0], args[0])
			}
			file.CurrentContext = args[0]
			if err := file.Save(path); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "Switched to context %q.\n", args[0])
			return nil
		},
	}
}

func newSetContext(f *cmdutil.Factory) *cobra.Command {
	var tls config.TLS
	var use bool
	var token string
	cmd := &cobra.Command{
		Use:     "set-context NAME",
		Short:   "Create or change a context",
		Example: "  rok config set-context lab --api-url https://krake.lab:8443 --namespace team-a --ca ca.pem --use",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := f.Env.Path()
			file, err := config.Load(path)
			if err != nil {
				return err
			}
			existing, _ := file.Context(args[0])
			existing.Name = args[0]
			fs := cmd.Flags()
			if fs.Changed("api-url") {
				existing.APIURL = f.Overrides.APIURL
			}
			if fs.Changed("namespace") {
				existing.Namespace = f.Overrides.Namespace
			}
			if fs.Changed("token") {
				existing.Token = token
			}
			if fs.Changed("ca") || fs.Changed("cert") || fs.Changed("key") {
				if existing.TLS == nil {
					existing.TLS = &config.TLS{}
				}
				if fs.Changed("ca") {
					existing.TLS.CA = tls.CA
				}
				if fs.Changed("cert") {
					existing.TLS.Cert = tls.Cert
				}
				if fs.Changed("key") {
					existing.TLS.Key = tls.Key
				}
			}
			if existing.APIURL == "" {
				return cmdutil.FlagErrorf("a new context needs --api-url")
			}
			file.SetContext(existing)
			if use || file.CurrentContext == "" {
				file.CurrentContext = existing.Name
			}
			if err := file.Save(path); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.Out, "Context %q saved in %s.\n", existing.Name, path)
			return nil
		},
	}
	cmd.Flags().StringVar(&tls.CA, "ca", "", "CA bundle to verify the API")
	cmd.Flags().StringVar(&tls.Cert, "cert", "", "client certificate")
	cmd.Flags().StringVar(&tls.Key, "key", "", "client key")
	cmd.Flags().StringVar(&token, "token", "", "bearer token (or ROK_TOKEN); stored in the config file, written 0600")
	cmd.Flags().BoolVar(&use, "use", false, "make it the current context")
	return cmd
}
