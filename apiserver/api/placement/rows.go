package placement

import "fmt"

// Row is one cluster's line of an explanation as people read it: rok's
// table and the TUI's placement panel both show these, so they say the
// same.
type Row struct {
	Cluster string
	Result  string   // chosen, passed, or rejected (filter)
	Score   string   // "0.812", or "-" for a cluster not scored
	Why     []string // the rejection's reason, or the score's terms
}

// Rows are the explanation's lines, in its order.
func (e Explanation) Rows() []Row {
	rows := make([]Row, 0, len(e.Clusters))
	for _, c := range e.Clusters {
		r := Row{Cluster: c.Cluster, Result: "passed", Score: "-"}
		if c.Kind == "GlobalCloud" {
			r.Cluster += " (global)"
		}
		switch {
		case !c.Verdict.Passed:
			r.Result, r.Why = "rejected ("+c.Verdict.Filter+")", []string{c.Verdict.Reason}
		case c.Cluster == e.Chosen && c.Kind == e.ChosenKind:
			r.Result = "chosen"
		}
		if s := c.Score; s != nil {
			r.Score = fmt.Sprintf("%.3f", s.Total)
			for _, m := range s.Parts {
				r.Why = append(r.Why, fmt.Sprintf("%s=%g (%.2f×%g)", m.Name, m.Value, m.Normalized, m.Weight))
			}
			if len(s.Parts) == 0 {
				r.Why = append(r.Why, "no metrics")
			}
			if s.Sticky > 0 {
				if s.Current {
					r.Why = append(r.Why, fmt.Sprintf("stickiness 1×%g (runs here)", s.Sticky))
				} else {
					r.Why = append(r.Why, fmt.Sprintf("stickiness 0×%g", s.Sticky))
				}
			}
		}
		rows = append(rows, r)
	}
	return rows
}
