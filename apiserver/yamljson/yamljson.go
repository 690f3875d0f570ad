// Package yamljson converts YAML request bodies to JSON in one pass, with
// memory about the size of the output.
//
// sigs.k8s.io/yaml (yaml.v2 underneath) builds a node tree and then a value
// tree of the whole document: a 2 MB manifest costs about 70 MB while it
// converts. Convert instead writes JSON while it reads the YAML, for the
// part of YAML that manifests are written in: block mappings and
// sequences, plain and single-line quoted scalars, literal and folded
// block scalars, single-line flow collections and comments. For anything
// else (anchors and aliases, tags, directives, multi-line plain or quoted
// scalars, complex or non-string keys, several documents, tabs used as
// separators, malformed input) it answers ok=false and the caller converts
// with sigs.k8s.io/yaml, whose errors are the ones users see.
//
// Where it answers, the JSON means what sigs.k8s.io/yaml's would: the same
// YAML 1.1 scalar resolution (yes and on are true, 0777 is octal, a date is
// a string) and the same numbers. It keeps the document's key order, as the
// original's PyYAML does, where the tree converter sorts keys. A fuzz test
// holds the two to that.
package yamljson

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"sigs.k8s.io/yaml"
)

const (
	// maxDepth bounds nesting; deeper documents go to the tree converter.
	maxDepth = 200
	// maxKeyLen is below libyaml's limit for a simple key (1024).
	maxKeyLen = 1000
	// bigMapping is the key count above which duplicate keys are found
	// through a map instead of by comparing with each earlier key.
	bigMapping = 16
)

// ToJSON converts the first YAML document of y to JSON: in one pass where
// Convert can, else through sigs.k8s.io/yaml (for callers that need no
// bound on the memory of rare documents, such as rok reading a file).
func ToJSON(y []byte) ([]byte, error) {
	if out, ok := Convert(y); ok {
		return out, nil
	}
	return yaml.YAMLToJSON(y)
}

// Convert returns the JSON for the first YAML document of y, or ok=false
// when y is outside the subset this package converts.
func Convert(y []byte) (out []byte, ok bool) {
	if !allowedText(y) {
		return nil, false
	}
	c := &converter{src: y, out: make([]byte, 0, len(y)+len(y)/4+64)} // quotes make JSON longer
	if !c.document() {
		return nil, false
	}
	return c.out, true
}

