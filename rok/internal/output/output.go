// Package output prints API objects in rok's formats: table (a list, or a
// field/value view of one object), wide, json, yaml, name and jsonpath.
// Tables adapt to where they go: aligned columns with upper-case headers
// and local times on a terminal, tab-separated rows with RFC 3339 times in
// a pipe.
package output

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
	"k8s.io/client-go/util/jsonpath"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
)

// Formats are the values of -o, for help and completion.
var Formats = []string{"table", "wide", "json", "yaml", "name", "jsonpath="}

// Options configure a Printer.
type Options struct {
	Format    string // one of Formats; jsonpath=EXPR carries its expression
	NoHeaders bool
	SortBy    string // a jsonpath such as .metadata.created
	TTY       bool
	Color     bool // ANSI colour for states (a terminal without NO_COLOR)
	Loc       *time.Location
}

// Printer prints objects of one kind.
type Printer struct {
	opts     Options
	format   string
	jsonpath *jsonpath.JSONPath
	sortBy   *jsonpath.JSONPath
}

// New checks the options and returns a Printer; the error names the flag.
func New(opts Options) (*Printer, error) {
	p := &Printer{opts: opts, format: opts.Format}
	if p.format == "" {
		p.format = "table"
	}
	if expr, ok := strings.CutPrefix(p.format, "jsonpath="); ok {
		jp, err := parseJSONPath(expr)
		if err != nil {
			return nil, fmt.Errorf("-o jsonpath: %w", err)
		}
		p.format, p.jsonpath = "jsonpath", jp
	}
	switch p.format {
	case "table", "wide", "json", "yaml", "name", "jsonpath":
	default:
		return nil, fmt.Errorf("-o %q is not a format; use one of table, wide, json, yaml, name, jsonpath=EXPR", opts.Format)
	}
	if opts.SortBy != "" {
		jp, err := parseJSONPath(opts.SortBy)
		if err != nil {
			return nil, fmt.Errorf("--sort-by: %w", err)
		}
		p.sortBy = jp
	}
	return p, nil
}

// Format is the chosen format's name (jsonpath without its expression).
func (p *Printer) Format() string { return p.format }

// NeedsTyped reports whether the format prints the API object itself
// (json, yaml); the others work from generic JSON documents.
func (p *Printer) NeedsTyped() bool { return p.format == "json" || p.format == "yaml" }

// IsStructured reports JSON or YAML output, where nothing but the
// document may go to stdout.
func (p *Printer) IsStructured() bool {
	return p.format == "json" || p.format == "yaml" || p.format == "jsonpath" || p.format == "name"
}

func parseJSONPath(expr string) (*jsonpath.JSONPath, error) {
	expr = strings.Trim(strings.TrimSpace(expr), "'")
	if !strings.Contains(expr, "{") {
		if !strings.HasPrefix(expr, ".") {
			expr = "." + expr
		}
		expr = "{" + expr + "}"
	}
	jp := jsonpath.New("rok").AllowMissingKeys(true)
	if err := jp.Parse(expr); err != nil {
		return nil, err
	}
	return jp, nil
}

// ToDoc turns an object into generic JSON.
func ToDoc(obj any) (Doc, error) {
	switch x := obj.(type) {
	case Doc:
		return x, nil
	case json.RawMessage:
		var d Doc
		err := json.Unmarshal(x, &d)
		return d, err
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var d Doc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, err
	}
	return d, nil
}

// cell is a column's text for d, with the state coloured when allowed.
func (p *Printer) cell(c Column, d Doc) string {
	v := c.Value(d, Format{TTY: p.opts.TTY, Loc: p.opts.Loc})
	if p.opts.Color && c.Header == "state" {
		return colorState(v)
	}
	return v
}

// healthColors are ANSI colours: green, red, yellow.
var healthColors = map[api.Health]string{api.HealthGood: "32", api.HealthBad: "31", api.HealthBusy: "33"}

// colorState paints healthy states green, broken ones red and the ones
// on their way yellow.
func colorState(state string) string {
	code := healthColors[api.HealthOf(state)]
	return "\x1b[" + code + "m" + state + "\x1b[0m"
}

// PrintObject prints one object: a field/value table, or the document.
func (p *Printer) PrintObject(w io.Writer, k api.Kind, obj any) error {
	switch p.format {
	case "json":
		return writeJSON(w, obj)
	case "yaml":
		return writeYAML(w, obj)
	}
	d, err := ToDoc(obj)
	if err != nil {
		return err
	}
	switch p.format {
	case "name":
		_, err := fmt.Fprintln(w, nameOf(k, d))
		return err
	case "jsonpath":
		return p.execJSONPath(w, d)
	}
	rows := make([][]string, 0, 16)
	for _, c := range ColumnsFor(k) {
		rows = append(rows, []string{c.Header, p.cell(c, d)})
	}
	return p.writeTable(w, nil, rows)
}

