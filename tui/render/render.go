// Package render turns api objects into the dashboard's rows and detail
// lines: pure functions of their input (objects, a clock reading, a width
// and styles), so every screen is golden-tested without a terminal. States
// are coloured by api.HealthOf and placements listed by
// placement.Explanation.Rows, the same sources rok's tables use.
package render

import (
	"fmt"
	"slices"
	"strings"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/api/placement"
	"github.com/krake-go/krake/tui/styles"
)

// Fit pads or cuts s to exactly w cells.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	r := []rune(s)
	if len(r) > w {
		if w == 1 {
			return "…"
		}
		return string(r[:w-1]) + "…"
	}
	return s + strings.Repeat(" ", w-len(r))
}

// Age is how long ago t was, in the largest whole unit ("3m", "2h").
func Age(now time.Time, t api.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t.Time)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// joinSorted writes each key of m through part, in key order.
func joinSorted[V any](m map[string]V, part func(k string, v V) string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = part(k, m[k])
	}
	return strings.Join(parts, ",")
}

// Labels is k=v,... in key order.
func Labels(labels map[string]string) string {
	return joinSorted(labels, func(k, v string) string { return k + "=" + v })
}

// Metrics is the metric values a cluster was last scored with.
func Metrics(values map[string]float64) string {
	return joinSorted(values, func(k string, v float64) string { return fmt.Sprintf("%s:%g", k, v) })
}

