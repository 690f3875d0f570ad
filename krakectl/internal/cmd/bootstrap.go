package cmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/bootstrap"
	"github.com/krake-go/krake/krakectl/internal/app"
)

// newBootstrap is the original's krake_bootstrap_db, through the API:
// idempotent, so it can run on every deployment.
func newBootstrap(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var (
		apiURL    string
		creds     app.APICredentials
		force     bool
		namespace string
		set       []string
		timeout   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "bootstrap FILE...|-",
		Short: "Load resources (roles, bindings, metrics, providers, ...) into Krake; existing ones are kept unless --force",
		Example: `  krakectl bootstrap bootstrap/base-roles.yaml --api-url https://krake:8443 --api-ca-file ca.crt --api-cert admin.crt --api-key admin.key
  krakectl bootstrap --set TENANT=team-a bootstrap/tenant-template.yaml
  cat metrics.yaml | krakectl bootstrap -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			vars := map[string]string{}
			for _, kv := range set {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return fmt.Errorf("--set %q: give KEY=VALUE", kv)
				}
				vars[k] = v
			}
			var objs []api.Object
			for _, f := range files {
				var data []byte
				var err error
				if f == "-" {
					data, err = io.ReadAll(stdin)
				} else {
					data, err = os.ReadFile(f)
				}
				if err != nil {
					return err
				}
				if data, err = bootstrap.Expand(data, vars); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				parsed, err := bootstrap.Parse(data, f)
				if err != nil {
					return err
				}
				objs = append(objs, parsed...)
			}
			c, err := app.NewClient(apiURL, creds, "krakectl-bootstrap")
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			results, err := bootstrap.Apply(ctx, c, objs, bootstrap.Options{Force: force, Namespace: namespace})
			for _, r := range results {
				fmt.Fprintln(stdout, r)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVar(&force, "force", false, "replace the spec of resources that exist (default: keep them)")
	f.StringVarP(&namespace, "namespace", "n", "system:admin", "namespace of namespaced resources that name none")
	f.StringArrayVar(&set, "set", nil, "KEY=VALUE for ${KEY} in the files (templates such as bootstrap/tenant-template.yaml)")
	f.DurationVar(&timeout, "timeout", time.Minute, "give up after this long")
	addAPIClientFlags(cmd, &apiURL, &creds)
	return cmd
}

// addAPIClientFlags are the flags of commands that talk to a Krake API.
func addAPIClientFlags(cmd *cobra.Command, apiURL *string, creds *app.APICredentials) {
	cmd.Flags().StringVar(apiURL, "api-url", "http://127.0.0.1:8080", "the Krake API")
	cmd.Flags().StringVar(&creds.CAFile, "api-ca-file", "", "CA bundle that verifies an https API")
	cmd.Flags().StringVar(&creds.CertFile, "api-cert", "", "client certificate for the API (its CN is the user)")
	cmd.Flags().StringVar(&creds.KeyFile, "api-key", "", "the key of --api-cert")
	cmd.Flags().StringVar(&creds.TokenFile, "api-token-file", "", "file holding a bearer token for the API")
}
