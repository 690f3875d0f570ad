package output

import (
	"fmt"
	"io"
	"strings"

	"github.com/krake-go/krake/apiserver/api/placement"
)

// PrintExplanation prints why each cluster was chosen, passed or
// rejected: a table, or the document with -o json / yaml.
func (p *Printer) PrintExplanation(w io.Writer, e *placement.Explanation) error {
	switch p.format {
	case "json":
		return writeJSON(w, e)
	case "yaml":
		return writeYAML(w, e)
	}
	header := []string{"cluster", "result", "score", "why"}
	if e.Home == "cloud" {
		header[0] = "cloud"
	}
	if p.opts.NoHeaders {
		header = nil
	}
	sep := ", "
	if p.opts.TTY {
		sep = "\n"
	}
	rows := make([][]string, 0, len(e.Clusters))
	for _, r := range e.Rows() {
		rows = append(rows, []string{r.Cluster, r.Result, r.Score, strings.Join(r.Why, sep)})
	}
	if len(rows) == 0 && e.Home == "cloud" {
		_, err := fmt.Fprintln(w, "No cloud in the namespace and no global cloud: register one with rok infra cloud register (or globalcloud).")
		return err
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No cluster in the namespace: register one with rok kube cluster register -k KUBECONFIG.")
		return err
	}
	if err := p.writeTable(w, header, rows); err != nil {
		return err
	}
	if e.Move == "" { // an older server
		return nil
	}
	_, err := fmt.Fprintln(w, "\nOn a move: "+e.Move+".")
	return err
}