// Services is the app's service addresses, in service-name order.
func Services(services map[string]string) string {
	return joinSorted(services, func(_, addr string) string { return addr })
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Window returns the [start, end) rows to draw so that cursor is visible:
// only those rows are rendered, so thousands of apps cost nothing extra.
func Window(n, cursor, rows int) (int, int) {
	if rows <= 0 || n == 0 {
		return 0, 0
	}
	start := 0
	if cursor >= rows {
		start = cursor - rows + 1
	}
	return start, min(n, start+rows)
}

// column is one column of a list: its header and width.
type column struct {
	header string
	width  int
}

// Columns are a list's columns at one terminal width.
type Columns []column

// Header is the columns' header line (after the two-cell cursor gutter).
func (c Columns) Header() string {
	parts := make([]string, len(c))
	for i, col := range c {
		parts[i] = Fit(col.header, col.width)
	}
	return "  " + strings.Join(parts, " ")
}

// row joins cells fitted to the columns; style, when set, paints one cell.
func (c Columns) row(cells []string, styled int, style func(...string) string) string {
	parts := make([]string, len(c))
	for i, col := range c {
		parts[i] = Fit(cells[i], col.width)
		if i == styled && style != nil {
			parts[i] = style(parts[i])
		}
	}
	return strings.Join(parts, " ")
}

// AppColumns are the application list's columns; SERVICES takes the rest
// of the width.
func AppColumns(width int) Columns {
	name, ns, state, cluster, age := 20, 14, 12, 12, 5
	if width >= 100 {
		state = 20 // WAITING_FOR_CLEANING whole, when there is room
	}
	rest := width - 2 - name - ns - state - cluster - age - 5
	if rest < 10 {
		ns = max(6, ns+rest-10)
		rest = 10
	}
	return Columns{{"NAME", name}, {"NAMESPACE", ns}, {"STATE", state}, {"CLUSTER", cluster}, {"SERVICES", rest}, {"AGE", age}}
}

// AppCluster is where the app runs, or is about to.
func AppCluster(a *api.Application) string {
	if a.Status.RunningOn != nil {
		return a.Status.RunningOn.Name
	}
	if a.Status.ScheduledTo != nil {
		return a.Status.ScheduledTo.Name
	}
	return "-"
}

// AppRow is one application in the list; a state with * is being deleted.
func AppRow(a *api.Application, c Columns, now time.Time, s styles.Styles) string {
	state := a.Status.State
	if a.Metadata.Deleted != nil && state != api.StateDeleting {
		state += "*"
	}
	return c.row([]string{a.Metadata.Name, a.Metadata.Namespace, state, AppCluster(a), Services(a.Status.Services), Age(now, a.Metadata.Created)},
		2, s.State(a.Status.State).Render)
}

// ClusterColumns are the cluster list's columns.
func ClusterColumns(width int) Columns {
	name, ns, state, apps, age := 20, 14, 16, 5, 5
	return Columns{{"NAME", name}, {"NAMESPACE", ns}, {"STATE", state},
		{"LABELS / METRICS", max(8, width-2-name-ns-state-apps-age-5)}, {"APPS", apps}, {"AGE", age}}
}

// ClusterRow is one cluster in the list, with the number of apps on it.
func ClusterRow(cl *api.Cluster, apps int, c Columns, now time.Time, s styles.Styles) string {
	info := Labels(cl.Metadata.Labels)
	if mv := Metrics(cl.Status.MetricValues); mv != "" {
		info = strings.TrimPrefix(info+" "+mv, " ")
	}
	return c.row([]string{cl.Metadata.Name, cl.Metadata.Namespace, cl.Status.State, info, fmt.Sprint(apps), Age(now, cl.Metadata.Created)},
		2, s.State(cl.Status.State).Render)
}

// RunsOn reports whether app runs on cluster cl.
func RunsOn(a *api.Application, cl *api.Cluster) bool {
	ref := a.Status.RunningOn
	return ref != nil && ref.Namespace == cl.Metadata.Namespace && ref.Name == cl.Metadata.Name
}

// Event is one state transition seen since the UI started.
type Event struct {
	At              time.Time
	Kind            string // application or cluster
	Namespace, Name string
	From, To        string
}

// Line is the event as the EVENTS block and the timelines show it.
func (e Event) Line() string {
	from := e.From
	if from == "" {
		from = "new"
	}
	return fmt.Sprintf("%s %s %s/%s %s → %s", e.At.Format("15:04:05"), e.Kind, e.Namespace, e.Name, from, e.To)
}

// Timeline is the transitions of one object, or a line saying there are none.
func Timeline(events []Event, kind, namespace, name string, width int) []string {
	var out []string
	for _, e := range events {
		if e.Kind == kind && e.Namespace == namespace && e.Name == name {
			out = append(out, Fit("  "+e.Line(), width))
		}
	}
	if len(out) == 0 {
		out = append(out, "  (no transitions yet)")
	}
	return out
}

// field is one "  key   value" line of a detail page.
func field(width int, k, v string) string { return Fit(fmt.Sprintf("  %-18s %s", k, v), width) }

func reason(r *api.Reason) string { return r.Code.String() + ": " + r.Message }

// AppFields are the application's facts at the top of its page.
func AppFields(a *api.Application, now time.Time, width int, s styles.Styles) []string {
	lines := []string{s.Title.Render("application " + a.Metadata.Namespace + "/" + a.Metadata.Name),
		field(width, "state", s.State(a.Status.State).Render(a.Status.State))}
	if r := a.Status.Reason; r != nil {
		lines = append(lines, field(width, "reason", reason(r)))
	}
	if a.Status.RunningOn != nil {
		lines = append(lines, field(width, "running on", a.Status.RunningOn.Name))
	} else if a.Status.ScheduledTo != nil {
		lines = append(lines, field(width, "scheduled to", a.Status.ScheduledTo.Name))
	}
	cons := a.Spec.Constraints
	h := a.Status.ContainerHealth
	pods := fmt.Sprintf("%d of %d", h.RunningPods, h.DesiredPods)
	if h.CompletedPods > 0 || h.FailedPods > 0 {
		pods += fmt.Sprintf(", %d completed, %d failed", h.CompletedPods, h.FailedPods)
	}
	if len(a.Spec.Hooks) > 0 {
		lines = append(lines, field(width, "hooks", strings.Join(a.Spec.Hooks, ", ")))
	}
	if s := a.Status.Shutdown; s != nil {
		lines = append(lines, field(width, "shutdown", shutdownText(s)))
	}
	return append(lines,
		field(width, "services", orNone(Services(a.Status.Services))),
		field(width, "pods ready", pods),
		field(width, "labels", orNone(Labels(a.Metadata.Labels))),
		field(width, "constraints", orNone(strings.Join(slices.Concat(cons.Cluster.Labels, cons.Cluster.CustomResources, cons.Cluster.Metrics), ", "))),
		field(width, "migration", fmt.Sprint(cons.Migration)),
		field(width, "created", a.Metadata.Created.Local().Format("2006-01-02 15:04:05")+" ("+Age(now, a.Metadata.Created)+" ago)"))
}

// shutdownText is where the shutdown hook stands.
func shutdownText(s *api.ShutdownStatus) string {
	out := s.Outcome
	if out == "" {
		out = "waiting for the callback"
		if s.Deadline != nil {
			out += " until " + s.Deadline.Local().Format("15:04:05")
		}
	}
	out += fmt.Sprintf(" (calls: %d)", s.Attempts)
	if s.LastError != "" {
		out += "; last call: " + s.LastError
	}
	return out
}

// ClusterFields are the cluster's facts, its nodes and the apps on it.
func ClusterFields(c *api.Cluster, appsOn []*api.Application, width int, s styles.Styles) []string {
	lines := []string{s.Title.Render("cluster " + c.Metadata.Namespace + "/" + c.Metadata.Name),
		field(width, "state", s.State(c.Status.State).Render(c.Status.State))}
	if r := c.Status.Reason; r != nil {
		lines = append(lines, field(width, "reason", reason(r)))
	}
	var metrics []string
	for _, mr := range c.Spec.Metrics {
		metrics = append(metrics, fmt.Sprintf("%s (weight %g)", mr.Name, mr.Weight))
	}
	lines = append(lines,
		field(width, "labels", orNone(Labels(c.Metadata.Labels))),
		field(width, "custom resources", orNone(strings.Join(c.Spec.CustomResources, ", "))),
		field(width, "metrics", orNone(strings.Join(metrics, ", "))))
	if c.Created() { // Krake builds it: where, and as what
		cloud := "not placed yet"
		for _, ref := range []*api.ResourceRef{c.Status.RunningOn, c.Status.ScheduledTo} {
			if ref != nil {
				cloud = ref.Kind + " " + ref.Name
				break
			}
		}
		infra := "not created yet"
		if id := c.Status.ClusterID; id != nil {
			infra = *id
		}
		lines = append(lines, field(width, "cloud", cloud), field(width, "infrastructure", infra))
	}
	lines = append(lines, "", s.Title.Render("NODES"))
	for _, n := range c.Status.Nodes {
		ready := "Unknown"
		for _, cond := range n.Conditions {
			if cond.Type == "Ready" {
				ready = cond.Status
			}
		}
		lines = append(lines, Fit("  "+n.Name+"  Ready="+ready, width))
	}
	lines = append(lines, "", s.Title.Render("APPLICATIONS ON IT"))
	for _, a := range appsOn {
		lines = append(lines, Fit("  "+a.Metadata.Name+"  "+a.Status.State, width))
	}
	return lines
}

// Placement is the explanation of an app's placement, as rok explain
// lists it (placement.Explanation.Rows); asked is false until the answer
// came.
func Placement(e *placement.Explanation, err error, answered bool, width int) []string {
	switch {
	case !answered:
		return []string{"  (asking the API ...)"}
	case err != nil:
		return []string{Fit("  explanation unavailable: "+err.Error(), width)}
	case len(e.Clusters) == 0:
		return []string{"  no cluster in the namespace"}
	}
	var out []string
	for _, r := range e.Rows() {
		line := "  " + Fit(r.Cluster, 16) + " " + Fit(r.Result, 20) + " "
		if r.Score != "-" {
			line += "score " + r.Score + "  "
		}
		out = append(out, Fit(line+strings.Join(r.Why, "  "), width))
	}
	return out
}

// Objects are the app's objects with their health on the cluster, or the
// manifest's objects until the controller has reported them.
func Objects(a *api.Application, width int, s styles.Styles) []string {
	var out []string
	if len(a.Status.Objects) == 0 {
		for _, raw := range a.Spec.Manifest {
			var obj struct {
				Kind     string `json:"kind"`
				Metadata struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			_ = json.Unmarshal(raw, &obj)
			out = append(out, Fit("  "+obj.Kind+" "+obj.Metadata.Name+"  (not applied yet)", width))
		}
		return out
	}
	for _, o := range a.Status.Objects {
		style := s.Good
		if !o.Healthy {
			style = s.Bad
		}
		out = append(out, "  "+Fit(o.Kind+" "+o.Name, 32)+" "+style.Render(Fit(o.Status, max(1, width-35))))
	}
	return out
}

// Clip keeps the first height lines.
func Clip(lines []string, height int) []string {
	if height > 0 && len(lines) > height {
		return lines[:height]
	}
	return lines
}
