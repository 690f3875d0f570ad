package server_test

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

func TestDeps(t *testing.T) {
	why := "the server serves the store; clients, controllers and UIs sit on the other side of HTTP"
	deptest.Check(t, "github.com/krake-go/krake/apiserver/server", []deptest.Rule{
		{Prefix: "github.com/krake-go/krake/apiserver/client", Reason: why},
		{Prefix: "github.com/krake-go/krake/controllers", Reason: why},
		{Prefix: "github.com/krake-go/krake/rok", Reason: why},
		{Prefix: "github.com/krake-go/krake/tui", Reason: why},
	}, nil)
}
