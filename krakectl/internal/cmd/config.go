package cmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"sigs.k8s.io/yaml"
)

// configPaths are where krake.yaml is looked for, first found wins. The
// name is not krakectl.yaml: that is the original CLI's file (rok reads it
// as the original did), and one machine may hold both.
func configPaths() []string {
	paths := []string{"krake.yaml"}
	if xdg := os.Getenv("XDG_CONFIG_HOME"); xdg != "" {
		paths = append(paths, filepath.Join(xdg, "krake", "krake.yaml"))
	} else if home, err := os.UserHomeDir(); err == nil {
		paths = append(paths, filepath.Join(home, ".config", "krake", "krake.yaml"))
	}
	return append(paths, "/etc/krake/krake.yaml")
}

// applyConfig sets every flag the command line left alone from the config
// file (--config, or the first krake.yaml found). Keys are the flag
// names, with '_' or '-' (reschedule_after: 30s, stickiness: 0.2); a key
// that names no flag is an error, so typos do not pass silently.
func applyConfig(flags *pflag.FlagSet, explicit string) (string, error) {
	path := explicit
	var data []byte
	var err error
	if path != "" {
		if data, err = os.ReadFile(path); err != nil {
			return "", fmt.Errorf("--config: %w", err)
		}
	} else {
		for _, p := range configPaths() {
			if data, err = os.ReadFile(p); err == nil {
				path = p
				break
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", fmt.Errorf("read %s: %w", p, err)
			}
		}
		if path == "" {
			return "", nil
		}
	}
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		return "", fmt.Errorf("config %s is not valid YAML: %w", path, err)
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		name := strings.ReplaceAll(key, "_", "-")
		flag := flags.Lookup(name)
		if flag == nil || name == "config" {
			return "", fmt.Errorf("config %s: unknown key %q (keys are the flags of this command)", path, key)
		}
		if flag.Changed {
			continue // the command line wins
		}
		value := values[key]
		var text string
		switch v := value.(type) {
		case []any:
			parts := make([]string, len(v))
			for i, item := range v {
				parts[i] = fmt.Sprint(item)
			}
			text = strings.Join(parts, ",")
		default:
			text = fmt.Sprint(v)
		}
		if err := flags.Set(name, text); err != nil {
			return "", fmt.Errorf("config %s: %s: %w", path, key, err)
		}
	}
	return path, nil
}
