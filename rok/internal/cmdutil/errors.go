package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes, as the original CLI's and kubectl's: one switch in cli.Run
// decides them. Scripts test `$? -eq 1` for any failed request.
const (
	ExitOK    = 0
	ExitError = 1 // a failed request (any status), an unreachable API, a runtime error
	ExitUsage = 2 // a mistake in the command line
)

// FlagError is a usage mistake: rok prints the usage after it.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// IsFlagError reports a usage mistake.
func IsFlagError(err error) bool {
	var fe *FlagError
	return errors.As(err, &fe)
}

// SilentError exits non-zero without printing (the command said it all).
var SilentError = errors.New("silent")
