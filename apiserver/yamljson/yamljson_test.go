package yamljson_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/yamljson"
)

// converted are documents in the streamed subset with the JSON they give:
// the document's key order, YAML 1.1 scalars, numbers as encoding/json
// writes them.
var converted = []struct{ name, yaml, json string }{
	{"empty", "", `null`},
	{"only comments", "# a\n  # b\n", `null`},
	{"start marker", "---\na: 1\n", `{"a":1}`},
	{"order kept", "b: 1\na: 2\nc: 3", `{"b":1,"a":2,"c":3}`},
	{"nested", "a:\n  b:\n    c: d\n  e: f\n", `{"a":{"b":{"c":"d"},"e":"f"}}`},
	{"null values", "a:\nb: ~\nc: null\nd: # note\n", `{"a":null,"b":null,"c":null,"d":null}`},
	{"yaml 1.1 booleans", "a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: True\ng: Yes please", `{"a":true,"b":false,"c":true,"d":false,"e":true,"f":true,"g":"Yes please"}`},
	{"integers", "a: 42\nb: -7\nc: 0x1F\nd: 0777\ne: 1_000\nf: +5\ng: 0b101\nh: 18446744073709551615\ni: 99999999999999999999", `{"a":42,"b":-7,"c":31,"d":511,"e":1000,"f":5,"g":5,"h":18446744073709551615,"i":100000000000000000000}`},
	{"floats", "a: 1.0\nb: .5\nc: 1e3\nd: -0.0\ne: 1e-7\nf: 3.25\ng: 1e400", `{"a":1,"b":0.5,"c":1000,"d":-0,"e":1e-7,"f":3.25,"g":"1e400"}`},
	{"timestamps stay text", "a: 2024-01-02\nb: 2024-01-02T03:04:05Z\nc: 2024-13-99", `{"a":"2024-01-02","b":"2024-01-02T03:04:05Z","c":"2024-13-99"}`},
	{"strings", "a: hello world\nb: 'it''s'\nc: \"tab\\there \\u00e9 \\x41\"\nd: a#b\ne: x # comment\nf: \"<&>\"\ng: '1'\nh: -foo\ni: a:b", `{"a":"hello world","b":"it's","c":"tab\there é A","d":"a#b","e":"x","f":"<&>","g":"1","h":"-foo","i":"a:b"}`},
	{"keys", "1: a\nyes: b\n'no': c\n\"q\": d\n2024-01-02: e\nk e y  : f", `{"1":"a","true":"b","no":"c","q":"d","2024-01-02":"e","k e y":"f"}`},
	{"sequences", "- a\n- 1\n-\n- - b\n  - c\n- d: 1\n  e: 2\n", `["a",1,null,["b","c"],{"d":1,"e":2}]`},
	{"sequence at its key's indentation", "a:\n- 1\n- 2\nb: 3\n", `{"a":[1,2],"b":3}`},
	{"kubernetes", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: echo\n  labels: {app: echo}\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: echo\n        image: \"k8s.gcr.io/echoserver:1.10\"\n        args: [\"-text\", hi]\n        ports:\n        - containerPort: 8080\n", `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"echo","labels":{"app":"echo"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"name":"echo","image":"k8s.gcr.io/echoserver:1.10","args":["-text","hi"],"ports":[{"containerPort":8080}]}]}}}}`},
	{"flow", "a: []\nb: {}\nc: [1, two, 'three', [4], {five: 5},]\nd: {x: 1, 'y': [no]}", `{"a":[],"b":{},"c":[1,"two","three",[4],{"five":5}],"d":{"x":1,"y":[false]}}`},
	{"literal", "a: |\n  line 1\n    indented\n\n  line 3\nb: 1\n", `{"a":"line 1\n  indented\n\nline 3\n","b":1}`},
	{"literal strip and keep", "a: |-\n  x\n\nb: |+\n  y\n\n\nc: 1", `{"a":"x","b":"y\n\n\n","c":1}`},
	{"folded", "a: >\n  one\n  two\n\n  three\n    more\n  four\n", `{"a":"one two\nthree\n  more\nfour\n"}`},
	{"literal in a sequence", "- |\n  x\n  y\n- z", `["x\ny\n","z"]`},
	{"literal keeps tabs and hashes", "a: |\n  x\n  \ty # not a comment\n", `{"a":"x\n\ty # not a comment\n"}`},
	{"top-level scalar", "hello", `"hello"`},
	{"top-level flow", "[1, 2]", `[1,2]`},
	{"indented root", "  a: 1\n  b: 2\n", `{"a":1,"b":2}`},
	{"comments between", "a: 1\n# c\n    # d\nb:\n  # e\n  c: 2\n", `{"a":1,"b":{"c":2}}`},
}