// PrintList prints objects of kind k: a table with one row each, or the
// documents (-o json is a bare JSON array, as in the original).
func (p *Printer) PrintList(w io.Writer, k api.Kind, objs []any) error {
	docs := make([]Doc, len(objs))
	for i, obj := range objs {
		d, err := ToDoc(obj)
		if err != nil {
			return err
		}
		docs[i] = d
	}
	if p.sortBy != nil {
		order, err := p.sortOrder(docs)
		if err != nil {
			return err
		}
		sortedDocs, sortedObjs := make([]Doc, len(docs)), make([]any, len(objs))
		for i, j := range order {
			sortedDocs[i], sortedObjs[i] = docs[j], objs[j]
		}
		docs, objs = sortedDocs, sortedObjs
	}
	switch p.format {
	case "json":
		if objs == nil {
			objs = []any{}
		}
		return writeJSON(w, objs)
	case "yaml":
		if objs == nil {
			objs = []any{}
		}
		return writeYAML(w, objs)
	case "name":
		for _, d := range docs {
			if _, err := fmt.Fprintln(w, nameOf(k, d)); err != nil {
				return err
			}
		}
		return nil
	case "jsonpath":
		items := make([]any, len(docs))
		for i, d := range docs {
			items[i] = d
		}
		return p.execJSONPath(w, map[string]any{"api": k.API, "kind": k.Kind + "List", "items": items})
	}
	var cols []Column
	for _, c := range ColumnsFor(k) {
		if !c.Wide || p.format == "wide" {
			cols = append(cols, c)
		}
	}
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.Header
	}
	rows := make([][]string, len(docs))
	for i, d := range docs {
		row := make([]string, len(cols))
		for j, c := range cols {
			row[j] = p.cell(c, d)
		}
		rows[i] = row
	}
	if p.opts.NoHeaders {
		header = nil
	}
	return p.writeTable(w, header, rows)
}

func nameOf(k api.Kind, d Doc) string {
	name, _ := lookup(d, "metadata.name").(string)
	return strings.ToLower(k.Kind) + "/" + name
}

func (p *Printer) execJSONPath(w io.Writer, data any) error {
	var buf bytes.Buffer
	if err := p.jsonpath.Execute(&buf, data); err != nil {
		return fmt.Errorf("-o jsonpath: %w", err)
	}
	if buf.Len() > 0 && !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		buf.WriteByte('\n')
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// sortOrder sorts by the --sort-by value: numerically when every value is
// a number, else as text; ties keep the API's order.
func (p *Printer) sortOrder(docs []Doc) ([]int, error) {
	keys := make([]string, len(docs))
	numeric := true
	found := 0 // docs in which the path names a field, even a null one
	for i, d := range docs {
		// FindResults then PrintResults is Execute, with the results to see.
		results, err := p.sortBy.FindResults(d)
		if err != nil {
			return nil, fmt.Errorf("--sort-by: %w", err)
		}
		var buf bytes.Buffer
		named := false
		for _, r := range results {
			named = named || len(r) > 0
			if err := p.sortBy.PrintResults(&buf, r); err != nil {
				return nil, fmt.Errorf("--sort-by: %w", err)
			}
		}
		if named {
			found++
		}
		keys[i] = buf.String()
		if _, err := strconv.ParseFloat(keys[i], 64); err != nil {
			numeric = false
		}
	}
	if found == 0 && len(docs) > 0 {
		// A typo would otherwise leave the API's order, silently.
		return nil, fmt.Errorf("--sort-by %s: no item has this field; give a path as -o json shows it, such as .metadata.created", p.opts.SortBy)
	}
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if numeric {
			x, _ := strconv.ParseFloat(keys[a], 64)
			y, _ := strconv.ParseFloat(keys[b], 64)
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
		return strings.Compare(keys[a], keys[b])
	})
	return order, nil
}

// writeTable writes aligned columns on a terminal, tab-separated lines
// otherwise. header nil means no header line.
func (p *Printer) writeTable(w io.Writer, header []string, rows [][]string) error {
	if !p.opts.TTY {
		var buf bytes.Buffer
		if header != nil {
			buf.WriteString(strings.Join(header, "\t") + "\n")
		}
		for _, row := range rows {
			for i, cell := range row {
				row[i] = strings.ReplaceAll(cell, "\n", ", ")
			}
			buf.WriteString(strings.Join(row, "\t") + "\n")
		}
		_, err := w.Write(buf.Bytes())
		return err
	}
	var buf bytes.Buffer
	pad := tw.CellPadding{Global: tw.Padding{Left: "", Right: "   "}}
	table := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{
			Borders:  tw.BorderNone,
			Symbols:  tw.NewSymbols(tw.StyleNone),
			Settings: tw.Settings{Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off}, Lines: tw.Lines{ShowHeaderLine: tw.Off}},
		})),
		tablewriter.WithConfig(tablewriter.Config{
			Header: tw.CellConfig{Alignment: tw.CellAlignment{Global: tw.AlignLeft}, Formatting: tw.CellFormatting{AutoFormat: tw.On}, Padding: pad},
			Row:    tw.CellConfig{Alignment: tw.CellAlignment{Global: tw.AlignLeft}, Formatting: tw.CellFormatting{AutoWrap: tw.WrapNone}, Padding: pad},
		}),
	)
	if header != nil {
		table.Header(header)
	}
	for _, row := range rows {
		if err := table.Append(row); err != nil {
			return err
		}
	}
	if err := table.Render(); err != nil {
		return err
	}
	var out bytes.Buffer
	for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
		out.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	if header != nil && len(rows) == 0 {
		// An empty list still shows its header, then says so.
		out.WriteString("No resources found.\n")
	}
	_, err := w.Write(out.Bytes())
	return err
}

func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

func writeYAML(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	out, err := yaml.JSONToYAML(data)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// WriteEvent prints one watch event as a JSON line (-w -o json).
func WriteEvent(w io.Writer, typ string, obj any) error {
	data, err := json.Marshal(map[string]any{"type": typ, "object": obj})
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
