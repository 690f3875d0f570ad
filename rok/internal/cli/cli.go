// Package cli is rok's entry: it builds the command tree, runs it, and
// turns errors into one or two readable lines on stderr and an exit code.
package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/rok/internal/cmd/root"
	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/config"
	"github.com/krake-go/krake/rok/internal/iostreams"
)

// Main runs rok with args on the process's streams and returns the exit code.
func Main(args []string, version string) int {
	f := &cmdutil.Factory{IO: iostreams.System(), Env: config.OSEnv(), Now: time.Now}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, f, version, args)
}

// Run runs rok with a prepared Factory (tests use buffers and a fixed clock).
func Run(ctx context.Context, f *cmdutil.Factory, version string, args []string) int {
	cmd := root.New(f, version)
	cmd.SetArgs(JoinPairFlags(args))
	cmd.SetIn(f.IO.In)
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	executed, err := cmd.ExecuteContextC(ctx)
	if err == nil || (errors.Is(err, context.Canceled) && ctx.Err() != nil) {
		return cmdutil.ExitOK // Ctrl-C ends a watch: not a failure
	}
	if errors.Is(err, cmdutil.SilentError) {
		return cmdutil.ExitError
	}
	code := printError(f.IO.ErrOut, err, f, outputFormat(executed))
	if code == cmdutil.ExitUsage && executed != nil {
		fmt.Fprintf(f.IO.ErrOut, "Run '%s --help' for usage.\n", executed.CommandPath())
	}
	return code
}

// outputFormat is the command's -o value ("" when it has none).
func outputFormat(cmd *cobra.Command) string {
	if cmd == nil {
		return ""
	}
	if fl := cmd.Flags().Lookup("output"); fl != nil {
		return fl.Value.String()
	}
	return ""
}

// printError writes err for a human (or, for an API error under -o json
// or -o yaml, the problem document for a script) and returns the exit code.
func printError(w io.Writer, err error, f *cmdutil.Factory, format string) int {
	var apiErr *client.APIError
	switch {
	case cmdutil.IsFlagError(err) || isCobraUsageError(err):
		fmt.Fprintln(w, "Error:", err)
		return cmdutil.ExitUsage
	case client.IsUnreachable(err):
		fmt.Fprintln(w, "Error:", err)
		url := ""
		if r, cfgErr := f.Config(); cfgErr == nil {
			url = fmt.Sprintf(" (%s from %s)", r.APIURL, r.Source)
		}
		fmt.Fprintf(w, "Is Krake running%s? Start it with `krakectl serve`, or point rok elsewhere with --api-url, ROK_API_URL or `rok config set-context`.\n", url)
		return cmdutil.ExitError
	case errors.As(err, &apiErr):
		if printProblem(w, apiErr, format) {
			return cmdutil.ExitError
		}
		fmt.Fprintf(w, "Error: %d %s: %s\n", apiErr.Status, apiErr.Title, apiErr.Detail)
		if len(apiErr.Errors) > 1 {
			for _, fe := range apiErr.Errors {
				fmt.Fprintf(w, "  %s: %s\n", fe.Field, fe.Reason)
			}
		}
		if client.IsUnauthorized(err) {
			sent := "no credentials"
			if r, cfgErr := f.Config(); cfgErr == nil {
				sent = credentialsSent(r)
			}
			fmt.Fprintf(w, "rok sent %s. Check the credentials of your context: `rok config view`.\n", sent)
		}
		return cmdutil.ExitError
	}
	fmt.Fprintln(w, "Error:", err)
	return cmdutil.ExitError
}

// credentialsSent says what rok authenticated with, for a 401.
func credentialsSent(r config.Resolved) string {
	var parts []string
	if r.TLS.Cert != "" {
		part := "the client certificate " + r.TLS.Cert
		if cert, err := tls.LoadX509KeyPair(r.TLS.Cert, r.TLS.Key); err == nil {
			if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil {
				part += fmt.Sprintf(" (user %q)", leaf.Subject.CommonName)
			}
		}
		parts = append(parts, part+" (from "+r.TLSSource+")")
	}
	if r.Token != "" {
		parts = append(parts, "a bearer token (from "+r.TokenSource+")")
	}
	if len(parts) == 0 {
		return "no credentials"
	}
	return strings.Join(parts, " and ")
}

// printProblem writes the server's problem document as JSON or YAML when
// the command's output is one of those; it reports whether it did.
func printProblem(w io.Writer, apiErr *client.APIError, format string) bool {
	if len(apiErr.Document) == 0 || (format != "json" && format != "yaml") {
		return false
	}
	var doc any
	if json.Unmarshal(apiErr.Document, &doc) != nil {
		return false
	}
	var out []byte
	var err error
	if format == "json" {
		out, err = json.MarshalIndent(doc, "", "  ")
		out = append(out, '\n')
	} else {
		out, err = yaml.Marshal(doc)
	}
	if err != nil {
		return false
	}
	_, _ = w.Write(out)
	return true
}

// isCobraUsageError recognises cobra's own argument and flag errors.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, prefix := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "requires at most", "required flag", "if any flags in the group"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// pairFlags take two values (`--metric NAME WEIGHT`, `-m NAME VALUE`), as
// in the original rok; pflag takes one, so they are joined as NAME=VALUE.
var pairFlags = map[string]bool{"--metric": true, "--global-metric": true, "-m": true, "--metrics": true}

// JoinPairFlags rewrites `--metric a 0.5` into `--metric=a=0.5`. The value
// may be negative (`-m temp -2`).
func JoinPairFlags(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if pairFlags[a] && i+2 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			out = append(out, a+"="+args[i+1]+"="+args[i+2])
			i += 2
			continue
		}
		out = append(out, a)
	}
	return out
}