func TestConvert(t *testing.T) {
	for _, tc := range converted {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := yamljson.Convert([]byte(tc.yaml))
			if !ok {
				t.Fatalf("Convert(%q) left it to the tree converter; want %s", tc.yaml, tc.json)
			}
			if string(got) != tc.json {
				t.Errorf("Convert(%q)\n got %s\nwant %s", tc.yaml, got, tc.json)
			}
		})
	}
}

// leftToTree are documents the streamed subset does not take, valid or not.
var leftToTree = []struct{ name, yaml string }{
	{"anchor and alias", "a: &x 1\nb: *x\n"},
	{"merge key", "a: {x: 1}\nb:\n  <<: {y: 2}\n"},
	{"tag", "a: !!str 1\n"},
	{"directive", "%YAML 1.1\n---\na: 1\n"},
	{"two documents", "a: 1\n---\nb: 2\n"},
	{"document end", "a: 1\n...\n"},
	{"multi-line plain", "a: one\n  two\n"},
	{"multi-line quoted", "a: 'one\n  two'\n"},
	{"multi-line flow", "a: [1,\n  2]\n"},
	{"duplicate key", "a: 1\nb: 2\na: 3\n"},
	{"duplicate after resolution", "1: a\n0x1: b\n"},
	{"null key", "~: a\n"},
	{"float key", "1.5: a\n"},
	{"complex key", "? a\n: b\n"},
	{"tab indentation", "a:\n\tb: 1\n"},
	{"tab separator", "a:\t1\n"},
	{"crlf", "a: 1\r\nb: 2\r\n"},
	{"nan", "a: .nan\n"},
	{"infinity", "a: -.inf\n"},
	{"tab before a literal's first line", "a: |\n  \tx\n"},
	{"explicit indentation", "a: |2\n   x\n"},
	{"empty literal", "a: |\nb: 1\n"},
	{"mapping value on a key line", "a: b: c\n"},
	{"sequence after a key", "a: - b\n"},
	{"sequence in a mapping", "a: 1\n- b\n"},
	{"bad indentation", "a:\n    b: 1\n  c: 2\n"},
	{"unclosed quote", "a: 'x\n"},
	{"unknown escape", "a: \"\\q\"\n"},
	{"surrogate escape", "a: \"\\ud800\"\n"},
	{"reserved indicator", "a: @x\n"},
	{"invalid utf-8", "a: \xff\n"},
	{"control character", "a: \x01\n"},
	{"flow with colon", "a: [x:y]\n"},
	{"quoted key without space", "\"a\":b\n"},
	{"trailing content after quote", "a: 'x' y\n"},
	{"deep", strings.Repeat("- ", 300) + "x\n"},
	{"long key", strings.Repeat("k", 1100) + ": v\n"},
}

func TestConvert_leavesToTree(t *testing.T) {
	for _, tc := range leftToTree {
		t.Run(tc.name, func(t *testing.T) {
			if got, ok := yamljson.Convert([]byte(tc.yaml)); ok {
				t.Errorf("Convert(%q) = %s, want it left to the tree converter", tc.yaml, got)
			}
		})
	}
}

// canonical re-encodes JSON with sorted keys and numbers as written, so
// that two converters' outputs compare by meaning, numbers included.
func canonical(t testing.TB, data []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, data)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// agree checks the property the server relies on: where Convert answers,
// sigs.k8s.io/yaml succeeds with JSON of the same meaning; where
// sigs.k8s.io/yaml fails, Convert does not answer.
func agree(t testing.TB, y []byte) (streamed bool) {
	t.Helper()
	got, ok := yamljson.Convert(y)
	want, err := yaml.YAMLToJSON(y)
	if err != nil {
		if ok {
			t.Fatalf("Convert(%q) = %s, but the tree converter fails: %v", y, got, err)
		}
		return false
	}
	if ok && canonical(t, got) != canonical(t, want) {
		t.Fatalf("Convert(%q)\n got %s\nwant %s", y, got, want)
	}
	return ok
}

