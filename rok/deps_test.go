package main

import (
	"testing"

	"github.com/krake-go/krake/apiserver/deptest"
)

func TestDeps(t *testing.T) {
	why := "rok is a client: it talks to the API over HTTP only"
	deptest.Check(t, "github.com/krake-go/krake/rok", []deptest.Rule{
		{Prefix: "github.com/krake-go/krake/apiserver/store", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/server", Reason: why},
		{Prefix: "github.com/krake-go/krake/apiserver/embedetcd", Reason: why},
		{Prefix: "github.com/krake-go/krake/controllers", Reason: why},
		{Prefix: "go.etcd.io/etcd/server", Reason: why},
	}, nil)
}
