// Package bootstrap loads resources into Krake through its API (the
// original's krake_bootstrap_db, which wrote to etcd directly): YAML or
// JSON documents of any kind, created when missing, left alone when
// present (or replaced with force), so loading twice is harmless. It also
// holds Krake's base roles (base-roles.yaml), which the API server
// creates at start-up when RBAC is on.
package bootstrap

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"

	json "github.com/go-json-experiment/json/v1"
	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/client"
)

//go:embed base-roles.yaml
var baseRoles []byte

// BaseRoles are the roles and bindings of base-roles.yaml.
func BaseRoles() []api.Object {
	objs, err := Parse(baseRoles, "base-roles.yaml")
	if err != nil {
		panic(err) // the embedded file is tested
	}
	return objs
}

var (
	separator   = regexp.MustCompile(`(?m)^---[ \t]*$`)
	placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)
)

// Parse reads YAML documents separated by "---" (a JSON document is
// YAML too). Each needs api and kind; name says where an error is.
func Parse(data []byte, name string) ([]api.Object, error) {
	var objs []api.Object
	for i, doc := range separator.Split(string(data), -1) {
		if isBlank(doc) {
			continue
		}
		where := fmt.Sprintf("%s, document %d", name, i+1)
		raw, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		var head struct {
			API  string `json:"api"`
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return nil, fmt.Errorf("%s: want an object with api and kind: %v", where, err)
		}
		if head.API == "" || head.Kind == "" {
			return nil, fmt.Errorf("%s: api and kind are required (such as api: core, kind: Role)", where)
		}
		k, ok := api.KindFor(head.API, head.Kind)
		if !ok {
			return nil, fmt.Errorf("%s: unknown kind %q of api %q; kinds are %s", where, head.Kind, head.API, kindList())
		}
		obj, err := k.Decode(raw)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %v", where, k, err)
		}
		if obj.GetMetadata().Name == "" {
			return nil, fmt.Errorf("%s (%s): metadata.name is required", where, k)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

// isBlank reports whether a document holds only comments and space.
func isBlank(doc string) bool {
	for _, line := range strings.Split(doc, "\n") {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return false
		}
	}
	return true
}

func kindList() string {
	var names []string
	for _, k := range api.Kinds {
		names = append(names, k.API+"/"+k.Kind)
	}
	return strings.Join(names, ", ")
}

// Expand replaces ${KEY} in a template with vars[KEY]; a ${KEY} without a
// value is an error, so a template is never loaded half filled in.
func Expand(data []byte, vars map[string]string) ([]byte, error) {
	var missing []string
	out := placeholder.ReplaceAllFunc(data, func(m []byte) []byte {
		key := string(m[2 : len(m)-1])
		v, ok := vars[key]
		if !ok {
			missing = append(missing, key)
			return m
		}
		return []byte(v)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("no value for ${%s}: give --set %s=VALUE", missing[0], missing[0])
	}
	return out, nil
}

// Outcome is what Apply did with one object.
type Outcome string

const (
	Created   Outcome = "created"
	Unchanged Outcome = "exists" // present and left alone
	Replaced  Outcome = "replaced"
)

// Result is one object's outcome.
type Result struct {
	Kind      api.Kind
	Namespace string
	Name      string
	Outcome   Outcome
}

func (r Result) String() string {
	name := r.Name
	if r.Namespace != "" {
		name = r.Namespace + "/" + name
	}
	return fmt.Sprintf("%s %s %s", strings.ToLower(r.Kind.Kind), name, r.Outcome)
}

// Options tune Apply.
type Options struct {
	// Force replaces the spec of objects that exist.
	Force bool
	// Namespace is for namespaced objects that name none.
	Namespace string
}

// Apply creates each object that is missing; an existing one is left
// alone, or with Force replaced by the given spec. It stops at the first
// error, with the results so far.
func Apply(ctx context.Context, c *client.Client, objs []api.Object, opts Options) ([]Result, error) {
	var results []Result
	for _, obj := range objs {
		k, ok := api.KindFor(obj.GetAPI(), obj.GetKind())
		if !ok {
			return results, fmt.Errorf("unknown kind %s/%s", obj.GetAPI(), obj.GetKind())
		}
		m := obj.GetMetadata()
		if k.Namespaced && m.Namespace == "" {
			m.Namespace = opts.Namespace
		}
		res := client.For[api.Object](c, k, m.Namespace)
		r := Result{Kind: k, Namespace: m.Namespace, Name: m.Name}
		if !k.Namespaced {
			r.Namespace = ""
		}
		_, err := res.Create(ctx, obj, client.WriteOptions{})
		switch {
		case err == nil:
			r.Outcome = Created
		case client.IsConflict(err) && !opts.Force:
			r.Outcome = Unchanged
		case client.IsConflict(err):
			current, err := res.Get(ctx, m.Name)
			if err != nil {
				return results, fmt.Errorf("%s: %w", r, err)
			}
			api.CopySpec(current, obj)
			if _, err := res.Update(ctx, current, client.WriteOptions{}); err != nil && !isNoChange(err) {
				return results, fmt.Errorf("%s %s: %w", strings.ToLower(k.Kind), m.Name, err)
			}
			r.Outcome = Replaced
		default:
			return results, fmt.Errorf("%s %s: %w", strings.ToLower(k.Kind), m.Name, err)
		}
		results = append(results, r)
	}
	return results, nil
}

// isNoChange is the server's 400 UPDATE_ERROR for an update that changes
// nothing: with force, that object already is as given.
func isNoChange(err error) bool {
	var apiErr *client.APIError
	return errors.As(err, &apiErr) && apiErr.Title == "UPDATE_ERROR"
}
