// Package constraint parses and matches Krake's placement constraint grammar:
// label constraints (`location is DE`, `tier in (gold, silver,)`), metric
// constraints (`latency < 0.5`) and label selectors (comma-separated label
// constraints plus `key` / `!key` existence tests). It is a pure leaf package.
package constraint

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Op is a comparison operator.
type Op string

// Label and metric operators. Aliases (`is`, `==`) are normalised to OpEqual,
// `is not` to OpNotEqual.
const (
	OpEqual     Op = "="
	OpNotEqual  Op = "!="
	OpIn        Op = "in"
	OpNotIn     Op = "not in"
	OpExists    Op = "exists"
	OpNotExists Op = "!"
	OpLess      Op = "<"
	OpLessEq    Op = "<="
	OpGreater   Op = ">"
	OpGreaterEq Op = ">="
)

// Label is one parsed label constraint.
type Label struct {
	Key    string
	Op     Op
	Values []string // one value for = and !=, the set for in / not in, none for existence
}

// Match reports whether labels satisfy the constraint. As in Kubernetes
// selectors, != and not in match a cluster that lacks the key.
func (c Label) Match(labels map[string]string) bool {
	value, ok := labels[c.Key]
	switch c.Op {
	case OpEqual:
		return ok && value == c.Values[0]
	case OpNotEqual:
		return !ok || value != c.Values[0]
	case OpIn:
		return ok && slices.Contains(c.Values, value)
	case OpNotIn:
		return !ok || !slices.Contains(c.Values, value)
	case OpExists:
		return ok
	case OpNotExists:
		return !ok
	}
	return false
}

// Explain says in words why labels do or do not satisfy the constraint,
// e.g. `cluster has DE, constraint wants in (FR, IT)`.
func (c Label) Explain(labels map[string]string) string { return c.ExplainFor("cluster", labels) }

// ExplainFor is Explain for the labels of what (a cluster, a cloud).
func (c Label) ExplainFor(what string, labels map[string]string) string {
	value, ok := labels[c.Key]
	have := what + " lacks the label"
	if ok {
		have = what + " has " + value
	}
	return fmt.Sprintf("label %s: %s, constraint wants %s", c.Key, have, c.wants())
}

func (c Label) wants() string {
	switch c.Op {
	case OpIn, OpNotIn:
		return string(c.Op) + " (" + strings.Join(c.Values, ", ") + ")"
	case OpExists:
		return "the label to exist"
	case OpNotExists:
		return "the label to be absent"
	}
	return string(c.Op) + " " + c.Values[0]
}

// String is the canonical form, which ParseLabel accepts.
func (c Label) String() string {
	switch c.Op {
	case OpIn, OpNotIn:
		return c.Key + " " + string(c.Op) + " (" + strings.Join(c.Values, ", ") + ")"
	case OpExists:
		return c.Key
	case OpNotExists:
		return "!" + c.Key
	}
	return c.Key + " " + string(c.Op) + " " + c.Values[0]
}

// Metric is one parsed metric constraint, compared with a metric's value.
type Metric struct {
	Name  string
	Op    Op
	Value float64
}

// Match reports whether value satisfies the constraint.
func (c Metric) Match(value float64) bool {
	switch c.Op {
	case OpEqual:
		return value == c.Value
	case OpNotEqual:
		return value != c.Value
	case OpLess:
		return value < c.Value
	case OpLessEq:
		return value <= c.Value
	case OpGreater:
		return value > c.Value
	case OpGreaterEq:
		return value >= c.Value
	}
	return false
}

// String is the canonical form, which ParseMetric accepts.
func (c Metric) String() string {
	return c.Name + " " + string(c.Op) + " " + strconv.FormatFloat(c.Value, 'g', -1, 64)
}

// SyntaxError says where and why an expression failed to parse.
type SyntaxError struct {
	Expr   string
	Reason string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid constraint %q: %s", e.Expr, e.Reason)
}

