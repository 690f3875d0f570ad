package server

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, body := range files {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCSARTemplate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		files   map[string]string
		want    string // the template read, or the error
		wantErr bool
	}{
		{"Entry-Definitions", map[string]string{"TOSCA-Metadata/TOSCA.meta": "TOSCA-Meta-File-Version: 1.0\nEntry-Definitions: defs/app.yaml\n",
			"defs/app.yaml": "entry", "other.yaml": "not this"}, "entry", false},
		{"one top-level template", map[string]string{"app.yml": "top", "defs/x.yaml": "nested"}, "top", false},
		{"two top-level templates", map[string]string{"a.yaml": "a", "b.yaml": "b"}, "2 top-level YAML files", true},
		{"meta without an entry", map[string]string{"TOSCA-Metadata/TOSCA.meta": "TOSCA-Meta-File-Version: 1.0\n"}, "no Entry-Definitions", true},
		{"entry missing", map[string]string{"TOSCA-Metadata/TOSCA.meta": "Entry-Definitions: gone.yaml\n"}, "Entry-Definitions gone.yaml", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := csarTemplate(zipOf(t, tt.files))
			switch {
			case tt.wantErr && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one saying %q", err, tt.want)
			case !tt.wantErr && (err != nil || string(got) != tt.want):
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	if _, err := csarTemplate([]byte("not a zip")); err == nil || !strings.Contains(err.Error(), "not a ZIP archive") {
		t.Errorf("a non-ZIP: %v", err)
	}
}

func TestDownload_limits(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big":
			_, _ = w.Write(bytes.Repeat([]byte("x"), maxTemplateBytes+1))
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := newTemplateClient()
	for path, want := range map[string]string{"/big": "larger than 10 MiB", "/loop": "more than 5 redirects", "/none": "404"} {
		if _, err := download(context.Background(), c, srv.URL+path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", path, err, want)
		}
	}
}

func FuzzCSAR(f *testing.F) {
	f.Add(zipOf(f, map[string]string{"TOSCA-Metadata/TOSCA.meta": "Entry-Definitions: a.yaml\n", "a.yaml": "x"}))
	f.Add(zipOf(f, map[string]string{"a.yaml": "x"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = csarTemplate(data) // must not panic
	})
}
