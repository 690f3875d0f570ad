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
	if p.opts.NoHeaders {
		header = nil
	}
	rows := make([][]string, 0, len(e.Clusters))
	for _, c := range e.Clusters {
		result, score, why := "passed", "-", ""
		switch {
		case !c.Verdict.Passed:
			result, why = "rejected ("+c.Verdict.Filter+")", c.Verdict.Reason
		case c.Cluster == e.Chosen:
			result = "chosen"
		}
		if s := c.Score; s != nil {
			score = fmt.Sprintf("%.3f", s.Total)
			var parts []string
			for _, m := range s.Parts {
				parts = append(parts, fmt.Sprintf("%s=%g (%.2f×%g)", m.Name, m.Value, m.Normalized, m.Weight))
			}
			if len(parts) == 0 {
				parts = append(parts, "no metrics")
			}
			if s.Sticky > 0 {
				if s.Current {
					parts = append(parts, fmt.Sprintf("stickiness 1×%g (runs here)", s.Sticky))
				} else {
					parts = append(parts, fmt.Sprintf("stickiness 0×%g", s.Sticky))
				}
			}
			sep := ", "
			if p.opts.TTY {
				sep = "\n"
			}
			why = strings.Join(parts, sep)
		}
		rows = append(rows, []string{c.Cluster, result, score, why})
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "No cluster in the namespace: register one with rok kube cluster register -k KUBECONFIG.")
		return err
	}
	return p.writeTable(w, header, rows)
}
