package output

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/krake-go/krake/apiserver/api"
)

// Doc is an object as generic JSON: columns, jsonpath and --sort-by all
// read the same shape the API sends.
type Doc = map[string]any

// Column is one field of a kind's table.
type Column struct {
	Header string
	// Wide columns appear in lists only with -o wide; detail views show all.
	Wide  bool
	Value func(d Doc, f Format) string
}

// Format says how values are written.
type Format struct {
	TTY bool           // a terminal: local times, values folded over lines
	Loc *time.Location // time zone of a terminal's times
}

// lookup follows a dotted path through nested maps.
func lookup(d Doc, path string) any {
	var cur any = d
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

func field(header, path string) Column {
	return Column{Header: header, Value: func(d Doc, f Format) string { return formatValue(lookup(d, path), f) }}
}

func wide(c Column) Column { c.Wide = true; return c }

// byType picks the column of the object's spec.type among polymorphic
// specs (openstack, kwok, ...): col of the path with that type's key.
func byType(header string, col func(header, path string) Column, inner string) Column {
	return Column{Header: header, Value: func(d Doc, f Format) string {
		typ, _ := lookup(d, "spec.type").(string)
		return col(header, "spec."+typ+"."+inner).Value(d, f)
	}}
}

// cloudOf is the cloud a created cluster runs on, else the one it is
// bound to (kind and name: a Cloud and a GlobalCloud may share a name).
func cloudOf() Column {
	return Column{Header: "cloud", Value: func(d Doc, f Format) string {
		for _, path := range []string{"status.running_on", "status.scheduled_to"} {
			if ref, _ := lookup(d, path).(map[string]any); ref != nil {
				return fmt.Sprintf("%v/%v", ref["kind"], ref["name"])
			}
		}
		return none
	}}
}

func timeField(header, path string) Column {
	return Column{Header: header, Value: func(d Doc, f Format) string {
		s, _ := lookup(d, path).(string)
		if s == "" {
			return none
		}
		t, err := time.Parse(api.TimeLayout, s)
		if err != nil {
			return s
		}
		if f.TTY {
			loc := f.Loc
			if loc == nil {
				loc = time.Local
			}
			return t.In(loc).Format("2006-01-02 15:04:05")
		}
		return t.UTC().Format(time.RFC3339)
	}}
}

// shutdown shows where the shutdown hook stands during a delete or a
// migration: the calls made and until when Krake waits, or the outcome.
func shutdown() Column {
	deadline := timeField("", "status.shutdown.deadline")
	return Column{Header: "shutdown", Value: func(d Doc, f Format) string {
		s, _ := lookup(d, "status.shutdown").(map[string]any)
		if s == nil {
			return none
		}
		calls := formatValue(s["attempts"], Format{})
		out, _ := s["outcome"].(string)
		if out == "" {
			out = "waiting for the callback until " + deadline.Value(d, f)
		}
		text := out + " (calls: " + calls + ")"
		if e, _ := s["last_error"].(string); e != "" {
			text += "; last call: " + e
		}
		return text
	}}
}

// observerSchema names the objects a schema observes, and how many
// fields of each ("all fields" without a schema).
func observerSchema() Column {
	return Column{Header: "observer schema", Value: func(d Doc, f Format) string {
		list, _ := lookup(d, "spec.observer_schema").([]any)
		if len(list) == 0 {
			return "all fields the manifest sets"
		}
		parts := make([]string, 0, len(list))
		for _, item := range list {
			obj, _ := item.(map[string]any)
			meta, _ := obj["metadata"].(map[string]any)
			parts = append(parts, fmt.Sprintf("%v %v: %d fields", obj["kind"], meta["name"], countLeaves(obj)-3))
		}
		sep := ", "
		if f.TTY {
			sep = "\n"
		}
		return strings.Join(parts, sep)
	}}
}

// countLeaves counts the observed leaves (apiVersion, kind and
// metadata.name are three of them), list markers aside.
func countLeaves(v any) int {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x[api.ListMinLength]; ok {
			return 0
		}
		n := 0
		for _, e := range x {
			n += countLeaves(e)
		}
		return n
	case []any:
		n := 0
		for _, e := range x {
			n += countLeaves(e)
		}
		return n
	}
	return 1
}

