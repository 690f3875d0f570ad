// Package config reads and writes rok's configuration: named contexts in
// $XDG_CONFIG_HOME/rok/config.yaml, the original Krake CLI's files
// (rok.yaml and krakectl.yaml, keys api_url, user, tls) where present, and
// the environment overrides.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"sigs.k8s.io/yaml"
)

// Defaults, as in the original rok.
const (
	DefaultAPIURL    = "http://localhost:8080"
	DefaultNamespace = "system:admin"
)

// File is config.yaml.
type File struct {
	CurrentContext string    `json:"current-context,omitempty"`
	Contexts       []Context `json:"contexts"`
}

// Context is one API endpoint with its namespace and credentials.
type Context struct {
	Name      string `json:"name"`
	APIURL    string `json:"api_url"`
	Namespace string `json:"namespace,omitempty"`
	TLS       *TLS   `json:"tls,omitempty"`
	// Token is sent as a bearer token (the file is written 0600).
	Token string `json:"token,omitempty"`
}

// TLS holds file paths for https API URLs.
type TLS struct {
	CA   string `json:"ca,omitempty"`
	Cert string `json:"cert,omitempty"`
	Key  string `json:"key,omitempty"`
}

// Legacy is a config file of the original CLI: rok.yaml or krakectl.yaml.
// user is the default namespace.
type Legacy struct {
	APIURL string `json:"api_url"`
	User   string `json:"user"`
	TLS    struct {
		Enabled    bool   `json:"enabled"`
		ClientCA   string `json:"client_ca"`
		ClientCert string `json:"client_cert"`
		ClientKey  string `json:"client_key"`
	} `json:"tls"`
	// Source names the file in messages (rok.yaml, /etc/krakectl/krakectl.yaml).
	Source string `json:"-"`
}

// Env is what the configuration depends on from the environment.
type Env struct {
	Getenv func(string) string
	Cwd    string
}

// OSEnv is the process environment.
func OSEnv() Env {
	cwd, _ := os.Getwd()
	return Env{Getenv: os.Getenv, Cwd: cwd}
}

func (e Env) configHome() string {
	if x := e.Getenv("XDG_CONFIG_HOME"); x != "" {
		return x
	}
	if home := e.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".config")
	}
	return ""
}

// Path is where config.yaml lives.
func (e Env) Path() string {
	if home := e.configHome(); home != "" {
		return filepath.Join(home, "rok", "config.yaml")
	}
	return filepath.Join(e.Cwd, "rok-config.yaml")
}

// LegacyPaths are the places the original looked for rok.yaml, in order.
func (e Env) LegacyPaths() []string {
	paths := []string{filepath.Join(e.Cwd, "rok.yaml")}
	if home := e.configHome(); home != "" {
		paths = append(paths, filepath.Join(home, "rok.yaml"))
	}
	return append(paths, "/etc/rok/rok.yaml", "/etc/krakectl/rok.yaml")
}

// KrakectlPaths are the places the original CLI (krakectl upstream)
// looked for krakectl.yaml, in order.
func (e Env) KrakectlPaths() []string {
	paths := []string{filepath.Join(e.Cwd, "krakectl.yaml")}
	if home := e.configHome(); home != "" {
		paths = append(paths, filepath.Join(home, "krakectl.yaml"))
	}
	return append(paths, "/etc/krakectl/krakectl.yaml")
}

// source is how a file is named in messages: its name when it is in the
// working directory, else its path.
func (e Env) source(path string) string {
	if filepath.Dir(path) == filepath.Clean(e.Cwd) {
		return filepath.Base(path)
	}
	return path
}

// Load reads config.yaml; a missing file is an empty configuration.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	f := &File{}
	if err := yaml.UnmarshalStrict(data, f); err != nil {
		return nil, fmt.Errorf("config %s is not valid: %w", path, err)
	}
	return f, nil
}

