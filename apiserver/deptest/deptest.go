// Package deptest enforces the dependency rules of STYLE.md §2 in tests:
// a guarded package lists what it must never import, and the test fails,
// giving the reason, when an import appears. The compiler rejects cycles;
// these catch the legal but wrong arrows.
package deptest

import (
	"os/exec"
	"strings"
	"testing"
)

// Rule forbids an import path prefix, with the reason shown on failure.
type Rule struct {
	Prefix string
	Reason string
}

// Check fails t when pkg imports a forbidden prefix: transitive rules are
// checked against every dependency, direct rules (meant for standard
// library packages that third-party code may use freely) against pkg's own
// imports only.
func Check(t *testing.T, pkg string, transitive, direct []Rule) {
	t.Helper()
	deps := goList(t, "-deps", "-f", "{{.ImportPath}}", pkg)
	imports := goList(t, "-f", `{{join .Imports "\n"}}`, pkg)
	check := func(list []string, rules []Rule, how string) {
		for _, dep := range list {
			if dep == pkg {
				continue
			}
			for _, rule := range rules {
				if dep == rule.Prefix || strings.HasPrefix(dep, rule.Prefix+"/") {
					t.Errorf("%s %s %s: %s", pkg, how, dep, rule.Reason)
				}
			}
		}
	}
	check(deps, transitive, "depends on")
	check(imports, direct, "imports")
}

// CheckNoImport fails t when a package matching pattern (a go list pattern
// such as "mod/...") imports a forbidden prefix in its code or, with
// withTests, in its tests: for a rule that holds everywhere, such as the one
// JSON engine.
func CheckNoImport(t *testing.T, pattern string, withTests bool, rules []Rule, tags ...string) {
	t.Helper()
	format := "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}"
	if withTests {
		format += "{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}"
	}
	args := []string{"-f", format}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	out, err := exec.Command("go", append(append([]string{"list"}, args...), pattern)...).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pattern, err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		for _, imp := range fields[1:] {
			for _, rule := range rules {
				if imp == rule.Prefix || strings.HasPrefix(imp, rule.Prefix+"/") {
					t.Errorf("%s imports %s: %s", fields[0], imp, rule.Reason)
				}
			}
		}
	}
}

// CheckOnly fails t when pkg (with its tests when withTests) depends on a
// package under scope ("" for every non-standard package) that is not in
// allowed: an allowlist, for packages whose few dependencies are the point
// (the wire types, the grammar, the end-to-end tests).
func CheckOnly(t *testing.T, pkg string, withTests bool, scope string, allowed []string, reason string, tags ...string) {
	t.Helper()
	args := []string{"-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}
	if withTests {
		args = append(args, "-test")
	}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	under := func(path, prefix string) bool { return path == prefix || strings.HasPrefix(path, prefix+"/") }
	for _, dep := range goList(t, append(args, pkg)...) {
		// -test lists test variants as "path [pkg.test]" and the test main as "pkg.test".
		if strings.HasPrefix(dep, "[") || dep == pkg || dep == pkg+".test" || !under(dep, scope) && scope != "" {
			continue
		}
		ok := false
		for _, a := range allowed {
			if under(dep, a) {
				ok = true
				break
			}
		}
		if !ok {
			t.Errorf("%s depends on %s, which is not in its allowlist: %s", pkg, dep, reason)
		}
	}
}

func goList(t *testing.T, args ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go list %v: %v\n%s", args, err, ee.Stderr)
		}
		t.Fatalf("go list %v: %v", args, err)
	}
	return strings.Fields(string(out))
}
