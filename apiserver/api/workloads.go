package api

import (
	"fmt"
	"slices"
	"strings"

	json "github.com/go-json-experiment/json/v1"
)

// podSpecPaths are where each built-in workload kind keeps its pod spec
// (a custom resource's layout is its own), by "group/Kind".
var podSpecPaths = map[string][]string{
	"/Pod":                   {"spec"},
	"/ReplicationController": {"spec", "template", "spec"},
	"apps/Deployment":        {"spec", "template", "spec"},
	"apps/StatefulSet":       {"spec", "template", "spec"},
	"apps/DaemonSet":         {"spec", "template", "spec"},
	"apps/ReplicaSet":        {"spec", "template", "spec"},
	"batch/Job":              {"spec", "template", "spec"},
	"batch/CronJob":          {"spec", "jobTemplate", "spec", "template", "spec"},
}

// PodSpecPath is where a workload of that apiVersion and kind keeps its
// pod spec; ok is false for kinds that run no pods. The controller injects
// the hooks' variables there, rok's --inject sets env values there.
func PodSpecPath(apiVersion, kind string) (path []string, ok bool) {
	group := ""
	if g, _, found := strings.Cut(apiVersion, "/"); found {
		group = g
	}
	path, ok = podSpecPaths[group+"/"+kind]
	return slices.Clone(path), ok
}

// InjectEnv sets the value of every env entry named key, in every
// container (and init container) of the manifest's workloads, as the
// original's --inject does; it returns how many entries it set.
func InjectEnv(manifest []RawObject, key, value string) ([]RawObject, int, error) {
	out := make([]RawObject, len(manifest))
	set := 0
	for i, raw := range manifest {
		out[i] = raw
		var obj map[string]any
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, 0, fmt.Errorf("spec.manifest[%d]: %w", i, err)
		}
		apiVersion, _ := obj["apiVersion"].(string)
		kind, _ := obj["kind"].(string)
		path, ok := PodSpecPath(apiVersion, kind)
		if !ok {
			continue
		}
		spec := any(obj)
		for _, p := range path {
			m, _ := spec.(map[string]any)
			spec = m[p]
		}
		podSpec, _ := spec.(map[string]any)
		n := 0
		for _, list := range []string{"initContainers", "containers"} {
			containers, _ := podSpec[list].([]any)
			for _, c := range containers {
				container, _ := c.(map[string]any)
				env, _ := container["env"].([]any)
				for _, e := range env {
					entry, _ := e.(map[string]any)
					if entry["name"] == key {
						entry["value"] = value
						delete(entry, "valueFrom")
						n++
					}
				}
			}
		}
		if n == 0 {
			continue
		}
		data, err := json.Marshal(obj)
		if err != nil {
			return nil, 0, err
		}
		out[i], set = data, set+n
	}
	return out, set, nil
}
