package controllers_test

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

func TestDeps(t *testing.T) {
	why := "controllers talk to the API over HTTP only, so each can run alone"
	deptest.Check(t, "github.com/krake-go/krake/controllers/...", []deptest.Rule{
		{Prefix: "github.com/krake-go/krake/apiserver/store", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/server", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/embedetcd", Reason: why},
		{Prefix: "github.com/krake-go/krake/rok", Reason: why},
		{Prefix: "github.com/krake-go/krake/tui", Reason: why},
	}, nil)
}
