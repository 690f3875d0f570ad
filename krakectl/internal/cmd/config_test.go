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
	path := filepath.Join(t.TempDir(), "krakectl.yaml")
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
		if !tc.wantErr && o.controllerOptions().HookURL != tc.value {
			t.Errorf("--hook-url %q did not reach the controllers: %q", tc.value, o.controllerOptions().HookURL)
		}
	}
	// The key works in krakectl.yaml too.
	o := &serveOptions{}
	cmd := &cobra.Command{Use: "serve"}
	o.addFlags(cmd, true)
	path := filepath.Join(t.TempDir(), "krakectl.yaml")
	if err := os.WriteFile(path, []byte("hook_url: https://krake.example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := applyConfig(cmd.Flags(), path); err != nil || o.hookURL != "https://krake.example.com" {
		t.Errorf("hook_url from krakectl.yaml = %q, %v", o.hookURL, err)
	}
}
