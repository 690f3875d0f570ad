// Package cli is rok's entry: it builds the command tree, runs it, and
// turns errors into one or two readable lines on stderr and an exit code.
package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
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
	markUsageErrors(cmd)
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
	case cmdutil.IsFlagError(err):
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

// markUsageErrors makes cobra's own usage errors FlagErrors where they
// arise (flag parsing, argument counts, an unknown command), so rok tells
// them apart by type, not by matching cobra's message text.
func markUsageErrors(root *cobra.Command) {
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.Args != nil:
			validate := c.Args
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := validate(cmd, args); err != nil {
					return &cmdutil.FlagError{Err: err}
				}
				return nil
			}
		case !c.HasParent() && c.RunE == nil && c.Run == nil:
			// Cobra's own unknown-command check, as a FlagError: the root
			// runs, showing its help, or refusing what names no command.
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if err := unknownCommand(cmd, args); err != nil {
					return err
				}
				return cmd.Help()
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// unknownCommand refuses arguments that name no subcommand, in cobra's
// words (with its suggestions).
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default
	}
	if suggestions := cmd.SuggestionsFor(args[0]); len(suggestions) > 0 {
		msg += "\n\nDid you mean this?\n"
		for _, s := range suggestions {
			msg += "\t" + s + "\n"
		}
	}
	return &cmdutil.FlagError{Err: errors.New(msg)}
}

// shutdownValues are the words after --hook-shutdown that are its
// values, in the grammar's order: a grace time, a strategy, a retry count.
func shutdownValues(rest []string) []string {
	isInt := func(s string) bool { _, err := strconv.Atoi(s); return err == nil }
	fits := []func(string) bool{isInt, func(s string) bool { return s == api.ShutdownDelete || s == api.ShutdownGiveUp }, isInt}
	var out []string
	for i, fit := range fits {
		if i >= len(rest) || !fit(rest[i]) {
			break
		}
		out = append(out, rest[i])
	}
	return out
}

// pairFlags take two values (`--metric NAME WEIGHT`, `-m NAME VALUE`), as
// in the original rok; pflag takes one, so they are joined as NAME=VALUE.
var pairFlags = map[string]bool{"--metric": true, "--global-metric": true, "-m": true, "--metrics": true}

// JoinPairFlags rewrites `--metric a 0.5` into `--metric=a=0.5` (the value
// may be negative: `-m temp -2`), and the original's `--hook-shutdown
// [GRACE] [STRATEGY] [RETRIES]` into `--hook-shutdown=GRACE,STRATEGY,RETRIES`.
func JoinPairFlags(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if a == "--hook-shutdown" {
			values := shutdownValues(args[i+1:])
			if len(values) > 0 {
				out = append(out, a+"="+strings.Join(values, ","))
				i += len(values)
				continue
			}
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
