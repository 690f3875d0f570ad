package tui

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

func TestDeps(t *testing.T) {
	why := "the TUI reaches Krake through the client only, and knows nothing of rok"
	deptest.Check(t, "github.com/krake-go/krake/tui", []deptest.Rule{
		{Prefix: "github.com/krake-go/krake/rok", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/store", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/server", Reason: why},
		{Prefix: "github.com/krake-go/krake/controllers", Reason: why},
	}, nil)
}
