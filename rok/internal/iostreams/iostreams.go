// Package iostreams carries rok's input and output streams and what is
// known about them: whether they are terminals, whether colour is allowed
// and how wide the screen is.
package iostreams

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	outTTY   bool
	errTTY   bool
	inTTY    bool
	color    bool
	width    int
	spinners bool
}

// System returns the process's streams, detecting terminals and NO_COLOR.
func System() *IOStreams {
	io := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, width: 80}
	io.inTTY = term.IsTerminal(int(os.Stdin.Fd()))
	io.outTTY = term.IsTerminal(int(os.Stdout.Fd()))
	io.errTTY = term.IsTerminal(int(os.Stderr.Fd()))
	if io.outTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil && w > 0 {
			io.width = w
		}
	}
	io.color = colorAllowed(io.outTTY, os.LookupEnv)
	io.spinners = io.errTTY
	return io
}

// colorAllowed: colour only on a terminal, never with NO_COLOR set (to
// anything, https://no-color.org) or TERM=dumb.
func colorAllowed(tty bool, lookupEnv func(string) (string, bool)) bool {
	if !tty {
		return false
	}
	if _, set := lookupEnv("NO_COLOR"); set {
		return false
	}
	term, _ := lookupEnv("TERM")
	return term != "dumb"
}

// Test returns streams backed by buffers: not terminals, no colour.
func Test() (streams *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, width: 80}, in, out, errOut
}

// IsStdoutTTY reports whether output goes to a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.outTTY }

// IsStdinTTY reports whether input comes from a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.inTTY }

// SetStdoutTTY pretends output is (or is not) a terminal; for tests.
func (s *IOStreams) SetStdoutTTY(tty bool) { s.outTTY = tty }

// SetColorEnabled turns colour on or off; for tests.
func (s *IOStreams) SetColorEnabled(on bool) { s.color = on }

// ColorEnabled reports whether ANSI colour may be written to Out.
func (s *IOStreams) ColorEnabled() bool { return s.color }

// CanSpin reports whether a spinner may be drawn on ErrOut.
func (s *IOStreams) CanSpin() bool { return s.spinners }

// Spin shows a spinner saying what (with the seconds so far) on ErrOut
// while fn runs, when ErrOut is a terminal; the line is cleared before
// Spin returns fn's error.
func (s *IOStreams) Spin(what string, fn func() error) error {
	if !s.spinners {
		return fn()
	}
	done, cleared := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(cleared)
		frames := []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}
		start := time.Now()
		ticker := time.NewTicker(100 * time.Millisecond)
		defer ticker.Stop()
		for i := 0; ; i++ {
			select {
			case <-done:
				fmt.Fprint(s.ErrOut, "\r\033[K")
				return
			case <-ticker.C:
				fmt.Fprintf(s.ErrOut, "\r%s %s (%ds)", frames[i%len(frames)], what, int(time.Since(start).Seconds()))
			}
		}
	}()
	err := fn()
	close(done)
	<-cleared
	return err
}

// TerminalWidth is the width of the output terminal (80 when unknown).
func (s *IOStreams) TerminalWidth() int { return s.width }
