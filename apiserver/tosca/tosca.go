// Package tosca translates a TOSCA Simple Profile (1.0, 1.2) service
// template into Kubernetes manifest objects, as the original Krake does:
// every node template of type tosca.nodes.indigo.KubernetesObject holds
// one Kubernetes object in properties.spec (a YAML string or a mapping);
// topology_template.inputs give defaults, and get_input, get_property and
// concat are evaluated. Everything else of TOSCA is not Krake's business.
package tosca

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// KubernetesObject is the node type Krake translates.
const KubernetesObject = "tosca.nodes.indigo.KubernetesObject"

// Versions are the tosca_definitions_version values Krake reads.
var Versions = []string{"tosca_simple_yaml_1_0", "tosca_simple_yaml_1_2"}

// IsTemplate reports whether doc looks like a TOSCA service template.
func IsTemplate(doc map[string]any) bool {
	_, ok := doc["tosca_definitions_version"]
	return ok
}

// Error is an invalid template; Path says where.
type Error struct {
	Path, Msg string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "invalid TOSCA template: " + e.Msg
	}
	return "invalid TOSCA template: " + e.Path + ": " + e.Msg
}

func errorf(path, format string, args ...any) error {
	return &Error{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// Translate returns the Kubernetes objects of the template, in the order
// of the node templates' names.
func Translate(doc map[string]any) ([]map[string]any, error) {
	version, _ := doc["tosca_definitions_version"].(string)
	if !slices.Contains(Versions, version) {
		return nil, errorf("tosca_definitions_version", "%q is not one of %s", version, strings.Join(Versions, ", "))
	}
	topology, ok := doc["topology_template"].(map[string]any)
	if !ok {
		return nil, errorf("topology_template", "required: a mapping with node_templates")
	}
	nodes, ok := topology["node_templates"].(map[string]any)
	if !ok || len(nodes) == 0 {
		return nil, errorf("topology_template.node_templates", "required: at least one node template")
	}
	t, err := newTranslator(doc, topology, nodes)
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, name := range sortedNames(nodes) {
		path := "topology_template.node_templates." + name
		node, ok := nodes[name].(map[string]any)
		if !ok {
			return nil, errorf(path, "must be a mapping")
		}
		typ, _ := node["type"].(string)
		if !t.declared[typ] {
			return nil, errorf(path+".type", "type %q is not declared (node_types, or imports for %s)", typ, KubernetesObject)
		}
		if typ != KubernetesObject {
			continue // not a Kubernetes object: nothing for Krake to apply
		}
		props, _ := node["properties"].(map[string]any)
		spec, err := t.eval(path+".properties.spec", props["spec"], name, 0)
		if err != nil {
			return nil, err
		}
		obj, err := object(path+".properties.spec", spec)
		if err != nil {
			return nil, err
		}
		out = append(out, obj)
	}
	if len(out) == 0 {
		return nil, errorf("topology_template.node_templates", "no node template of type %s", KubernetesObject)
	}
	return out, nil
}

// newTranslator reads the inputs' defaults, the only values an input
// can have in Krake.
func newTranslator(doc, topology, nodes map[string]any) (*translator, error) {
	t := &translator{nodes: nodes, inputs: map[string]any{}, declared: declaredTypes(doc)}
	if inputs, ok := topology["inputs"].(map[string]any); ok {
		for name, def := range inputs {
			d, _ := def.(map[string]any)
			value, has := d["default"]
			if !has {
				return nil, errorf("topology_template.inputs."+name, "has no default: Krake has no other way to give inputs")
			}
			t.inputs[name] = value
		}
	}
	return t, nil
}

func sortedNames(m map[string]any) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// ScalableCount is the number of machines a cluster template asks for:
// the sum over its node templates of capabilities.scalable.properties.count
// (functions evaluated), the way IM's Kubernetes templates size their
// worker nodes. found is false when no node template has a count.
func ScalableCount(doc map[string]any) (count int, found bool, err error) {
	version, _ := doc["tosca_definitions_version"].(string)
	if !slices.Contains(Versions, version) {
		return 0, false, errorf("tosca_definitions_version", "%q is not one of %s", version, strings.Join(Versions, ", "))
	}
	topology, _ := doc["topology_template"].(map[string]any)
	nodes, _ := topology["node_templates"].(map[string]any)
	if len(nodes) == 0 {
		return 0, false, errorf("topology_template.node_templates", "required: at least one node template")
	}
	t, err := newTranslator(doc, topology, nodes)
	if err != nil {
		return 0, false, err
	}
	for _, name := range sortedNames(nodes) {
		path := "topology_template.node_templates." + name + ".capabilities.scalable.properties.count"
		node, _ := nodes[name].(map[string]any)
		caps, _ := node["capabilities"].(map[string]any)
		scalable, _ := caps["scalable"].(map[string]any)
		props, _ := scalable["properties"].(map[string]any)
		raw, has := props["count"]
		if !has {
			continue
		}
		v, err := t.eval(path, raw, name, 0)
		if err != nil {
			return 0, false, err
		}
		n, ok := wholeNumber(v)
		if !ok || n < 0 {
			return 0, false, errorf(path, "must be a whole number of zero or more, not %v", v)
		}
		count, found = count+n, true
	}
	return count, found, nil
}

func wholeNumber(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		if n == float64(int(n)) {
			return int(n), true
		}
	}
	return 0, false
}

// declaredTypes are the node types the template may use: its own, and,
// when it imports definitions, the Kubernetes object type they provide.
func declaredTypes(doc map[string]any) map[string]bool {
	out := map[string]bool{}
	if types, ok := doc["node_types"].(map[string]any); ok {
		for name, def := range types {
			out[name] = true
			if d, ok := def.(map[string]any); ok && d["derived_from"] == KubernetesObject {
				out[KubernetesObject] = true
			}
		}
	}
	if imports, ok := doc["imports"].([]any); ok && len(imports) > 0 {
		out[KubernetesObject] = true // the INDIGO custom types, which declare it
	}
	return out
}

// object reads a node's spec: a Kubernetes object as YAML text or a mapping.
func object(path string, spec any) (map[string]any, error) {
	switch s := spec.(type) {
	case string:
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(s), &obj); err != nil {
			return nil, errorf(path, "not a YAML Kubernetes object: %v", err)
		}
		if obj == nil {
			return nil, errorf(path, "empty")
		}
		return obj, nil
	case map[string]any:
		return s, nil
	case nil:
		return nil, errorf(path, "required: the Kubernetes object (a YAML string or a mapping)")
	}
	return nil, errorf(path, "must be a YAML string or a mapping, not %T", spec)
}

