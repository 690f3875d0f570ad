// Package manifests holds example applications; this test keeps each one
// valid against the API's own decoding and validation.
package manifests_test

import (
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/krake-go/krake/apiserver/api"
	"github.com/krake-go/krake/apiserver/tosca"
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

// TestManifests_kwokCluster: the example cluster template is TOSCA the
// kwok provider reads (two nodes by default).
func TestManifests_kwokCluster(t *testing.T) {
	data, err := os.ReadFile("infrastructure/kwok-cluster.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	n, found, err := tosca.ScalableCount(doc)
	if err != nil || !found || n != 2 {
		t.Fatalf("node count = %d, %v, %v; want 2", n, found, err)
	}
	k := api.MustKind("kubernetes", "Cluster")
	cl := k.New().(*api.Cluster)
	cl.Metadata.Name, cl.Metadata.Namespace, cl.Spec.Tosca = "lab", "demo", doc
	api.Normalize(k, cl)
	if err := api.Validate(k, cl); err != nil {
		t.Fatalf("a cluster with this template is invalid: %v", err)
	}
}

// TestDeploy_bootstrapIsTheTenantTemplate: the bootstrap Job's file is
// bootstrap/tenant-template.yaml (kustomize reads only files below its
// root, so it is a copy; this keeps the copy true).
func TestDeploy_bootstrapIsTheTenantTemplate(t *testing.T) {
	copied, err := os.ReadFile("deploy/base/bootstrap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	original, err := os.ReadFile("../bootstrap/tenant-template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(copied) != string(original) {
		t.Error("manifests/deploy/base/bootstrap.yaml differs from bootstrap/tenant-template.yaml: copy it again")
	}
}
