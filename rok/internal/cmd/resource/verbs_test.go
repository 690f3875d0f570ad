package resource_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/rok/internal/cmd/resource"
	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/iostreams"
)

// labelFields are the smallest Fields: -l only.
type labelFields struct{ labels resource.Labels }

func (l *labelFields) AddFlags(fs *pflag.FlagSet, update bool) { l.labels.AddFlags(fs, update) }
func (l *labelFields) Apply(obj api.Object, fs *pflag.FlagSet, _ bool) error {
	return l.labels.Apply(obj, fs)
}

func testSpec(kind string) resource.Spec {
	k := api.MustKind("kubernetes", kind)
	return resource.Spec{Kind: k, Use: "x", Create: "create", Fields: &labelFields{}, Wait: k.ReadyState != ""}
}

func testFactory() *cmdutil.Factory {
	io, _, _, _ := iostreams.Test()
	return &cmdutil.Factory{IO: io}
}

// run parses argv with cmd, as cobra does from the command line.
func run(t *testing.T, cmd *cobra.Command, argv string) error {
	t.Helper()
	cmd.SetArgs(strings.Fields(argv))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	return cmd.ExecuteContext(context.Background())
}

func isFlagError(err error) bool {
	var fe *cmdutil.FlagError
	return errors.As(err, &fe)
}

func TestNewCmdList(t *testing.T) {
	app := testSpec("Application")
	tests := []struct {
		argv    string
		want    resource.ListOptions
		wantErr string
	}{
		{argv: "", want: resource.ListOptions{Kind: app.Kind, Output: resource.OutputOptions{Format: "table"}}},
		{argv: "-A -o wide -l app=echo --sort-by .metadata.name --no-headers -w", want: resource.ListOptions{Kind: app.Kind, AllNamespaces: true,
			Watch: true, Selector: "app=echo", Output: resource.OutputOptions{Format: "wide", NoHeaders: true, SortBy: ".metadata.name"}}},
		{argv: "extra", wantErr: `unknown command "extra"`},
		{argv: "--bogus", wantErr: "unknown flag: --bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.argv, func(t *testing.T) {
			var got *resource.ListOptions
			err := run(t, resource.NewCmdList(testFactory(), app, func(_ context.Context, o *resource.ListOptions) error { got = o; return nil }), tt.argv)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmp.Comparer(func(a, b api.Kind) bool { return a.String() == b.String() })); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewCmdGet(t *testing.T) {
	app := testSpec("Application")
	var got *resource.GetOptions
	cmd := resource.NewCmdGet(testFactory(), app, func(_ context.Context, o *resource.GetOptions) error { got = o; return nil })
	if err := run(t, cmd, "echo-demo -o json -w"); err != nil {
		t.Fatal(err)
	}
	if got.Name != "echo-demo" || got.Output.Format != "json" || !got.Watch {
		t.Errorf("options = %+v", got)
	}
	for _, argv := range []string{"", "a b"} {
		err := run(t, resource.NewCmdGet(testFactory(), app, func(context.Context, *resource.GetOptions) error { return nil }), argv)
		if !isFlagError(err) {
			t.Errorf("get %q: %v, want a usage error", argv, err)
		}
	}
}

func TestNewCmdCreate(t *testing.T) {
	app := testSpec("Application")
	var got *resource.CreateOptions
	cmd := resource.NewCmdCreate(testFactory(), app, func(_ context.Context, o *resource.CreateOptions) error { got = o; return nil })
	if err := run(t, cmd, "echo-demo -l app=echo -l tier=gold --wait --timeout 30s --dry-run -o yaml"); err != nil {
		t.Fatal(err)
	}
	m := got.Object.GetMetadata()
	if m.Name != "echo-demo" || m.Labels["app"] != "echo" || m.Labels["tier"] != "gold" {
		t.Errorf("object metadata = %+v, want the name and both labels", m)
	}
	want := resource.WriteOptions{Output: resource.OutputOptions{Format: "yaml"}, DryRun: true,
		Wait: resource.WaitOptions{State: api.StateRunning, Timeout: 30 * time.Second}}
	if diff := cmp.Diff(want, got.Write); diff != "" {
		t.Errorf("write options (-want +got):\n%s", diff)
	}
	for _, tt := range []struct{ argv, want string }{
		{"", "give the name of the application"},
		{"x -l novalue", `--label "novalue": use KEY=VALUE`},
		{"x --wait --timeout 2h", "--timeout 2h0m0s must be between 1s and 1h"},
	} {
		err := run(t, resource.NewCmdCreate(testFactory(), app, func(context.Context, *resource.CreateOptions) error { return nil }), tt.argv)
		if !isFlagError(err) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("create %q: %v, want the usage error %q", tt.argv, err, tt.want)
		}
	}
}

func TestNewCmdUpdate(t *testing.T) {
	app := testSpec("Application")
	var got *resource.UpdateOptions
	cmd := resource.NewCmdUpdate(testFactory(), app, func(_ context.Context, o *resource.UpdateOptions) error { got = o; return nil })
	if err := run(t, cmd, "echo-demo -l tier=silver --remove-existing-labels"); err != nil {
		t.Fatal(err)
	}
	stored := api.MustKind("kubernetes", "Application").New()
	stored.GetMetadata().Labels = map[string]string{"old": "1"}
	if err := got.Apply(stored); err != nil {
		t.Fatal(err)
	}
	if got.Name != "echo-demo" || !cmp.Equal(stored.GetMetadata().Labels, map[string]string{"tier": "silver"}) {
		t.Errorf("update %q set labels %v, want only tier=silver", got.Name, stored.GetMetadata().Labels)
	}
}

func TestNewCmdDelete(t *testing.T) {
	cluster := testSpec("Cluster")
	var got *resource.DeleteOptions
	cmd := resource.NewCmdDelete(testFactory(), cluster, func(_ context.Context, o *resource.DeleteOptions) error { got = o; return nil })
	if err := run(t, cmd, "edge --force --wait"); err != nil {
		t.Fatal(err)
	}
	if got.Name != "edge" || !got.Force || got.Write.Wait.State != api.StateDeleted {
		t.Errorf("options = %+v, want edge, forced, waiting for DELETED", got)
	}
}