// ParseLabel parses one label constraint: `key is v`, `key = v`, `key == v`,
// `key != v`, `key is not v`, `key in (a, b)`, `key not in (a, b)`. Spaces
// around = == != are optional and a trailing comma in a set is allowed.
func ParseLabel(expr string) (Label, error) {
	c, err := parseLabel(expr, false)
	return c, err
}

func parseLabel(expr string, allowExistence bool) (Label, error) {
	fail := func(reason string) (Label, error) {
		return Label{}, &SyntaxError{Expr: expr, Reason: reason}
	}
	s := newScanner(expr)
	s.skipSpace()
	negated := false
	if allowExistence && s.peek() == '!' && !strings.HasPrefix(s.rest(), "!=") {
		s.pos++
		negated = true
		s.skipSpace()
	}
	key := s.word()
	if key == "" {
		return fail("expected a label key at the start")
	}
	if !isLabelKey(key) {
		return fail(fmt.Sprintf("label key %q must be alphanumeric, '-', '_', '.' or '/'", key))
	}
	s.skipSpace()
	if negated || s.done() {
		if !allowExistence {
			return fail("expected an operator (is, =, ==, !=, is not, in, not in) after " + strconv.Quote(key))
		}
		if !s.done() {
			return fail("unexpected text after !" + key)
		}
		if negated {
			return Label{Key: key, Op: OpNotExists}, nil
		}
		return Label{Key: key, Op: OpExists}, nil
	}
	op, ok := s.labelOp()
	if !ok {
		return fail(fmt.Sprintf("unknown operator at %q; use is, =, ==, !=, is not, in or not in", s.rest()))
	}
	s.skipSpace()
	c := Label{Key: key, Op: op}
	if op == OpIn || op == OpNotIn {
		values, reason := s.valueSet()
		if reason != "" {
			return fail(reason)
		}
		c.Values = values
	} else {
		value := s.word()
		if value == "" {
			return fail("expected a value after " + strconv.Quote(string(op)))
		}
		c.Values = []string{value}
	}
	s.skipSpace()
	if !s.done() {
		return fail(fmt.Sprintf("unexpected text %q at the end", s.rest()))
	}
	return c, nil
}

