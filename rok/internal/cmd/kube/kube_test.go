package kube_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/rok/internal/cmd/kube"
	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/iostreams"
)

func factory() *cmdutil.Factory {
	io, _, _, _ := iostreams.Test()
	return &cmdutil.Factory{IO: io}
}

var appKind = api.MustKind("kubernetes", "Application")

func TestNewCmdExplain(t *testing.T) {
	var got *kube.ExplainOptions
	cmd := kube.NewCmdExplain(factory(), appKind, func(_ context.Context, o *kube.ExplainOptions) error { got = o; return nil })
	cmd.SetArgs(strings.Fields("echo-demo -o json"))
	cmd.SetOut(io.Discard)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Name != "echo-demo" || got.Format != "json" {
		t.Errorf("options = %+v", got)
	}
}

func TestNewCmdRetry(t *testing.T) {
	var got *kube.RetryOptions
	cmd := kube.NewCmdRetry(factory(), appKind, func(_ context.Context, o *kube.RetryOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"echo-demo"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Name != "echo-demo" {
		t.Errorf("options = %+v", got)
	}
	cmd = kube.NewCmdRetry(factory(), appKind, func(context.Context, *kube.RetryOptions) error { return nil })
	cmd.SetArgs(nil)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	if err := cmd.Execute(); err == nil {
		t.Error("retry without a name ran")
	}
}
