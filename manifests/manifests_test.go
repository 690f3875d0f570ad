// Package manifests holds example applications; this test keeps each one
// valid against the API's own decoding and validation.
package manifests_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/krake-go/krake/apiserver/api"
)

func TestManifests_areValidApplications(t *testing.T) {
	files, err := filepath.Glob("*/application.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests found: %v", err)
	}
	k := api.MustKind("kubernetes", "Application")
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := k.Decode(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			obj.GetMetadata().Namespace = "demo"
			api.Normalize(k, obj)
			if err := api.Validate(k, obj); err != nil {
				t.Fatalf("invalid: %v", err)
			}
		})
	}
}
