//go:build e2e

package e2e

import (
	"os"

	json "github.com/go-json-experiment/json/v1"
	"sigs.k8s.io/yaml"
)

// loadKubeconfigMap reads a kubeconfig as the generic map a Cluster holds.
func loadKubeconfigMap(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(js, &m)
}
