package api

import (
	"regexp"
	"testing"
)

var nameRE = regexp.MustCompile(`^\w([\w\-.:]*\w)?$`)

func FuzzIsName(f *testing.F) {
	for _, seed := range []string{"a", "echo-demo", "Echo_Demo", "a-", "-a", "a:b.c", "a b", "é", "a\x00b"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		if got, want := isName(s), nameRE.MatchString(s); got != want {
			t.Errorf("isName(%q) = %v, the regexp says %v", s, got, want)
		}
	})
}
