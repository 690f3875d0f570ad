package constraint_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/krake-go/krake/apiserver/api/constraint"
)

func TestParseLabel(t *testing.T) {
	tests := []struct {
		name string
		expr string
		want constraint.Label
	}{
		{"is", "location is DE", constraint.Label{Key: "location", Op: constraint.OpEqual, Values: []string{"DE"}}},
		{"single equals without spaces", "location=DE", constraint.Label{Key: "location", Op: constraint.OpEqual, Values: []string{"DE"}}},
		{"double equals", "location == DE", constraint.Label{Key: "location", Op: constraint.OpEqual, Values: []string{"DE"}}},
		{"not equals without spaces", "location!=DE", constraint.Label{Key: "location", Op: constraint.OpNotEqual, Values: []string{"DE"}}},
		{"is not", "location is not DE", constraint.Label{Key: "location", Op: constraint.OpNotEqual, Values: []string{"DE"}}},
		{"in", "location in (DE, FR)", constraint.Label{Key: "location", Op: constraint.OpIn, Values: []string{"DE", "FR"}}},
		{"in with trailing comma", "location in (DE,)", constraint.Label{Key: "location", Op: constraint.OpIn, Values: []string{"DE"}}},
		{"not in", "location not in (DE, FR)", constraint.Label{Key: "location", Op: constraint.OpNotIn, Values: []string{"DE", "FR"}}},
		{"prefixed key", "example.com/zone = a-1", constraint.Label{Key: "example.com/zone", Op: constraint.OpEqual, Values: []string{"a-1"}}},
		{"key starting with in", "infra is x", constraint.Label{Key: "infra", Op: constraint.OpEqual, Values: []string{"x"}}},
		{"value named in", "k = in", constraint.Label{Key: "k", Op: constraint.OpEqual, Values: []string{"in"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := constraint.ParseLabel(tt.expr)
			if err != nil {
				t.Fatalf("ParseLabel(%q) error: %v", tt.expr, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseLabel(%q) mismatch (-want +got):\n%s", tt.expr, diff)
			}
			again, err := constraint.ParseLabel(got.String())
			if err != nil || !cmp.Equal(again, got) {
				t.Errorf("ParseLabel(String()) = %v, %v; want the same constraint back", again, err)
			}
		})
	}
}

func TestParseLabel_errors(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		wantErr string
	}{
		{"empty", "", "expected a label key"},
		{"key only", "location", "expected an operator"},
		{"unknown operator", "location ~ DE", "unknown operator"},
		{"missing value", "location =", "expected a value"},
		{"unclosed set", "location in (DE, FR", "missing ')'"},
		{"empty set", "location in ()", "set of values is empty"},
		{"set without paren", "location in DE", "expected '('"},
		{"trailing text", "location = DE FR", "unexpected text"},
		{"double comma", "location in (DE,,FR)", "expected a value in the set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := constraint.ParseLabel(tt.expr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseLabel(%q) error = %v, want it to contain %q", tt.expr, err, tt.wantErr)
			}
		})
	}
}

func TestLabel_Match(t *testing.T) {
	labels := map[string]string{"location": "DE", "tier": "gold"}
	tests := []struct {
		name string
		expr string
		want bool
	}{
		{"equal matches", "location is DE", true},
		{"equal mismatches", "location = FR", false},
		{"equal on a missing key fails", "zone = a", false},
		{"not equal on another value", "location != FR", true},
		{"not equal on the same value", "location != DE", false},
		{"not equal matches a cluster lacking the key", "zone != a", true},
		{"in matches", "location in (FR, DE)", true},
		{"in mismatches", "location in (FR, IT)", false},
		{"in on a missing key fails", "zone in (a, b)", false},
		{"not in matches", "location not in (FR, IT)", true},
		{"not in mismatches", "location not in (DE, IT)", false},
		{"not in matches a cluster lacking the key", "zone not in (a)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := constraint.ParseLabel(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Match(labels); got != tt.want {
				t.Errorf("%q.Match(%v) = %v, want %v", tt.expr, labels, got, tt.want)
			}
		})
	}
}

func TestLabel_Explain(t *testing.T) {
	c, _ := constraint.ParseLabel("location in (FR, IT)")
	got := c.Explain(map[string]string{"location": "DE"})
	want := "label location: cluster has DE, constraint wants in (FR, IT)"
	if got != want {
		t.Errorf("Explain = %q, want %q", got, want)
	}
}

