package configcmd_test

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/krake-go/krake/rok/internal/cmd/configcmd"
	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/iostreams"
)

// under is cmd below a root carrying rok's global --api-url and
// --namespace, bound to f as rok's root binds them.
func under(f *cmdutil.Factory, cmd *cobra.Command) *cobra.Command {
	root := &cobra.Command{Use: "rok", SilenceErrors: true, SilenceUsage: true}
	root.PersistentFlags().StringVar(&f.Overrides.APIURL, "api-url", "", "")
	root.PersistentFlags().StringVarP(&f.Overrides.Namespace, "namespace", "n", "", "")
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.AddCommand(cmd)
	return root
}

func TestNewCmdSetContext(t *testing.T) {
	for _, tt := range []struct {
		argv string
		want string // the options given, as NAME api=... ns=... token=... ca=... use
	}{
		{"set-context lab --api-url https://krake.lab:8443 -n team-a --ca ca.pem --use", "lab api=https://krake.lab:8443 ns=team-a ca=ca.pem use"},
		{"set-context lab --token t0k", "lab token=t0k"},
		{"--namespace other set-context lab", "lab ns=other"},
	} {
		t.Run(tt.argv, func(t *testing.T) {
			io, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IO: io}
			var got *configcmd.SetContextOptions
			root := under(f, configcmd.NewCmdSetContext(f, func(o *configcmd.SetContextOptions) error { got = o; return nil }))
			root.SetArgs(strings.Fields(tt.argv))
			if err := root.Execute(); err != nil {
				t.Fatal(err)
			}
			parts := []string{got.Name}
			for _, p := range []struct {
				name string
				v    *string
			}{{"api", got.APIURL}, {"ns", got.Namespace}, {"token", got.Token}, {"ca", got.CA}, {"cert", got.Cert}, {"key", got.Key}} {
				if p.v != nil {
					parts = append(parts, p.name+"="+*p.v)
				}
			}
			if got.Use {
				parts = append(parts, "use")
			}
			if s := strings.Join(parts, " "); s != tt.want {
				t.Errorf("options %q, want %q", s, tt.want)
			}
		})
	}
}

func TestNewCmdUseContext(t *testing.T) {
	io, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IO: io}
	var got *configcmd.UseContextOptions
	root := under(f, configcmd.NewCmdUseContext(f, func(o *configcmd.UseContextOptions) error { got = o; return nil }))
	root.SetArgs([]string{"use-context", "lab"})
	if err := root.Execute(); err != nil || got.Name != "lab" {
		t.Errorf("use-context lab: %v, options %+v", err, got)
	}
}