// allowedText reports whether y is valid UTF-8 made of characters YAML
// allows, with \n line breaks only (no \r, NEL or Unicode line separators,
// whose handling is left to the tree converter).
func allowedText(y []byte) bool {
	for i := 0; i < len(y); {
		b := y[i]
		if b < utf8.RuneSelf {
			if (b < 0x20 && b != '\n' && b != '\t') || b == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(y[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff {
			return false
		}
		i += size
	}
	return true
}

type span struct{ start, end int }

type converter struct {
	src    []byte
	pos    int  // next byte of src to read
	line   int  // offset of the current line's first byte
	peeked bool // pos is at the first content byte of a line nextLine found
	out    []byte
	depth  int
	keys   []span // JSON keys of the open mappings, as offsets into out
	buf    []byte // scratch for scalars that need decoding
}

// document converts the first document: an optional "---" line, one node
// and nothing after it but blank and comment lines.
func (c *converter) document() bool {
	indent, ok := c.nextLine()
	if ok && indent == 0 && c.marker("---") {
		c.pos += 3
		if !c.endOfLine() {
			return false
		}
		indent, ok = c.nextLine()
	}
	if !ok || (indent == 0 && (c.marker("---") || c.marker("..."))) {
		return false
	}
	if indent < 0 {
		c.out = append(c.out, "null"...)
		return true
	}
	if !c.node(indent, -1, true) {
		return false
	}
	indent, ok = c.nextLine()
	return ok && indent < 0
}

// nextLine moves to the first content byte of the next line that is not
// blank or a comment and returns its indentation, -1 at the end of the
// input. ok is false for a tab in the indentation.
func (c *converter) nextLine() (indent int, ok bool) {
	if c.peeked {
		return c.pos - c.line, true
	}
	for c.pos < len(c.src) {
		c.line = c.pos
		for c.pos < len(c.src) && c.src[c.pos] == ' ' {
			c.pos++
		}
		if c.pos == len(c.src) {
			break
		}
		switch c.src[c.pos] {
		case '\n':
			c.pos++
			continue
		case '\t':
			return 0, false
		case '#':
			c.skipComment()
			continue
		}
		c.peeked = true
		return c.pos - c.line, true
	}
	return -1, true
}

// marker reports whether the line starts with a document marker.
func (c *converter) marker(m string) bool {
	end := c.pos + len(m)
	return c.pos == c.line && end <= len(c.src) && string(c.src[c.pos:end]) == m && c.blankAt(end)
}

func (c *converter) skipComment() {
	for c.pos < len(c.src) && c.src[c.pos] != '\n' {
		c.pos++
	}
	if c.pos < len(c.src) {
		c.pos++
	}
}

// blankAt reports whether src[i] ends a token: a space, a line break or
// the end of the input (a tab is not: the tree converter handles tabs).
func (c *converter) blankAt(i int) bool {
	return i >= len(c.src) || c.src[i] == ' ' || c.src[i] == '\n'
}

// skipSpaces skips spaces; false at a tab.
func (c *converter) skipSpaces() bool {
	for c.pos < len(c.src) && c.src[c.pos] == ' ' {
		c.pos++
	}
	return c.pos == len(c.src) || c.src[c.pos] != '\t'
}

// endOfLine consumes spaces, an optional comment and the line break.
func (c *converter) endOfLine() bool {
	if !c.skipSpaces() {
		return false
	}
	if c.pos < len(c.src) && c.src[c.pos] == '#' && (c.pos == c.line || c.src[c.pos-1] == ' ') {
		c.skipComment()
	} else if c.pos < len(c.src) {
		if c.src[c.pos] != '\n' {
			return false
		}
		c.pos++
	}
	c.line, c.peeked = c.pos, false
	return true
}

// atLineEnd reports whether only spaces and a comment are left on the line
// (pos is after at least one space, or at a line break).
func (c *converter) atLineEnd() bool {
	return c.pos >= len(c.src) || c.src[c.pos] == '\n' || (c.src[c.pos] == '#' && c.src[c.pos-1] == ' ')
}

// seqEntry reports whether pos is at a block sequence entry ("- " or "-"
// ending the line).
func (c *converter) seqEntry() bool {
	return c.src[c.pos] == '-' && c.blankAt(c.pos+1)
}

// node converts the node starting at pos, at column col, inside a block
// collection indented parent. collections is false after "key: ", where a
// block collection cannot start on the same line.
func (c *converter) node(col, parent int, collections bool) bool {
	if c.depth++; c.depth > maxDepth {
		return false
	}
	defer func() { c.depth-- }()
	switch ch := c.src[c.pos]; {
	case c.seqEntry():
		return collections && c.blockSeq(col)
	case ch == '|' || ch == '>':
		return parent >= 0 && c.blockScalar(parent)
	case ch == '[' || ch == '{':
		return c.flowNode() && c.endOfLine() && c.nextIndentAtMost(parent)
	case ch == '"' || ch == '\'':
		if collections && c.keyLine() {
			return c.blockMap(col)
		}
		return c.quoted() && c.endOfLine() && c.nextIndentAtMost(parent)
	case !plainStart(c.src, c.pos):
		return false
	case collections && c.keyLine():
		return c.blockMap(col)
	}
	s, isKey, ok := c.plain()
	return ok && !isKey && c.appendPlain(s, false) && c.endOfLine() && c.nextIndentAtMost(parent)
}

// nextIndentAtMost checks that a scalar ended its node: a more indented
// line after it would continue it (or be an error), for the tree converter.
func (c *converter) nextIndentAtMost(parent int) bool {
	indent, ok := c.nextLine()
	return ok && indent <= parent
}

// plainStart reports whether a plain scalar may start at src[i]: not at an
// indicator, except "-" before a non-blank.
func plainStart(src []byte, i int) bool {
	switch src[i] {
	case '-':
		return i+1 < len(src) && src[i+1] != ' ' && src[i+1] != '\n' && src[i+1] != '\t'
	case '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ', '\t', '\n':
		return false
	}
	return true
}

// keyLine reports whether the line at pos is "key: ..." with a plain or
// quoted single-line key.
func (c *converter) keyLine() bool {
	save := c.pos
	defer func() { c.pos = save }()
	if ch := c.src[c.pos]; ch == '"' || ch == '\'' {
		if !c.skipQuoted() || !c.skipSpaces() {
			return false
		}
		return c.pos < len(c.src) && c.src[c.pos] == ':' && c.blankAt(c.pos+1)
	}
	_, isKey, ok := c.plain()
	return ok && isKey
}

// blockMap converts a block mapping whose keys are at column indent.
func (c *converter) blockMap(indent int) bool {
	c.out = append(c.out, '{')
	base := len(c.keys)
	var seen map[string]struct{}
	for first := true; ; first = false {
		if c.seqEntry() || c.marker("---") || c.marker("...") {
			return false
		}
		if !first {
			c.out = append(c.out, ',')
		}
		start := len(c.out)
		if !c.key() {
			return false
		}
		key := span{start, len(c.out)}
		if !c.unique(key, base, &seen) {
			return false
		}
		c.out = append(c.out, ':')
		c.pos++ // the ':'
		if !c.value(indent, true) {
			return false
		}
		next, ok := c.nextLine()
		switch {
		case !ok || next > indent:
			return false
		case next < indent:
			c.keys = c.keys[:base]
			c.out = append(c.out, '}')
			return true
		}
	}
}

// unique records key among the open mapping's keys (from base), false if
// it is there already: the tree converter decides what a duplicate means.
func (c *converter) unique(key span, base int, seen *map[string]struct{}) bool {
	k := c.out[key.start:key.end]
	if *seen != nil {
		if _, dup := (*seen)[string(k)]; dup {
			return false
		}
		(*seen)[string(k)] = struct{}{}
		return true
	}
	for _, s := range c.keys[base:] {
		if string(c.out[s.start:s.end]) == string(k) {
			return false
		}
	}
	c.keys = append(c.keys, key)
	if len(c.keys)-base > bigMapping {
		*seen = make(map[string]struct{}, 2*bigMapping)
		for _, s := range c.keys[base:] {
			(*seen)[string(c.out[s.start:s.end])] = struct{}{}
		}
	}
	return true
}

// key converts a mapping key up to (not including) its ':'.
func (c *converter) key() bool {
	start := c.pos
	if ch := c.src[c.pos]; ch == '"' || ch == '\'' {
		if !c.quoted() || !c.skipSpaces() {
			return false
		}
	} else {
		if !plainStart(c.src, c.pos) {
			return false
		}
		s, isKey, ok := c.plain()
		if !ok || !isKey || !c.appendPlain(s, true) {
			return false
		}
	}
	return c.pos-start <= maxKeyLen && c.pos < len(c.src) && c.src[c.pos] == ':' && c.blankAt(c.pos+1)
}

// value converts what follows the ':' of a key (afterKey) or the '-' of a
// sequence entry, in a collection indented indent.
func (c *converter) value(indent int, afterKey bool) bool {
	if !c.skipSpaces() {
		return false
	}
	if !c.atLineEnd() {
		// "key: - a" is not YAML; "- - a" and "- k: v" are.
		return c.node(c.pos-c.line, indent, !afterKey)
	}
	if !c.endOfLine() {
		return false
	}
	next, ok := c.nextLine()
	switch {
	case !ok:
		return false
	case next > indent:
		return c.node(next, indent, true)
	case afterKey && next == indent && c.seqEntry():
		// A sequence may sit at its key's indentation.
		return c.blockSeq(indent)
	}
	c.out = append(c.out, "null"...)
	return true
}

// blockSeq converts a block sequence whose "-" are at column indent.
func (c *converter) blockSeq(indent int) bool {
	c.out = append(c.out, '[')
	for first := true; ; first = false {
		if !first {
			c.out = append(c.out, ',')
		}
		c.pos++ // the '-'
		if !c.value(indent, false) {
			return false
		}
		next, ok := c.nextLine()
		switch {
		case !ok || next > indent:
			return false
		case next < indent || !c.seqEntry():
			c.out = append(c.out, ']')
			return true
		}
	}
}

// plain scans a single-line plain scalar in block context. isKey is true
// when it ends at ": " (pos is then at the ':'); ok is false for a tab.
func (c *converter) plain() (s []byte, isKey, ok bool) {
	start := c.pos
	end := start
	for c.pos < len(c.src) {
		switch ch := c.src[c.pos]; ch {
		case '\n':
			return c.src[start:end], false, true
		case '\t':
			return nil, false, false
		case ':':
			if c.blankAt(c.pos + 1) {
				return c.src[start:end], true, true
			}
		case '#':
			if c.src[c.pos-1] == ' ' {
				c.pos = end
				return c.src[start:end], false, true
			}
		}
		c.pos++
		if c.src[c.pos-1] != ' ' {
			end = c.pos
		}
	}
	return c.src[start:end], false, true
}

// skipQuoted moves past a single-line quoted scalar.
func (c *converter) skipQuoted() bool {
	q := c.src[c.pos]
	for i := c.pos + 1; i < len(c.src); i++ {
		switch c.src[i] {
		case '\n':
			return false
		case '\\':
			if q == '"' {
				i++
			}
		case q:
			if q == '\'' && i+1 < len(c.src) && c.src[i+1] == '\'' {
				i++
				continue
			}
			c.pos = i + 1
			return true
		}
	}
	return false
}

// quoted converts a single-line quoted scalar to a JSON string.
func (c *converter) quoted() bool {
	start := c.pos
	if !c.skipQuoted() {
		return false
	}
	body := c.src[start+1 : c.pos-1]
	if c.src[start] == '\'' {
		c.buf = c.buf[:0]
		for i := 0; i < len(body); i++ {
			c.buf = append(c.buf, body[i])
			if body[i] == '\'' {
				i++ // the second of ''
			}
		}
		c.out = appendString(c.out, c.buf)
		return true
	}
	decoded, ok := unescape(c.buf[:0], body)
	if !ok {
		return false
	}
	c.buf = decoded
	c.out = appendString(c.out, c.buf)
	return true
}

// unescape decodes the escapes of a double-quoted scalar's body.
func unescape(dst, body []byte) ([]byte, bool) {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			dst = append(dst, body[i])
			continue
		}
		i++
		if i == len(body) {
			return nil, false
		}
		digits := 0
		switch body[i] {
		case '0':
			dst = append(dst, 0)
		case 'a':
			dst = append(dst, '\a')
		case 'b':
			dst = append(dst, '\b')
		case 't', '\t':
			dst = append(dst, '\t')
		case 'n':
			dst = append(dst, '\n')
		case 'v':
			dst = append(dst, '\v')
		case 'f':
			dst = append(dst, '\f')
		case 'r':
			dst = append(dst, '\r')
		case 'e':
			dst = append(dst, 0x1b)
		case ' ', '"', '\\':
			dst = append(dst, body[i])
		case 'N':
			dst = utf8.AppendRune(dst, 0x85)
		case '_':
			dst = utf8.AppendRune(dst, 0xa0)
		case 'L':
			dst = utf8.AppendRune(dst, 0x2028)
		case 'P':
			dst = utf8.AppendRune(dst, 0x2029)
		case 'x':
			digits = 2
		case 'u':
			digits = 4
		case 'U':
			digits = 8
		default:
			return nil, false
		}
		if digits == 0 {
			continue
		}
		if i+digits >= len(body) {
			return nil, false
		}
		v, err := strconv.ParseUint(string(body[i+1:i+1+digits]), 16, 32)
		if err != nil || (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff {
			return nil, false
		}
		dst = utf8.AppendRune(dst, rune(v))
		i += digits
	}
	return dst, true
}

// blockScalar converts a literal (|) or folded (>) block scalar of a node
// in a collection indented parent. Explicit indentation indicators and
// scalars without content lines are left to the tree converter.
func (c *converter) blockScalar(parent int) bool {
	folded := c.src[c.pos] == '>'
	c.pos++
	chomp := byte(0)
	if c.pos < len(c.src) && (c.src[c.pos] == '-' || c.src[c.pos] == '+') {
		chomp = c.src[c.pos]
		c.pos++
	}
	if !c.blankAt(c.pos) || !c.endOfLine() {
		return false
	}
	// The first line with content sets the indentation; blank lines
	// before it must not be longer.
	indent, longestBlank := -1, 0
	for i, lineStart := c.pos, c.pos; i < len(c.src); i++ {
		if c.src[i] == ' ' {
			continue
		}
		if c.src[i] == '\n' {
			longestBlank = max(longestBlank, i-lineStart)
			lineStart = i + 1
			continue
		}
		if c.src[i] == '\t' {
			return false
		}
		indent = i - lineStart
		break
	}
	if indent <= parent || longestBlank > indent {
		return false
	}
	text := c.buf[:0]
	leadBreak, leadingBlank, trailingBreaks := false, false, 0
	for c.pos < len(c.src) {
		lineStart := c.pos
		sp := 0
		for c.pos < len(c.src) && c.src[c.pos] == ' ' && sp < indent {
			c.pos++
			sp++
		}
		if c.pos == len(c.src) {
			break
		}
		if c.src[c.pos] == '\n' { // a blank line
			trailingBreaks++
			c.pos++
			continue
		}
		if sp < indent {
			if c.src[c.pos] == '\t' {
				return false
			}
			c.pos = lineStart // the scalar ended before this line
			break
		}
		trailingBlank := c.src[c.pos] == ' ' || c.src[c.pos] == '\t'
		if folded && leadBreak && !leadingBlank && !trailingBlank {
			if trailingBreaks == 0 {
				text = append(text, ' ')
			}
		} else if leadBreak {
			text = append(text, '\n')
		}
		leadBreak = false
		for ; trailingBreaks > 0; trailingBreaks-- {
			text = append(text, '\n')
		}
		leadingBlank = trailingBlank
		end := c.pos
		for end < len(c.src) && c.src[end] != '\n' {
			end++
		}
		text = append(text, c.src[c.pos:end]...)
		c.pos = end
		if c.pos < len(c.src) {
			c.pos++
			leadBreak = true
		}
	}
	if chomp != '-' && leadBreak {
		text = append(text, '\n')
	}
	if chomp == '+' {
		for ; trailingBreaks > 0; trailingBreaks-- {
			text = append(text, '\n')
		}
	}
	c.buf = text
	c.out = appendString(c.out, text)
	c.line, c.peeked = c.pos, false
	return c.nextIndentAtMost(parent)
}

// flowNode converts a flow collection or scalar that ends on this line.
func (c *converter) flowNode() bool {
	if c.depth++; c.depth > maxDepth {
		return false
	}
	defer func() { c.depth-- }()
	if c.pos >= len(c.src) {
		return false
	}
	switch c.src[c.pos] {
	case '[':
		return c.flowCollection(']', false)
	case '{':
		return c.flowCollection('}', true)
	case '"', '\'':
		return c.quoted()
	}
	s, ok := c.flowPlain()
	return ok && len(s) > 0 && c.appendPlain(s, false)
}

// flowCollection converts [a, b] or {k: v, ...} up to its closing bracket.
func (c *converter) flowCollection(closing byte, mapping bool) bool {
	c.out = append(c.out, c.src[c.pos])
	c.pos++
	base := len(c.keys)
	var seen map[string]struct{}
	for first := true; ; {
		if !c.skipSpaces() || c.pos >= len(c.src) {
			return false
		}
		if c.src[c.pos] == closing {
			c.pos++
			c.keys = c.keys[:base]
			c.out = append(c.out, closing)
			return true
		}
		if !first {
			c.out = append(c.out, ',')
		}
		first = false
		if mapping {
			start := len(c.out)
			if !c.flowKey() || !c.unique(span{start, len(c.out)}, base, &seen) {
				return false
			}
			c.out = append(c.out, ':')
			if !c.skipSpaces() || c.pos >= len(c.src) || c.src[c.pos] == ',' || c.src[c.pos] == '}' {
				return false
			}
		}
		if !c.flowNode() || !c.skipSpaces() || c.pos >= len(c.src) {
			return false
		}
		switch c.src[c.pos] {
		case ',':
			c.pos++
		case closing:
		default:
			return false
		}
	}
}

// flowKey converts a key in a flow mapping and moves past its ": ".
func (c *converter) flowKey() bool {
	if ch := c.src[c.pos]; ch == '"' || ch == '\'' {
		if !c.quoted() || !c.skipSpaces() {
			return false
		}
	} else {
		s, ok := c.flowPlain()
		if !ok || len(s) == 0 || !c.appendPlain(s, true) {
			return false
		}
	}
	// ": " on the same line: the collection must close on this line.
	if c.pos+1 >= len(c.src) || c.src[c.pos] != ':' || c.src[c.pos+1] != ' ' {
		return false
	}
	c.pos++
	return true
}

// flowPlain scans a plain scalar inside a flow collection. A ':' anywhere
// in it (libyaml's rules there are subtle) or a comment leaves the
// document to the tree converter.
func (c *converter) flowPlain() ([]byte, bool) {
	if c.pos >= len(c.src) || !plainStart(c.src, c.pos) {
		return nil, false
	}
	start := c.pos
	end := start
	for c.pos < len(c.src) {
		switch c.src[c.pos] {
		case ',', '[', ']', '{', '}':
			return c.src[start:end], true
		case ':':
			// "k: v" ends a key; flowKey checks what follows.
			if c.blankAt(c.pos + 1) {
				return c.src[start:end], true
			}
			return nil, false
		case '\n', '\t', '#', '"', '\'', '?':
			return nil, false
		}
		c.pos++
		if c.src[c.pos-1] != ' ' {
			end = c.pos
		}
	}
	return nil, false
}

// appendPlain appends the JSON for a plain scalar, resolved as yaml.v2
// resolves it (YAML 1.1). A key must resolve to a string, a whole number or
// a boolean; values that JSON cannot hold (.nan, .inf) and merge keys are
// left to the tree converter.
func (c *converter) appendPlain(s []byte, isKey bool) bool {
	v := resolve(s)
	if isKey {
		switch v.kind {
		case kindString:
			if string(s) == "<<" {
				return false
			}
			c.out = appendString(c.out, s)
		case kindBool, kindInt:
			c.out = append(c.out, '"')
			c.out = v.appendJSON(c.out, s)
			c.out = append(c.out, '"')
		default:
			return false
		}
		return true
	}
	if v.kind == kindNotJSON {
		return false
	}
	c.out = v.appendJSON(c.out, s)
	return true
}

type kind int

const (
	kindString kind = iota
	kindNull
	kindBool
	kindInt
	kindUint
	kindFloat
	kindNotJSON // NaN and the infinities
)

type resolved struct {
	kind kind
	b    bool
	i    int64
	u    uint64
	f    float64
}

func (v resolved) appendJSON(dst, s []byte) []byte {
	switch v.kind {
	case kindNull:
		return append(dst, "null"...)
	case kindBool:
		return strconv.AppendBool(dst, v.b)
	case kindInt:
		return strconv.AppendInt(dst, v.i, 10)
	case kindUint:
		return strconv.AppendUint(dst, v.u, 10)
	case kindFloat:
		return appendFloat(dst, v.f)
	}
	return appendString(dst, s)
}

var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolve gives a plain scalar's value by yaml.v2's rules (its resolve
// function), for the kinds sigs.k8s.io/yaml can write as JSON.
func resolve(b []byte) resolved {
	if len(b) == 0 {
		return resolved{kind: kindNull}
	}
	switch c := b[0]; {
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
	case c == '.' || c == 'y' || c == 'Y' || c == 'n' || c == 'N' || c == 't' || c == 'T' || c == 'f' || c == 'F' || c == 'o' || c == 'O' || c == '~':
	default:
		return resolved{}
	}
	// yaml.v2's table of words. A switch on string(b) does not copy b; s
	// below does, only for scalars that may be numbers.
	switch string(b) {
	case "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON":
		return resolved{kind: kindBool, b: true}
	case "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF":
		return resolved{kind: kindBool}
	case "~", "null", "Null", "NULL":
		return resolved{kind: kindNull}
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return resolved{kind: kindNotJSON}
	}
	if c := b[0]; c != '.' && c != '+' && c != '-' && (c < '0' || c > '9') {
		return resolved{}
	}
	s := string(b)
	switch c := s[0]; {
	case c == '.':
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return float(f)
		}
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		if isTimestamp(s) {
			return resolved{} // sigs.k8s.io/yaml keeps the text
		}
		plain := strings.ReplaceAll(s, "_", "") // as yaml.v2
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return resolved{kind: kindInt, i: i}
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return resolved{kind: kindUint, u: u}
		}
		if yamlStyleFloat.MatchString(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return float(f)
			}
		}
		if len(plain) > 2 && plain[:2] == "0b" {
			if i, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
				return resolved{kind: kindInt, i: i}
			}
			if u, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
				return resolved{kind: kindUint, u: u}
			}
		} else if len(plain) > 3 && plain[:3] == "-0b" {
			if i, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
				return resolved{kind: kindInt, i: i}
			}
		}
	}
	return resolved{}
}

func float(f float64) resolved {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return resolved{kind: kindNotJSON}
	}
	return resolved{kind: kindFloat, f: f}
}

var timestampFormats = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

// isTimestamp reports whether yaml.v2 would read s as a timestamp: four
// digits, a '-', and one of its formats.
func isTimestamp(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, format := range timestampFormats {
		if _, err := time.Parse(format, s); err == nil {
			return true
		}
	}
	return false
}

// appendFloat writes f as encoding/json does (the tree converter's JSON).
func appendFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as in encoding/json.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}

// appendString writes s as a JSON string. s is valid UTF-8 (Convert checks
// the input, and escapes decode to valid runes), so AppendQuote cannot fail.
func appendString(dst, s []byte) []byte {
	out, _ := jsontext.AppendQuote(dst, s)
	return out
}