// LoadLegacy reads the first of paths found, or nil.
func (e Env) LoadLegacy(paths []string) (*Legacy, error) {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		l := &Legacy{Source: e.source(p)}
		if err := yaml.Unmarshal(data, l); err != nil {
			return nil, fmt.Errorf("%s is not valid YAML: %w", p, err)
		}
		return l, nil
	}
	return nil, nil
}

// Save writes the file, creating its directory.
func (f *File) Save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := yaml.Marshal(f)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

// Context returns the named context.
func (f *File) Context(name string) (Context, bool) {
	i := slices.IndexFunc(f.Contexts, func(c Context) bool { return c.Name == name })
	if i < 0 {
		return Context{}, false
	}
	return f.Contexts[i], true
}

// SetContext adds or replaces a context.
func (f *File) SetContext(c Context) {
	i := slices.IndexFunc(f.Contexts, func(existing Context) bool { return existing.Name == c.Name })
	if i < 0 {
		f.Contexts = append(f.Contexts, c)
		return
	}
	f.Contexts[i] = c
}

// Overrides come from flags; empty fields do not override.
type Overrides struct {
	Context   string
	APIURL    string
	Namespace string
}

// Resolved is the configuration a command runs with, and where each
// value came from (for messages and `rok config view`).
type Resolved struct {
	Context         string // "" when none applies
	APIURL          string
	Namespace       string
	TLS             TLS
	Source          string // of the API URL
	NamespaceSource string
	TLSSource       string // "" when no TLS files are set
	Token           string
	TokenSource     string // "" when there is no token
}

// Resolve applies, lowest first: defaults, the original CLI's files
// (legacy, lowest first: krakectl.yaml, then rok.yaml), the current (or
// --context) context, ROK_API_URL / ROK_NAMESPACE, flags.
func Resolve(env Env, f *File, legacy []*Legacy, o Overrides) (Resolved, error) {
	r := Resolved{APIURL: DefaultAPIURL, Namespace: DefaultNamespace, Source: "default", NamespaceSource: "default"}
	for _, l := range legacy {
		if l == nil {
			continue
		}
		if l.APIURL != "" {
			r.APIURL, r.Source = l.APIURL, l.Source
		}
		if l.User != "" {
			r.Namespace, r.NamespaceSource = l.User, l.Source
		}
		if l.TLS.Enabled {
			r.TLS, r.TLSSource = TLS{CA: l.TLS.ClientCA, Cert: l.TLS.ClientCert, Key: l.TLS.ClientKey}, l.Source
		}
	}
	name := f.CurrentContext
	if o.Context != "" {
		name = o.Context
	}
	if name != "" {
		c, ok := f.Context(name)
		if !ok {
			var names []string
			for _, c := range f.Contexts {
				names = append(names, c.Name)
			}
			return r, fmt.Errorf("context %q is not in the configuration (known: %v); add it with `rok config set-context %s --api-url URL`", name, names, name)
		}
		r.Context = name
		if c.APIURL != "" {
			r.APIURL, r.Source = c.APIURL, "context "+name
		}
		if c.Namespace != "" {
			r.Namespace, r.NamespaceSource = c.Namespace, "context "+name
		}
		if c.TLS != nil {
			r.TLS, r.TLSSource = *c.TLS, "context "+name
		}
		if c.Token != "" {
			r.Token, r.TokenSource = c.Token, "context "+name
		}
	}
	if v := env.Getenv("ROK_TOKEN"); v != "" {
		r.Token, r.TokenSource = v, "ROK_TOKEN"
	}
	if v := env.Getenv("ROK_API_URL"); v != "" {
		r.APIURL, r.Source = v, "ROK_API_URL"
	}
	if v := env.Getenv("ROK_NAMESPACE"); v != "" {
		r.Namespace, r.NamespaceSource = v, "ROK_NAMESPACE"
	}
	if o.APIURL != "" {
		r.APIURL, r.Source = o.APIURL, "--api-url"
	}
	if o.Namespace != "" {
		r.Namespace, r.NamespaceSource = o.Namespace, "--namespace"
	}
	return r, nil
}