// corpus is every YAML file of the repository and the tables above.
func corpus(t testing.TB) map[string][]byte {
	docs := map[string][]byte{}
	for _, tc := range converted {
		docs[tc.name] = []byte(tc.yaml)
	}
	for _, tc := range leftToTree {
		docs[tc.name] = []byte(tc.yaml)
	}
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "dist") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			docs[path] = data
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestConvert_agreesWithTree(t *testing.T) {
	streamed := 0
	for name, doc := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			if agree(t, doc) {
				streamed++
			}
		})
	}
	// The repository's own manifests are in the subset; if none were, the
	// comparison above would prove nothing.
	if streamed < len(converted)+5 {
		t.Errorf("only %d documents of the corpus were streamed", streamed)
	}
}

func FuzzConvert(f *testing.F) {
	for _, doc := range corpus(f) {
		f.Add(doc)
	}
	f.Fuzz(func(t *testing.T, y []byte) {
		agree(t, y)
	})
}

// bigManifest is an application of about 2 MB of YAML, many small objects:
// the shape that costs the tree converter most.
func bigManifest() []byte {
	var b bytes.Buffer
	b.WriteString("metadata:\n  name: big\nspec:\n  manifest:\n")
	for i := 0; b.Len() < 2<<20-200; i++ {
		fmt.Fprintf(&b, "  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: c%d\n      labels: {app: big, tier: \"web\"}\n    data:\n      a: b\n      script: |\n        echo %d\n        exit 0\n", i, i)
	}
	return b.Bytes()
}

// allocated is how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestConvert_memory: a 2 MB manifest converts within the budget
// (~20 MB), where the tree converter allocates tens of times its size.
func TestConvert_memory(t *testing.T) {
	doc := bigManifest()
	var out, want []byte
	var ok bool
	var err error
	streamed := allocated(func() { out, ok = yamljson.Convert(doc) })
	if !ok {
		t.Fatal("the 2 MB manifest was left to the tree converter")
	}
	tree := allocated(func() { want, err = yaml.YAMLToJSON(doc) })
	if err != nil {
		t.Fatal(err)
	}
	if canonical(t, out) != canonical(t, want) {
		t.Fatal("the converters disagree on the 2 MB manifest")
	}
	t.Logf("2 MB manifest (%d bytes, %d of JSON): streamed %.1f MB allocated, tree %.1f MB", len(doc), len(out), float64(streamed)/1e6, float64(tree)/1e6)
	if streamed > 20<<20 {
		t.Errorf("converting %d bytes allocated %d MB, want at most 20 MB", len(doc), streamed>>20)
	}
	if streamed*5 > tree {
		t.Errorf("streamed %d bytes vs tree %d: expected the tree converter to cost at least 5 times more", streamed, tree)
	}
}

