package ui_test

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/krake-go/krake/rok/internal/cmd/ui"
	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/iostreams"
)

func TestNewCmd(t *testing.T) {
	streams, _, _, _ := iostreams.Test()
	f := &cmdutil.Factory{IO: streams}
	run := func(tty bool, args ...string) (*ui.Options, error) {
		streams.SetStdoutTTY(tty)
		var got *ui.Options
		cmd := ui.NewCmd(f, func(_ context.Context, o *ui.Options) error { got = o; return nil })
		cmd.SetArgs(args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		return got, cmd.Execute()
	}
	if got, err := run(true, "-A"); err != nil || !got.AllNamespaces {
		t.Errorf("ui -A: %+v, %v", got, err)
	}
	var fe *cmdutil.FlagError
	if _, err := run(false); !errors.As(err, &fe) {
		t.Errorf("ui without a terminal: %v, want a usage error", err)
	}
}
