// Package completions holds rok's generated shell completion scripts. The
// tests regenerate them (failing when the committed ones are stale; -update
// rewrites them) and run the bash one in a real bash against a real API.
package completions_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
	"github.com/krake-go/krake/apiserver/server/servertest"
)

var (
	update = flag.Bool("update", false, "rewrite the committed completion scripts")
	rokBin string // built once in TestMain
)

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "rok-completions-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	rokBin = filepath.Join(dir, "rok")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=dev", "-o", rokBin, "../rok")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build rok: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

var scripts = map[string]string{"bash": "rok.bash", "zsh": "rok.zsh", "fish": "rok.fish", "powershell": "rok.ps1"}

func generate(t *testing.T, shell string) string {
	t.Helper()
	out, err := exec.Command(rokBin, "completion", shell).Output()
	if err != nil {
		t.Fatalf("rok completion %s: %v", shell, err)
	}
	return string(out)
}

func TestScriptsAreCurrent(t *testing.T) {
	for shell, file := range scripts {
		t.Run(shell, func(t *testing.T) {
			got := generate(t, shell)
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil || string(want) != got {
				t.Errorf("%s is stale or missing (%v); run: go test ./completions -update", file, err)
			}
		})
	}
}

// TestBashCompletesLiveNames sources the committed bash script in a real
// bash and asks it to complete `rok kube app get <TAB>` and `-n <TAB>`;
// the names come from a real API through the rok binary.
func TestBashCompletesLiveNames(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatalf("bash is required for this test: %v", err)
	}
	srv, err := servertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := client.New(srv.URL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"echo-demo", "echo-two", "other"} {
		app := api.MustKind("kubernetes", "Application").New().(*api.Application)
		app.Metadata.Name = name
		app.Spec.Manifest = api.MustRawObjects(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "c"}})
		if _, err := c.Applications("bashns").Create(t.Context(), app, client.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Dir(rokBin)
	script, _ := filepath.Abs("rok.bash")
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Fatalf("the bash-completion package is required (%v); run `make test-deps`", err)
	}
	complete := func(line string) []string {
		t.Helper()
		words := strings.Fields(line)
		if strings.HasSuffix(line, " ") {
			words = append(words, "")
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = fmt.Sprintf("%q", w)
		}
		prog := fmt.Sprintf(`source `+bashCompletion+`
source %q
COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=%q; COMP_POINT=${#COMP_LINE}
__start_rok rok
printf '%%s\n' "${COMPREPLY[@]}"`, script, strings.Join(quoted, " "), len(words)-1, line)
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog)
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "ROK_API_URL="+srv.URL, "ROK_NAMESPACE=bashns", "XDG_CONFIG_HOME="+t.TempDir())
		// compopt complains outside a real completion; only stdout counts.
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				got = append(got, l)
			}
		}
		slices.Sort(got)
		return got
	}
	if got := complete("rok kube app get echo"); !slices.Equal(got, []string{"echo-demo", "echo-two"}) {
		t.Errorf("rok kube app get echo<TAB> = %q, want echo-demo echo-two", got)
	}
	if got := complete("rok kube app get "); len(got) != 3 {
		t.Errorf("rok kube app get <TAB> = %q, want the three applications", got)
	}
	if got := complete("rok -n bash"); !slices.Equal(got, []string{"bashns"}) {
		t.Errorf("rok -n bash<TAB> = %q, want bashns", got)
	}
	if got := complete("rok kube app list -o "); !slices.Contains(got, "json") || !slices.Contains(got, "wide") {
		t.Errorf("rok kube app list -o <TAB> = %q, want the formats", got)
	}
}