// containerHealth counts the app's pods.
func containerHealth() Column {
	return Column{Header: "container health", Value: func(d Doc, f Format) string {
		h, _ := lookup(d, "status.container_health").(map[string]any)
		if h == nil {
			return none
		}
		v := func(k string) string { return formatValue(h[k], Format{}) }
		return "desired " + v("desired_pods") + ", running " + v("running_pods") + ", completed " + v("completed_pods") + ", failed " + v("failed_pods")
	}}
}

// refName shows a reference (scheduled_to, running_on) by name.
func refName(header, path string) Column {
	return Column{Header: header, Value: func(d Doc, f Format) string {
		ref, _ := lookup(d, path).(map[string]any)
		if ref == nil {
			return none
		}
		name, _ := ref["name"].(string)
		return name
	}}
}

const none = "None"

// formatValue writes a JSON value for a table cell: None for null, k=v
// pairs for maps, items joined for lists; on a terminal lists and maps go
// one item per line.
func formatValue(v any, f Format) string {
	sep := ", "
	if f.TTY {
		sep = "\n"
	}
	switch x := v.(type) {
	case nil:
		return none
	case string:
		if x == "" {
			return none
		}
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		parts := make([]string, len(x))
		for i, item := range x {
			parts[i] = formatValue(item, Format{TTY: false})
		}
		return strings.Join(parts, sep)
	case map[string]any:
		if len(x) == 0 {
			return none
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + formatValue(x[k], Format{TTY: false})
		}
		return strings.Join(parts, sep)
	}
	return fmt.Sprint(v)
}

func labels() Column {
	return Column{Header: "labels", Value: func(d Doc, f Format) string { return formatValue(lookup(d, "metadata.labels"), f) }}
}

func reason(path string) Column {
	return Column{Header: "reason", Value: func(d Doc, f Format) string {
		r, _ := lookup(d, path).(map[string]any)
		if r == nil {
			return none
		}
		code := api.ReasonCode(0)
		switch c := r["code"].(type) {
		case string:
			code, _ = api.ParseReasonCode(c)
		case float64: // an older server
			code = api.ReasonCode(int(c))
		}
		msg, _ := r["message"].(string)
		if f.TTY {
			return "code: " + code.String() + "\nmessage: " + msg
		}
		return code.String() + ": " + msg
	}}
}

// services shows name: host:port per service.
func services() Column {
	return Column{Header: "services", Value: func(d Doc, f Format) string {
		m, _ := lookup(d, "status.services").(map[string]any)
		if len(m) == 0 {
			return none
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		sep := ", "
		if f.TTY {
			sep = "\n"
		}
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s: %v", k, m[k])
		}
		return strings.Join(parts, sep)
	}}
}

// metricRefs shows `name: weight` per metric.
func metricRefs(header, path string) Column {
	return Column{Header: header, Value: func(d Doc, f Format) string {
		list, _ := lookup(d, path).([]any)
		if len(list) == 0 {
			return "[]"
		}
		parts := make([]string, len(list))
		for i, item := range list {
			m, _ := item.(map[string]any)
			parts[i] = fmt.Sprintf("%v: %v", m["name"], formatValue(m["weight"], Format{}))
		}
		sep := ", "
		if f.TTY {
			sep = "\n"
		}
		return strings.Join(parts, sep)
	}}
}

func common(k api.Kind) []Column {
	cols := []Column{field("name", "metadata.name")}
	if k.Namespaced {
		cols = append(cols, field("namespace", "metadata.namespace"))
	}
	return append(cols, labels(), timeField("created", "metadata.created"),
		timeField("modified", "metadata.modified"), timeField("deleted", "metadata.deleted"))
}