func TestParseSelector(t *testing.T) {
	got, err := constraint.ParseSelector("app=echo, tier in (gold, silver), !legacy, team")
	if err != nil {
		t.Fatal(err)
	}
	want := []constraint.Label{
		{Key: "app", Op: constraint.OpEqual, Values: []string{"echo"}},
		{Key: "tier", Op: constraint.OpIn, Values: []string{"gold", "silver"}},
		{Key: "legacy", Op: constraint.OpNotExists},
		{Key: "team", Op: constraint.OpExists},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseSelector mismatch (-want +got):\n%s", diff)
	}
	if !constraint.MatchAll(got, map[string]string{"app": "echo", "tier": "gold", "team": "a"}) {
		t.Error("MatchAll = false for labels that satisfy every requirement")
	}
	if constraint.MatchAll(got, map[string]string{"app": "echo", "tier": "gold", "team": "a", "legacy": "1"}) {
		t.Error("MatchAll = true although !legacy is violated")
	}
	if sel, err := constraint.ParseSelector(""); err != nil || len(sel) != 0 {
		t.Errorf("ParseSelector(\"\") = %v, %v; want an empty selector", sel, err)
	}
	if _, err := constraint.ParseSelector("a=b,,c=d"); err == nil {
		t.Error("ParseSelector with an empty requirement succeeded")
	}
}

func TestParseMetric(t *testing.T) {
	tests := []struct {
		expr    string
		value   float64
		want    bool
		wantErr string // part of the message
	}{
		{expr: "latency < 0.5", value: 0.4, want: true},
		{expr: "latency < 0.5", value: 0.5, want: false},
		{expr: "latency<=0.5", value: 0.5, want: true},
		{expr: "energy > 2", value: 3, want: true},
		{expr: "energy >= -2", value: -2, want: true},
		{expr: "cost = 1", value: 1, want: true},
		{expr: "cost == 1", value: 2, want: false},
		{expr: "cost is 1", value: 1, want: true},
		{expr: "cost != 1", value: 2, want: true},
		{expr: "cost is not 1", value: 1, want: false},
		{expr: "cost < abc", wantErr: "number"},
		{expr: "cost", wantErr: `expected an operator (=, ==, is, !=, is not, <, <=, > or >=) and a number after "cost"`},
		{expr: "< 3", wantErr: "expected a metric name"},
		{expr: "cost ~ 3", wantErr: `unknown operator at "~ 3"`},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := constraint.ParseMetric(tt.expr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseMetric(%q) = %v, %v; want an error with %q", tt.expr, c, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseMetric(%q) error: %v", tt.expr, err)
			}
			if got := c.Match(tt.value); got != tt.want {
				t.Errorf("%q.Match(%v) = %v, want %v", tt.expr, tt.value, got, tt.want)
			}
		})
	}
}

// FuzzParseLabel: the parser never panics, and what it accepts prints back
// to an equal constraint.
func FuzzParseLabel(f *testing.F) {
	for _, seed := range []string{"location is DE", "a in (b,c,)", "x not in (y)", "k!=v", "a is not b", "((", "in in (in)"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := constraint.ParseLabel(expr)
		if err != nil {
			return
		}
		again, err := constraint.ParseLabel(c.String())
		if err != nil || !cmp.Equal(again, c) {
			t.Fatalf("ParseLabel(%q) = %#v, but its String %q parses to %#v, %v", expr, c, c.String(), again, err)
		}
		_ = c.Match(map[string]string{c.Key: c.Values[0]})
	})
}

func FuzzParseSelector(f *testing.F) {
	for _, seed := range []string{"a=b,c in (d,e),!f,g", "", ",", "a in (b,", "!"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		sel, err := constraint.ParseSelector(expr)
		if err == nil {
			_ = constraint.MatchAll(sel, map[string]string{"a": "b"})
		}
	})
}

func FuzzParseMetric(f *testing.F) {
	for _, seed := range []string{"latency < 0.5", "a is not 1", "x>=-2e3", "q = NaN"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := constraint.ParseMetric(expr)
		if err != nil {
			return
		}
		if _, err := constraint.ParseMetric(c.String()); err != nil {
			t.Fatalf("ParseMetric(%q).String() = %q does not parse: %v", expr, c.String(), err)
		}
	})
}
