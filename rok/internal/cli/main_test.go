package cli_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/server/servertest"
	"github.com/krake-go/krake/rok/internal/cli"
	"github.com/krake-go/krake/rok/internal/cmdutil"
	"github.com/krake-go/krake/rok/internal/config"
	"github.com/krake-go/krake/rok/internal/iostreams"
)

var (
	update = flag.Bool("update", false, "rewrite golden files")
	apiURL string
)

func TestMain(m *testing.M) {
	flag.Parse()
	time.Local = time.UTC // terminal tables show local time; make it stable
	srv, err := servertest.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	apiURL = srv.URL
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

// result is one rok run.
type result struct {
	stdout, stderr string
	code           int
}

// runner runs rok in-process against the test API in one namespace, with
// its own config home.
type runner struct {
	t         *testing.T
	namespace string
	env       map[string]string
	cwd       string
	tty       bool
	color     bool
	stdin     string
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	return &runner{
		t:         t,
		namespace: strings.ToLower(nonName.ReplaceAllString(t.Name(), "-")),
		env:       map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "ROK_API_URL": apiURL},
		cwd:       t.TempDir(),
	}
}

func (r *runner) run(args ...string) result {
	r.t.Helper()
	return r.runContext(context.Background(), args...)
}

func (r *runner) runContext(ctx context.Context, args ...string) result {
	r.t.Helper()
	io, in, out, errOut := iostreams.Test()
	in.WriteString(r.stdin)
	io.SetStdoutTTY(r.tty)
	io.SetColorEnabled(r.color)
	env := config.Env{Getenv: func(k string) string {
		if k == "ROK_NAMESPACE" {
			if v, ok := r.env[k]; ok {
				return v
			}
			return r.namespace
		}
		return r.env[k]
	}, Cwd: r.cwd}
	f := &cmdutil.Factory{IO: io, Env: env, Now: func() time.Time { return servertest.Clock }}
	code := cli.Run(ctx, f, "test", args)
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}

// must fails unless rok exited 0.
func (r *runner) must(args ...string) result {
	r.t.Helper()
	res := r.run(args...)
	if res.code != 0 {
		r.t.Fatalf("rok %s: exit %d\nstderr: %s", strings.Join(args, " "), res.code, res.stderr)
	}
	return res
}

var (
	nonName = regexp.MustCompile(`[^A-Za-z0-9]+`)
	rvJSON  = regexp.MustCompile(`("resource_version": ?)"\d+"`)
	rvYAML  = regexp.MustCompile(`(resource_version: )"\d+"`)
	uid     = regexp.MustCompile(`00000000-0000-4000-8000-\d{12}`)
)

// stable hides what depends on which tests ran before (revisions, UIDs).
func (r *runner) stable(s string) string {
	s = rvJSON.ReplaceAllString(s, `$1"<rv>"`)
	s = rvYAML.ReplaceAllString(s, `$1"<rv>"`)
	return uid.ReplaceAllString(s, "<uid>")
}

// golden compares got with testdata/<test name>.golden.
func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./rok/internal/cli -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const echoManifest = `# the echo-demo of the original README
apiVersion: apps/v1
kind: Deployment
metadata:
  name: echo-demo
spec:
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec: {containers: [{name: echo, image: registry.k8s.io/echoserver:1.10}]}
---
apiVersion: v1
kind: Service
metadata: {name: echo-demo}
spec: {type: NodePort, selector: {app: echo}, ports: [{port: 8080}]}
`

// app reads one application through rok -o json, as a script would.
func (r *runner) app(name string) *api.Application {
	r.t.Helper()
	var app api.Application
	if err := json.Unmarshal([]byte(r.must("kube", "app", "get", name, "-o", "json").stdout), &app); err != nil {
		r.t.Fatalf("rok kube app get %s -o json: %v", name, err)
	}
	return &app
}