type translator struct {
	nodes    map[string]any
	inputs   map[string]any
	declared map[string]bool
}

// maxDepth bounds nested functions and get_property chains (a template
// that refers to itself would otherwise never end).
const maxDepth = 32

// eval evaluates the functions in v, in node self.
func (t *translator) eval(path string, v any, self string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errorf(path, "functions nest deeper than %d (a property that refers to itself?)", maxDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for fn, arg := range x {
				switch fn {
				case "get_input":
					return t.getInput(path, arg)
				case "get_property":
					return t.getProperty(path, arg, self, depth)
				case "concat":
					return t.concat(path, arg, self, depth)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := t.eval(path+"."+k, e, self, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := t.eval(fmt.Sprintf("%s[%d]", path, i), e, self, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func (t *translator) getInput(path string, arg any) (any, error) {
	name, ok := arg.(string)
	if !ok {
		return nil, errorf(path, "get_input takes the name of an input")
	}
	v, ok := t.inputs[name]
	if !ok {
		return nil, errorf(path, "get_input: no input %q in topology_template.inputs", name)
	}
	return v, nil
}

func (t *translator) getProperty(path string, arg any, self string, depth int) (any, error) {
	args, _ := arg.([]any)
	if len(args) < 2 {
		return nil, errorf(path, "get_property takes [NODE or SELF, PROPERTY, ...]")
	}
	node, _ := args[0].(string)
	if node == "SELF" {
		node = self
	}
	n, ok := t.nodes[node].(map[string]any)
	if !ok {
		return nil, errorf(path, "get_property: no node template %q", node)
	}
	var cur any = n["properties"]
	for _, a := range args[1:] {
		key, _ := a.(string)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, errorf(path, "get_property: node %s has no property %v", node, args[1:])
		}
		if cur, ok = m[key]; !ok {
			return nil, errorf(path, "get_property: node %s has no property %v", node, args[1:])
		}
	}
	return t.eval(path, cur, node, depth+1)
}

func (t *translator) concat(path string, arg any, self string, depth int) (any, error) {
	args, ok := arg.([]any)
	if !ok {
		return nil, errorf(path, "concat takes a list")
	}
	var b strings.Builder
	for i, a := range args {
		v, err := t.eval(fmt.Sprintf("%s.concat[%d]", path, i), a, self, depth+1)
		if err != nil {
			return nil, err
		}
		switch s := v.(type) {
		case string:
			b.WriteString(s)
		case float64, int, int64, bool:
			fmt.Fprint(&b, s)
		default:
			return nil, errorf(path, "concat: element %d is a %T, not a string or number", i, v)
		}
	}
	return b.String(), nil
}

// AsError reports whether err is an invalid template.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