func BenchmarkConvert(b *testing.B) {
	doc := bigManifest()
	b.Run("stream", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := yamljson.Convert(doc); !ok {
				b.Fatal("left to the tree converter")
			}
		}
	})
	b.Run("tree", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := yaml.YAMLToJSON(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// pieces are the tokens random documents are made of: YAML's indicators,
// indentation, and scalars that resolve to each kind.
var pieces = []string{
	"\n", "\n", "\n", " ", " ", "  ", "    ", "- ", "-", ": ", ":", "#", " # c", "|", "|-", "|+", ">", ">-",
	"'", "''", "\"", "\\", "\\n", "\\u00e9", "[", "]", "{", "}", ", ", ",", "a", "b", "key", "k y",
	"yes", "No", "on", "~", "null", "0x1F", "0777", "1_0", "-1", "+2", "1.5", ".5", "1e3", "1e400",
	"2024-01-02", ".inf", "<<", "&a", "*a", "!t", "?", "---", "...", "\t", "é", "x:y", "\"q\":", "'s':",
}

// TestConvert_randomDocuments compares the two converters on documents
// made of random pieces (seeded: the same ones each run; FUZZ_SCALE=N
// tries N times as many).
func TestConvert_randomDocuments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 40000
	if scale, err := strconv.Atoi(os.Getenv("FUZZ_SCALE")); err == nil && scale > 1 {
		n *= scale
	}
	streamed := 0
	var b strings.Builder
	for range n {
		b.Reset()
		for range 1 + rng.IntN(40) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		if agree(t, []byte(b.String())) {
			streamed++
		}
	}
	t.Logf("%d of %d random documents streamed", streamed, n)
	if streamed < n/20 {
		t.Errorf("only %d of %d random documents streamed: the comparison proves little", streamed, n)
	}
}

// treeWriter renders random nested documents in the styles manifests use,
// so that the comparison covers valid documents as well as broken ones.
type treeWriter struct {
	rng *rand.Rand
	b   strings.Builder
}

var scalarWords = []string{"a", "b c", "yes", "0x10", "012", "1.50", "-3", "~", "", "x#y", "x: y", "'q'", "\"d\"", "é", "1e3", "2024-01-02", "a\\tb", "  lead", "trail  ", "#h", "- d", "[f]", "{g}", "|", ">", "null", "NO", "Off"}

func (w *treeWriter) scalar() {
	s := scalarWords[w.rng.IntN(len(scalarWords))]
	switch w.rng.IntN(4) {
	case 0:
		w.b.WriteString("'" + strings.ReplaceAll(s, "'", "''") + "'")
	case 1:
		w.b.WriteString(strconv.Quote(s))
	default:
		w.b.WriteString(s)
	}
}

func (w *treeWriter) blockScalar(indent int) {
	w.b.WriteString([]string{"|", "|-", "|+", ">", ">-", ">+"}[w.rng.IntN(6)])
	w.b.WriteString("\n")
	pad := strings.Repeat(" ", indent+1+w.rng.IntN(3))
	for range 1 + w.rng.IntN(5) {
		switch w.rng.IntN(5) {
		case 0:
			w.b.WriteString("\n")
		case 1:
			w.b.WriteString(pad + "  more " + scalarWords[w.rng.IntN(len(scalarWords))] + "\n")
		default:
			w.b.WriteString(pad + scalarWords[w.rng.IntN(len(scalarWords))] + "x\n")
		}
	}
}

func (w *treeWriter) flow(depth int) {
	if depth > 2 || w.rng.IntN(3) == 0 {
		w.scalar()
		return
	}
	open, closing := "[", "]"
	mapping := w.rng.IntN(2) == 0
	if mapping {
		open, closing = "{", "}"
	}
	w.b.WriteString(open)
	for i := range w.rng.IntN(4) {
		if i > 0 {
			w.b.WriteString(", ")
		}
		if mapping {
			w.b.WriteString("k" + strconv.Itoa(i) + ": ")
		}
		w.flow(depth + 1)
	}
	w.b.WriteString(closing)
}

// node writes a value after "key:" or "- " at indentation indent.
func (w *treeWriter) node(indent, depth int) {
	switch k := w.rng.IntN(10); {
	case depth > 4 || k < 3:
		w.b.WriteString(" ")
		w.scalar()
		w.b.WriteString([]string{"\n", " # c\n", "\n\n"}[w.rng.IntN(3)])
	case k == 3:
		w.b.WriteString(" ")
		w.blockScalar(indent)
	case k == 4:
		w.b.WriteString(" ")
		w.flow(0)
		w.b.WriteString("\n")
	case k < 7:
		w.b.WriteString("\n")
		w.mapping(indent+1+w.rng.IntN(3), depth+1)
	default:
		w.b.WriteString("\n")
		step := w.rng.IntN(3) // 0: a sequence at its key's indentation
		w.sequence(indent+step, depth+1)
	}
}

func (w *treeWriter) mapping(indent, depth int) {
	for i := range 1 + w.rng.IntN(4) {
		w.b.WriteString(strings.Repeat(" ", indent) + "k" + strconv.Itoa(i) + ":")
		w.node(indent, depth)
	}
}

func (w *treeWriter) sequence(indent, depth int) {
	for range 1 + w.rng.IntN(4) {
		w.b.WriteString(strings.Repeat(" ", indent) + "-")
		if w.rng.IntN(3) == 0 { // a compact mapping: "- k: v"
			w.b.WriteString(" k:")
			w.node(indent+2, depth+1)
			w.b.WriteString(strings.Repeat(" ", indent+2) + "z: 1\n")
			continue
		}
		w.node(indent, depth)
	}
}

// TestConvert_randomTrees compares the two converters on random nested
// documents (seeded; FUZZ_SCALE=N tries N times as many).
func TestConvert_randomTrees(t *testing.T) {
	w := &treeWriter{rng: rand.New(rand.NewPCG(3, 4))}
	n := 10000
	if scale, err := strconv.Atoi(os.Getenv("FUZZ_SCALE")); err == nil && scale > 1 {
		n *= scale
	}
	streamed := 0
	for range n {
		w.b.Reset()
		w.mapping(0, 0)
		if agree(t, []byte(w.b.String())) {
			streamed++
		}
	}
	t.Logf("%d of %d random trees streamed", streamed, n)
	if streamed < n/4 {
		t.Errorf("only %d of %d random trees streamed: the comparison proves little", streamed, n)
	}
}
