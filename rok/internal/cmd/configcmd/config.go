// Package configcmd holds `rok config`: view, use-context, set-context.
package configcmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

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
	cmd.AddCommand(newView(f), NewCmdUseContext(f, nil), NewCmdSetContext(f, nil))
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
			if file.Contexts == nil {
				file.Contexts = []config.Context{} // "contexts: []", not null
			}
			data, err := yaml.Marshal(file)
			if err != nil {
				return err
			}
			header := path
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				header += " (not written yet: rok config set-context NAME --api-url URL creates it)"
			}
			fmt.Fprintf(f.IO.Out, "# %s\n%s", header, data)
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

// UseContextOptions are `config use-context`'s.
type UseContextOptions struct{ Name string }

// NewCmdUseContext returns `config use-context NAME`; runF nil runs it.
func NewCmdUseContext(f *cmdutil.Factory, runF func(*UseContextOptions) error) *cobra.Command {
	opts := &UseContextOptions{}
	return &cobra.Command{
		Use:               "use-context NAME",
		Short:             "Make a context the current one",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: cmdutil.CompleteContexts(f),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runUseContext(f, opts)
		},
	}
}

func runUseContext(f *cmdutil.Factory, opts *UseContextOptions) error {
	path := f.Env.Path()
	file, err := config.Load(path)
	if err != nil {
		return err
	}
	if _, ok := file.Context(opts.Name); !ok {
		return cmdutil.FlagErrorf("no context %q; create it with `rok config set-context %s --api-url URL`", opts.Name, opts.Name)
	}
	file.CurrentContext = opts.Name
	if err := file.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "Switched to context %q.\n", opts.Name)
	return nil
}

// SetContextOptions are `config set-context`'s: a nil field was not given
// and keeps the context's value.
type SetContextOptions struct {
	Name                     string
	APIURL, Namespace, Token *string
	CA, Cert, Key            *string
	Use                      bool
}

// NewCmdSetContext returns `config set-context NAME`; runF nil runs it.
// --api-url and --namespace are rok's global flags.
func NewCmdSetContext(f *cmdutil.Factory, runF func(*SetContextOptions) error) *cobra.Command {
	opts := &SetContextOptions{}
	var tls config.TLS
	var token string
	cmd := &cobra.Command{
		Use:     "set-context NAME",
		Short:   "Create or change a context",
		Example: "  rok config set-context lab --api-url https://krake.lab:8443 --namespace team-a --ca ca.pem --use",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			given := func(flag string, value *string) *string {
				if cmd.Flags().Changed(flag) {
					return value
				}
				return nil
			}
			opts.APIURL, opts.Namespace = given("api-url", &f.Overrides.APIURL), given("namespace", &f.Overrides.Namespace)
			opts.Token, opts.CA, opts.Cert, opts.Key = given("token", &token), given("ca", &tls.CA), given("cert", &tls.Cert), given("key", &tls.Key)
			if runF != nil {
				return runF(opts)
			}
			return runSetContext(f, opts)
		},
	}
	cmd.Flags().StringVar(&tls.CA, "ca", "", "CA bundle to verify the API")
	cmd.Flags().StringVar(&tls.Cert, "cert", "", "client certificate")
	cmd.Flags().StringVar(&tls.Key, "key", "", "client key")
	cmd.Flags().StringVar(&token, "token", "", "bearer token (or ROK_TOKEN); stored in the config file, written 0600")
	cmd.Flags().BoolVar(&opts.Use, "use", false, "make it the current context")
	return cmd
}

func runSetContext(f *cmdutil.Factory, opts *SetContextOptions) error {
	path := f.Env.Path()
	file, err := config.Load(path)
	if err != nil {
		return err
	}
	existing, _ := file.Context(opts.Name)
	existing.Name = opts.Name
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&existing.APIURL, opts.APIURL)
	set(&existing.Namespace, opts.Namespace)
	set(&existing.Token, opts.Token)
	if opts.CA != nil || opts.Cert != nil || opts.Key != nil {
		if existing.TLS == nil {
			existing.TLS = &config.TLS{}
		}
		set(&existing.TLS.CA, opts.CA)
		set(&existing.TLS.Cert, opts.Cert)
		set(&existing.TLS.Key, opts.Key)
	}
	if existing.APIURL == "" {
		return cmdutil.FlagErrorf("a new context needs --api-url")
	}
	file.SetContext(existing)
	if opts.Use || file.CurrentContext == "" {
		file.CurrentContext = existing.Name
	}
	if err := file.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(f.IO.Out, "Context %q saved in %s.\n", existing.Name, path)
	return nil
}
