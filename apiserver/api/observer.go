package api

import (
	"fmt"

	json "github.com/go-json-experiment/json/v1"
)

// The original's markers, in the last element of an observed list: the
// list's length is observed, and must stay within them.
const (
	ListMinLength = "observer_schema_list_min_length"
	ListMaxLength = "observer_schema_list_max_length"
)

// observerSchema checks that each schema entry names an object of the
// manifest, observes only fields that object sets (null leaves, mappings,
// lists), and that list markers are well formed.
func (v *validator) observerSchema(manifest, schema []RawObject) {
	for i, raw := range schema {
		field := fmt.Sprintf("spec.observer_schema[%d]", i)
		var obj map[string]any
		if json.Unmarshal(raw, &obj) != nil {
			continue // kubernetesObjects said so
		}
		apiVersion, kind, name, ok := manifestHeader(raw)
		if !ok {
			continue
		}
		target := findObject(manifest, apiVersion, kind, name)
		if target == nil {
			v.add(field, "names %s %s (%s), which is not in spec.manifest: a schema observes the manifest's objects", kind, name, apiVersion)
			continue
		}
		for k, sv := range obj {
			if k == "apiVersion" || k == "kind" {
				continue
			}
			v.observedField(field+"."+k, sv, target[k], k == "metadata")
		}
	}
}

// findObject is the manifest object of that identity, decoded.
func findObject(manifest []RawObject, apiVersion, kind, name string) map[string]any {
	for _, raw := range manifest {
		if a, k, n, ok := manifestHeader(raw); ok && a == apiVersion && k == kind && n == name {
			var obj map[string]any
			if json.Unmarshal(raw, &obj) == nil {
				return obj
			}
		}
	}
	return nil
}

// observedField checks one schema value against the manifest's value at
// the same place. In metadata, name and namespace identify the object.
func (v *validator) observedField(field string, schema, manifest any, metadata bool) {
	switch s := schema.(type) {
	case nil:
		return
	case map[string]any:
		m, ok := manifest.(map[string]any)
		if !ok {
			v.add(field, "is a mapping in the schema but not in the manifest's object")
			return
		}
		for k, sv := range s {
			if metadata && (k == "name" || k == "namespace") {
				if _, isString := sv.(string); isString {
					continue
				}
			}
			mv, set := m[k]
			if !set {
				v.add(field+"."+k, "is not set in the manifest's object: only fields the manifest sets can be observed")
				continue
			}
			v.observedField(field+"."+k, sv, mv, false)
		}
	case []any:
		list, ok := manifest.([]any)
		if !ok {
			v.add(field, "is a list in the schema but not in the manifest's object")
			return
		}
		elems := s
		if n := len(s); n > 0 {
			if last, isMap := s[n-1].(map[string]any); isMap && (hasKey(last, ListMinLength) || hasKey(last, ListMaxLength)) {
				v.listMarkers(fmt.Sprintf("%s[%d]", field, n-1), last, len(list))
				elems = s[:n-1]
			}
		}
		if len(elems) > len(list) {
			v.add(field, "observes %d elements, the manifest's list has %d", len(elems), len(list))
			return
		}
		for i, e := range elems {
			v.observedField(fmt.Sprintf("%s[%d]", field, i), e, list[i], false)
		}
	default:
		v.add(field, "must be null (observe this field), a mapping or a list, not %s", jsonOf(schema))
	}
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// listMarkers checks the length markers: both present, whole numbers,
// min <= max, the manifest's length within them, nothing else beside them.
func (v *validator) listMarkers(field string, m map[string]any, manifestLen int) {
	for k := range m {
		if k != ListMinLength && k != ListMaxLength {
			v.add(field+"."+k, "the list markers' element holds only %s and %s", ListMinLength, ListMaxLength)
		}
	}
	bound := func(k string) (int, bool) {
		f, ok := m[k].(float64)
		if !ok || f < 0 || f != float64(int(f)) {
			v.add(field+"."+k, "required: a whole number of elements, zero or more")
			return 0, false
		}
		return int(f), true
	}
	lo, okLo := bound(ListMinLength)
	hi, okHi := bound(ListMaxLength)
	switch {
	case !okLo || !okHi:
	case lo > hi:
		v.add(field, "%s %d is more than %s %d", ListMinLength, lo, ListMaxLength, hi)
	case manifestLen < lo || manifestLen > hi:
		v.add(field, "the manifest's list has %d elements, outside %d..%d", manifestLen, lo, hi)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// ObservedLengthBounds are a schema list's markers; ok is false when the
// list has none.
func ObservedLengthBounds(list []any) (lo, hi int, ok bool) {
	if n := len(list); n > 0 {
		if last, isMap := list[n-1].(map[string]any); isMap && hasKey(last, ListMinLength) && hasKey(last, ListMaxLength) {
			l, _ := last[ListMinLength].(float64)
			h, _ := last[ListMaxLength].(float64)
			return int(l), int(h), true
		}
	}
	return 0, 0, false
}
