package resource

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/output"
)

// OutputOptions are -o and, for lists, --no-headers and --sort-by.
type OutputOptions struct {
	Format    string
	NoHeaders bool
	SortBy    string
}

func (o *OutputOptions) add(cmd *cobra.Command, list bool) {
	cmd.Flags().StringVarP(&o.Format, "output", "o", "table", "output format: table, wide, json, yaml, name, jsonpath=EXPR")
	_ = cmd.RegisterFlagCompletionFunc("output", cmdutil.CompleteValues(output.Formats...))
	if list {
		cmd.Flags().BoolVar(&o.NoHeaders, "no-headers", false, "omit the table header")
		cmd.Flags().StringVar(&o.SortBy, "sort-by", "", "sort a list by a JSONPath, e.g. .metadata.created")
	}
}

func (o OutputOptions) printer(f *cmdutil.Factory) (*output.Printer, error) {
	p, err := output.New(output.Options{Format: o.Format, NoHeaders: o.NoHeaders, SortBy: o.SortBy,
		TTY: f.IO.IsStdoutTTY(), Color: f.IO.ColorEnabled()})
	if err != nil {
		return nil, &cmdutil.FlagError{Err: err}
	}
	return p, nil
}

// WaitOptions are --wait[=STATE] and --timeout.
type WaitOptions struct {
	State   string
	Timeout time.Duration
}

func (w *WaitOptions) add(cmd *cobra.Command, def string) {
	cmd.Flags().StringVar(&w.State, "wait", "", "wait until the state is reached (bare --wait: "+def+")")
	cmd.Flags().Lookup("wait").NoOptDefVal = def
	cmd.Flags().DurationVar(&w.Timeout, "timeout", 2*time.Minute, "how long --wait waits")
	_ = cmd.RegisterFlagCompletionFunc("wait", cmdutil.CompleteValues(api.StateRunning, api.StateOnline, api.StateDeleted, api.StateFailed, api.StateDegraded))
}

// check validates the flags where they are parsed.
func (w WaitOptions) check() error {
	if w.State != "" && (w.Timeout <= 0 || w.Timeout > time.Hour) {
		return cmdutil.FlagErrorf("--timeout %s must be between 1s and 1h", w.Timeout)
	}
	return nil
}

func (w WaitOptions) writeOptions() client.WriteOptions {
	if w.State == "" {
		return client.WriteOptions{}
	}
	return client.WriteOptions{Blocking: strings.ToUpper(w.State), Timeout: w.Timeout.Seconds()}
}

// WriteOptions are what every write verb shares: -o, --dry-run and, for
// kinds with a ready state, --wait[=STATE] and --timeout.
type WriteOptions struct {
	Output OutputOptions
	Wait   WaitOptions
	DryRun bool
}

func (w *WriteOptions) add(cmd *cobra.Command, spec Spec, waitDefault, dryRunHelp string) {
	w.Output.add(cmd, false)
	cmd.Flags().BoolVar(&w.DryRun, "dry-run", false, dryRunHelp)
	if spec.Wait {
		w.Wait.add(cmd, waitDefault)
	}
}