// ColumnsFor is the table of a kind: the list columns of the original rok
// first, then the wide ones, which detail views also show.
func ColumnsFor(k api.Kind) []Column {
	cols := common(k)
	switch k.Kind {
	case "Application":
		return append(cols, field("state", "status.state"),
			wide(reason("status.reason")), wide(services()),
			wide(field("allow migration", "spec.constraints.migration")),
			wide(field("label constraints", "spec.constraints.cluster.labels")),
			wide(field("resources constraints", "spec.constraints.cluster.custom_resources")),
			wide(field("metrics constraints", "spec.constraints.cluster.metrics")),
			wide(field("hooks", "spec.hooks")),
			wide(refName("scheduled_to", "status.scheduled_to")),
			wide(timeField("scheduled", "status.scheduled")),
			wide(refName("running_on", "status.running_on")),
			// Ours, last: the original's rows keep their places.
			wide(shutdown()), wide(containerHealth()), wide(observerSchema()))
	case "Cluster":
		return append(cols, field("state", "status.state"),
			wide(reason("status.reason")),
			wide(field("custom_resources", "spec.custom_resources")),
			wide(metricRefs("metrics", "spec.metrics")),
			wide(field("failing_metrics", "status.metrics_reasons")),
			wide(nodes()),
			// Ours, last: a cluster Krake creates.
			wide(cloudOf()), wide(field("infrastructure", "status.cluster_id")))
	case "Metric", "GlobalMetric":
		return append(cols, field("min", "spec.min"), field("max", "spec.max"),
			field("provider", "spec.provider.name"), wide(field("metric", "spec.provider.metric")),
			wide(field("allowed_values", "spec.allowed_values")))
	case "MetricsProvider", "GlobalMetricsProvider":
		return append(cols, field("type", "spec.type"), providerDetail())
	case "Role":
		return append(cols, rules())
	case "RoleBinding":
		return append(cols, field("users", "users"), field("roles", "roles"))
	case "Lease":
		return append(cols, field("holder", "spec.holder_identity"), timeField("renewed", "spec.renew_time"),
			field("duration", "spec.lease_duration_seconds"), wide(timeField("acquired", "spec.acquire_time")),
			wide(field("transitions", "spec.lease_transitions")))
	case "InfrastructureProvider", "GlobalInfrastructureProvider":
		return append(cols, field("type", "spec.type"), field("url", "spec.im.url"))
	case "Cloud", "GlobalCloud":
		return append(cols, field("type", "spec.type"), field("state", "status.state"),
			wide(field("url", "spec.openstack.url")),
			wide(byType("infra_provider", field, "infrastructure_provider.name")),
			wide(byType("metrics", metricRefs, "metrics")),
			wide(reason("status.reason")))
	}
	return cols
}

func nodes() Column {
	return Column{Header: "nodes", Value: func(d Doc, f Format) string {
		list, _ := lookup(d, "status.nodes").([]any)
		if len(list) == 0 {
			return "[]"
		}
		parts := make([]string, len(list))
		for i, item := range list {
			n, _ := item.(map[string]any)
			ready := "Unknown"
			conds, _ := n["conditions"].([]any)
			for _, c := range conds {
				cm, _ := c.(map[string]any)
				if cm["type"] == "Ready" {
					ready, _ = cm["status"].(string)
				}
			}
			parts[i] = fmt.Sprintf("%v (Ready=%s)", n["name"], ready)
		}
		sep := ", "
		if f.TTY {
			sep = "\n"
		}
		return strings.Join(parts, sep)
	}}
}

// providerDetail shows the chosen type's endpoint or values.
func providerDetail() Column {
	return Column{Header: "url/metrics", Value: func(d Doc, f Format) string {
		typ, _ := lookup(d, "spec.type").(string)
		switch typ {
		case api.ProviderStatic:
			return formatValue(lookup(d, "spec.static.metrics"), f)
		case "":
			return none
		}
		return formatValue(lookup(d, "spec."+typ+".url"), f)
	}}
}

func rules() Column {
	return Column{Header: "rules", Value: func(d Doc, f Format) string {
		list, _ := lookup(d, "rules").([]any)
		if len(list) == 0 {
			return "[]"
		}
		parts := make([]string, len(list))
		for i, item := range list {
			r, _ := item.(map[string]any)
			parts[i] = fmt.Sprintf("%v %s on %s in %s", r["api"], formatValue(r["verbs"], Format{}),
				formatValue(r["resources"], Format{}), formatValue(r["namespaces"], Format{}))
		}
		sep := "; "
		if f.TTY {
			sep = "\n"
		}
		return strings.Join(parts, sep)
	}}
}
