package client_test

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

func TestDeps(t *testing.T) {
	why := "the client is shared by rok, the TUI and controllers and talks HTTP only"
	deptest.Check(t, "github.com/krake-go/krake/apiserver/client", []deptest.Rule{
		{Prefix: "github.com/krake-go/krake/apiserver/store", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/server", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/auth", Reason: why},
		{Prefix: "go.etcd.io", Reason: why},
		{Prefix: "k8s.io", Reason: why},
		{Prefix: "github.com/spf13/cobra", Reason: why},
		{Prefix: "github.com/charmbracelet", Reason: why},
	}, []deptest.Rule{
		{Prefix: "testing", Reason: "production code must not import testing"},
	})
}
