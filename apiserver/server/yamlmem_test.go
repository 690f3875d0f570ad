package server_test

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"testing"

	"sigs.k8s.io/yaml"
)

// bigApplicationYAML is an application of about 2 MB of YAML made of many
// small manifest objects, in block style (so that its JSON fits the body
// limit too).
func bigApplicationYAML(name string) string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "metadata:\n  name: %s\nspec:\n  manifest:\n", name)
	for i := 0; b.Len() < 2<<20-200; i++ {
		fmt.Fprintf(&b, "  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: c%d\n    data:\n      a: b\n      c: d\n", i)
	}
	return b.String()
}

// allocatedBy is how many bytes the whole process allocates while f runs.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestCreate_yamlBodyMemory: a 2 MB YAML body costs at most ~20 MB more
// than the same application sent as JSON (the budget; converting
// it through a YAML tree took about 90 MB). Both creates are measured in
// the whole test process: server, client and embedded etcd.
func TestCreate_yamlBodyMemory(t *testing.T) {
	ns := namespace(t)
	collection := "/kubernetes/namespaces/" + ns + "/applications"
	yamlBody := bigApplicationYAML("from-yaml")
	jsonBody, err := yaml.YAMLToJSON([]byte(bigApplicationYAML("from-json")))
	if err != nil {
		t.Fatal(err)
	}
	var r response
	fromYAML := allocatedBy(func() { r = do(t, http.MethodPost, collection, "application/yaml", yamlBody) })
	mustStatus(t, r, http.StatusOK)
	fromJSON := allocatedBy(func() { r = do(t, http.MethodPost, collection, "application/json", string(jsonBody)) })
	mustStatus(t, r, http.StatusOK)
	t.Logf("creating from %d bytes of YAML allocated %.1f MB, from the same as JSON %.1f MB", len(yamlBody), float64(fromYAML)/1e6, float64(fromJSON)/1e6)
	if fromYAML > fromJSON+20<<20 {
		t.Errorf("the YAML body cost %.1f MB more than JSON, want at most 20 MB", float64(fromYAML-fromJSON)/1e6)
	}
}