// ParseSelector parses a label selector: label constraints separated by
// commas (commas inside parentheses belong to a set), plus `key` (exists)
// and `!key` (absent). An empty selector matches everything.
func ParseSelector(expr string) ([]Label, error) {
	var out []Label
	depth, start := 0, 0
	for i := 0; i <= len(expr); i++ {
		if i < len(expr) {
			switch expr[i] {
			case '(':
				depth++
				continue
			case ')':
				depth--
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		part := strings.TrimSpace(expr[start:i])
		start = i + 1
		if part == "" {
			if strings.TrimSpace(expr) == "" {
				return nil, nil
			}
			return nil, &SyntaxError{Expr: expr, Reason: "empty requirement between commas"}
		}
		c, err := parseLabel(part, true)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// MatchAll reports whether labels satisfy every constraint.
func MatchAll(constraints []Label, labels map[string]string) bool {
	for _, c := range constraints {
		if !c.Match(labels) {
			return false
		}
	}
	return true
}

// ParseMetric parses a metric constraint: `name OP number` with OP one of
// = == is != `is not` < <= > >=.
func ParseMetric(expr string) (Metric, error) {
	fail := func(reason string) (Metric, error) {
		return Metric{}, &SyntaxError{Expr: expr, Reason: reason}
	}
	s := newScanner(expr)
	s.skipSpace()
	name := s.word()
	if name == "" {
		return fail("expected a metric name at the start")
	}
	s.skipSpace()
	if s.done() {
		return fail("expected an operator (=, ==, is, !=, is not, <, <=, > or >=) and a number after " + strconv.Quote(name))
	}
	op, ok := s.metricOp()
	if !ok {
		return fail(fmt.Sprintf("unknown operator at %q; use =, ==, is, !=, is not, <, <=, > or >=", s.rest()))
	}
	s.skipSpace()
	raw := strings.TrimSpace(s.rest())
	if raw == "" {
		return fail("expected a number after " + strconv.Quote(string(op)))
	}
	value, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(value) || math.IsInf(value, 0) {
		return fail(fmt.Sprintf("value %q is not a number", raw))
	}
	return Metric{Name: name, Op: op, Value: value}, nil
}

type scanner struct {
	src string
	pos int
}

func newScanner(s string) *scanner { return &scanner{src: s} }

func (s *scanner) done() bool   { return s.pos >= len(s.src) }
func (s *scanner) rest() string { return s.src[s.pos:] }
func (s *scanner) peek() byte {
	if s.done() {
		return 0
	}
	return s.src[s.pos]
}

func (s *scanner) skipSpace() {
	for !s.done() && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t') {
		s.pos++
	}
}

// word reads a run of label characters.
func (s *scanner) word() string {
	start := s.pos
	for !s.done() && isWordByte(s.src[s.pos]) {
		s.pos++
	}
	return s.src[start:s.pos]
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' ||
		b == '-' || b == '_' || b == '.' || b == '/' || b == ':'
}

func isLabelKey(k string) bool {
	return !strings.Contains(k, ":")
}

// keyword consumes kw if it stands at the cursor as a whole word.
func (s *scanner) keyword(kw string) bool {
	r := s.rest()
	if !strings.HasPrefix(r, kw) {
		return false
	}
	if len(r) > len(kw) && isWordByte(r[len(kw)]) {
		return false
	}
	s.pos += len(kw)
	return true
}

func (s *scanner) symbol(sym string) bool {
	if strings.HasPrefix(s.rest(), sym) {
		s.pos += len(sym)
		return true
	}
	return false
}

func (s *scanner) labelOp() (Op, bool) {
	switch {
	case s.symbol("=="), s.symbol("="):
		return OpEqual, true
	case s.symbol("!="):
		return OpNotEqual, true
	case s.keyword("in"):
		return OpIn, true
	case s.keyword("is"):
		save := s.pos
		s.skipSpace()
		if s.keyword("not") {
			return OpNotEqual, true
		}
		s.pos = save
		return OpEqual, true
	case s.keyword("not"):
		s.skipSpace()
		if s.keyword("in") {
			return OpNotIn, true
		}
	}
	return "", false
}

func (s *scanner) metricOp() (Op, bool) {
	switch {
	case s.symbol("=="), s.symbol("="):
		return OpEqual, true
	case s.symbol("!="):
		return OpNotEqual, true
	case s.symbol("<="):
		return OpLessEq, true
	case s.symbol(">="):
		return OpGreaterEq, true
	case s.symbol("<"):
		return OpLess, true
	case s.symbol(">"):
		return OpGreater, true
	case s.keyword("is"):
		save := s.pos
		s.skipSpace()
		if s.keyword("not") {
			return OpNotEqual, true
		}
		s.pos = save
		return OpEqual, true
	}
	return "", false
}

// valueSet reads `(a, b, c,)`; it returns a reason when malformed.
func (s *scanner) valueSet() ([]string, string) {
	if !s.symbol("(") {
		return nil, "expected '(' to open the set of values"
	}
	var values []string
	for {
		s.skipSpace()
		if s.symbol(")") {
			break
		}
		value := s.word()
		if value == "" {
			if s.done() {
				return nil, "missing ')' to close the set of values"
			}
			return nil, fmt.Sprintf("expected a value in the set at %q", s.rest())
		}
		values = append(values, value)
		s.skipSpace()
		if s.symbol(",") {
			continue
		}
		if s.symbol(")") {
			break
		}
		if s.done() {
			return nil, "missing ')' to close the set of values"
		}
		return nil, fmt.Sprintf("expected ',' or ')' in the set at %q", s.rest())
	}
	if len(values) == 0 {
		return nil, "the set of values is empty"
	}
	return values, ""
}
