package api_test

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

func TestDeps(t *testing.T) {
	wire := "api holds wire types only (stdlib, constraint, the JSON engine), so every client can import it cheaply"
	deptest.Check(t, "github.com/krake-go/krake/apiserver/api", []deptest.Rule{
		{Prefix: "github.com/krake-go/krake/apiserver/store", Reason: wire},
		{Prefix: "github.com/krake-go/krake/apiserver/server", Reason: wire},
		{Prefix: "github.com/krake-go/krake/apiserver/client", Reason: wire},
		{Prefix: "github.com/krake-go/krake/apiserver/auth", Reason: wire},
		{Prefix: "github.com/krake-go/krake/controllers", Reason: wire},
		{Prefix: "github.com/krake-go/krake/rok", Reason: wire},
		{Prefix: "github.com/krake-go/krake/tui", Reason: wire},
		{Prefix: "go.etcd.io", Reason: wire},
		{Prefix: "k8s.io", Reason: wire},
		{Prefix: "github.com/spf13/cobra", Reason: wire},
		{Prefix: "github.com/charmbracelet", Reason: wire},
		{Prefix: "github.com/julienschmidt/httprouter", Reason: wire},
	}, nil)
}
