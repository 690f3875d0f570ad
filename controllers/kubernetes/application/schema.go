package application

import (
	"context"
	"slices"
	"strings"

	json "github.com/go-json-experiment/json/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/krake-go/krake/apiserver/api"
)

// ObserverManager is the field manager of the observed fields, when an
// observer schema limits what Krake keeps in line: the whole manifest is
// applied (as FieldManager) only when it is new or changed; afterwards
// only the observed fields are applied, so a change someone else makes to
// an unobserved field stays.
const ObserverManager = "krake-observer"

// applyObject applies one manifest object: the whole of it, or, when the
// app's observer schema covers it and it is on the cluster as last
// applied, only its observed fields (and observed list lengths).
func (c *Controller) applyObject(ctx context.Context, res dynamic.ResourceInterface, obj *unstructured.Unstructured, raw api.RawObject, app *api.Application) (*unstructured.Unstructured, error) {
	schema := schemaFor(app.Spec.ObserverSchema, obj)
	full := func() (*unstructured.Unstructured, error) {
		return res.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	}
	if schema == nil || !slices.ContainsFunc(app.Status.LastAppliedManifest, func(x api.RawObject) bool { return string(x) == string(raw) }) {
		return full()
	}
	if _, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return full() // gone: made again whole
	} else if err != nil {
		return nil, err
	}
	projected, lists := project(obj.Object, schema)
	live, err := res.Apply(ctx, obj.GetName(), &unstructured.Unstructured{Object: projected}, metav1.ApplyOptions{FieldManager: ObserverManager, Force: true})
	if err != nil {
		return nil, err
	}
	for _, l := range lists {
		current, _, _ := unstructured.NestedSlice(live.Object, l.path...)
		if len(current) >= l.min && len(current) <= l.max {
			continue
		}
		want, _, _ := unstructured.NestedSlice(obj.Object, l.path...)
		patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/" + strings.Join(l.path, "/"), "value": want}})
		if err != nil {
			return nil, err
		}
		if live, err = res.Patch(ctx, obj.GetName(), types.JSONPatchType, patch, metav1.PatchOptions{FieldManager: ObserverManager}); err != nil {
			return nil, err
		}
	}
	return live, nil
}

// schemaFor is the observer schema entry of obj, nil when none.
func schemaFor(schema []api.RawObject, obj *unstructured.Unstructured) map[string]any {
	for _, raw := range schema {
		var s map[string]any
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		meta, _ := s["metadata"].(map[string]any)
		if s["apiVersion"] == obj.GetAPIVersion() && s["kind"] == obj.GetKind() && meta["name"] == obj.GetName() {
			return s
		}
	}
	return nil
}

// observedList is a list whose length the schema bounds.
type observedList struct {
	path     []string
	min, max int
}

// project is the object's identity and its observed fields, from the
// manifest; an observed list is taken whole, and its length bounds, when
// the schema gives them, are returned to check.
func project(manifest, schema map[string]any) (map[string]any, []observedList) {
	meta, _ := manifest["metadata"].(map[string]any)
	identity := map[string]any{"name": meta["name"]}
	if ns, ok := meta["namespace"]; ok {
		identity["namespace"] = ns
	}
	var lists []observedList
	out := map[string]any{"apiVersion": manifest["apiVersion"], "kind": manifest["kind"]}
	for k, sv := range schema {
		if k == "apiVersion" || k == "kind" {
			continue
		}
		if mv, ok := manifest[k]; ok {
			out[k] = projectValue(mv, sv, []string{k}, &lists)
		}
	}
	m, _ := out["metadata"].(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	for k, v := range identity {
		m[k] = v
	}
	out["metadata"] = m
	return out, lists
}

func projectValue(manifest, schema any, path []string, lists *[]observedList) any {
	switch s := schema.(type) {
	case map[string]any:
		m, ok := manifest.(map[string]any)
		if !ok {
			return manifest
		}
		out := map[string]any{}
		for k, sv := range s {
			if mv, ok := m[k]; ok {
				out[k] = projectValue(mv, sv, append(slices.Clone(path), k), lists)
			}
		}
		return out
	case []any:
		if lo, hi, ok := api.ObservedLengthBounds(s); ok {
			*lists = append(*lists, observedList{path: path, min: lo, max: hi})
		}
	}
	return manifest // a leaf, or a list: whole
}

// observedOf is what live holds of the fields obj's observer schema
// observes, or, without a schema, of the fields the manifest object sets.
func observedOf(live, obj *unstructured.Unstructured, schema []api.RawObject) api.RawObject {
	fields := schemaFor(schema, obj)
	if fields == nil {
		fields = obj.Object
	}
	seen, _ := project(live.Object, fields)
	data, err := json.Marshal(seen)
	if err != nil {
		return nil
	}
	return data
}
