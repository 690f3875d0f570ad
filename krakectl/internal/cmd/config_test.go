package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func TestApplyConfig(t *testing.T) {
	o := &serveOptions{}
	cmd := &cobra.Command{Use: "serve"}
	o.addFlags(cmd, true)
	path := filepath.Join(t.TempDir(), "krake.yaml")
	if err := os.WriteFile(path, []byte("reschedule_after: 30s\nstickiness: 0.25\ncontrollers: [cluster, scheduler]\nlisten: 127.0.0.1:9999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Flags().Parse([]string{"--listen", "127.0.0.1:7777"}); err != nil {
		t.Fatal(err)
	}
	if _, err := applyConfig(cmd.Flags(), path); err != nil {
		t.Fatal(err)
	}
	if o.reschedule != 30*time.Second || o.stickiness != 0.25 || strings.Join(o.controllers, ",") != "cluster,scheduler" {
		t.Errorf("from config: reschedule %s stickiness %g controllers %v", o.reschedule, o.stickiness, o.controllers)
	}
	if o.listen != "127.0.0.1:7777" {
		t.Errorf("listen = %s, want the command line's 127.0.0.1:7777", o.listen)
	}
	if err := os.WriteFile(path, []byte("reschedule_aftr: 30s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := applyConfig(cmd.Flags(), path); err == nil || !strings.Contains(err.Error(), `unknown key "reschedule_aftr"`) {
		t.Errorf("a typo in the config: %v", err)
	}
	if err := os.WriteFile(path, []byte("stickiness: lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := &cobra.Command{Use: "serve"}
	(&serveOptions{}).addFlags(fresh, true)
	if _, err := applyConfig(fresh.Flags(), path); err == nil || !strings.Contains(err.Error(), "stickiness") {
		t.Errorf("a bad value: %v", err)
	}
}

func TestHookURL(t *testing.T) {
	for _, tc := range []struct {
		value   string
		wantErr bool
	}{{"", false}, {"https://krake.example.com:8443", false}, {"http://10.0.0.1:8080/", false},
		{"krake.example.com", true}, {"ftp://krake", true}, {"http://", true}} {
		o := &serveOptions{hookURL: tc.value}
		err := o.checkControllerFlags()
		if (err != nil) != tc.wantErr || err != nil && !strings.Contains(err.Error(), "--hook-url") {
			t.Errorf("--hook-url %q: err = %v, want an error: %v", tc.value, err, tc.wantErr)
		}
		if opts, _ := o.controllerOptions(); !tc.wantErr && opts.HookURL != tc.value {
			t.Errorf("--hook-url %q did not reach the controllers: %q", tc.value, opts.HookURL)
		}
	}
	// The key works in krake.yaml too.
	o := &serveOptions{}
	cmd := &cobra.Command{Use: "serve"}
	o.addFlags(cmd, true)
	path := filepath.Join(t.TempDir(), "krake.yaml")
	if err := os.WriteFile(path, []byte("hook_url: https://krake.example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := applyConfig(cmd.Flags(), path); err != nil || o.hookURL != "https://krake.example.com" {
		t.Errorf("hook_url from krake.yaml = %q, %v", o.hookURL, err)
	}
}

// TestConfigPaths: krakectl finds krake.yaml in ./, then
// $XDG_CONFIG_HOME/krake/, and leaves the original CLI's krakectl.yaml
// (api_url, user, tls: keys no flag has) to rok.
func TestConfigPaths(t *testing.T) {
	dir, xdg := t.TempDir(), t.TempDir()
	t.Chdir(dir)
	t.Setenv("XDG_CONFIG_HOME", xdg)
	newServeFlags := func() (*serveOptions, *cobra.Command) {
		o := &serveOptions{}
		cmd := &cobra.Command{Use: "serve"}
		o.addFlags(cmd, true)
		return o, cmd
	}
	if err := os.WriteFile("krakectl.yaml", []byte("api_url: http://127.0.0.1:8080\nuser: alice\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, cmd := newServeFlags(); true {
		if path, err := applyConfig(cmd.Flags(), ""); err != nil || path != "" {
			t.Errorf("with only the original CLI's krakectl.yaml: path %q, err %v; want none read", path, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(xdg, "krake"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(xdg, "krake", "krake.yaml"), []byte("stickiness: 0.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, cmd := newServeFlags()
	if path, err := applyConfig(cmd.Flags(), ""); err != nil || path != filepath.Join(xdg, "krake", "krake.yaml") || o.stickiness != 0.3 {
		t.Errorf("XDG krake.yaml: path %q, err %v, stickiness %g", path, err, o.stickiness)
	}
	if err := os.WriteFile("krake.yaml", []byte("stickiness: 0.4\nproblem_base_url: https://docs.example.org/problems\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, cmd = newServeFlags()
	if path, err := applyConfig(cmd.Flags(), ""); err != nil || path != "krake.yaml" || o.stickiness != 0.4 || o.problemBase != "https://docs.example.org/problems" {
		t.Errorf("./krake.yaml first: path %q, err %v, stickiness %g, problem base %q", path, err, o.stickiness, o.problemBase)
	}
}

// TestEncryptionKeyFile: a bad key file stops krakectl at start-up with
// the reason, before any etcd starts.
func TestEncryptionKeyFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "keys")
	if err := os.WriteFile(bad, []byte("c2hvcnQ=\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	code := Main([]string{"serve", "--encryption-key-file", bad, "--data-dir", filepath.Join(dir, "data"), "--listen", "127.0.0.1:0"}, "test", &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "--encryption-key-file") || !strings.Contains(stderr.String(), "want 32") {
		t.Errorf("serve with a short key: exit %d, stderr %q", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); err == nil {
		t.Error("the data dir was created although the key file is bad")
	}
}
