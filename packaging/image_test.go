//go:build release

package packaging

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	json "github.com/go-json-experiment/json/v1"
)

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Platform  *struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
	} `json:"platform"`
}

type manifest struct {
	MediaType string       `json:"mediaType"`
	Manifests []descriptor `json:"manifests"` // an index
	Config    descriptor   `json:"config"`    // an image
	Layers    []descriptor `json:"layers"`
}

type imageConfig struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Config       struct {
		User       string   `json:"User"`
		Entrypoint []string `json:"Entrypoint"`
		Env        []string `json:"Env"`
	} `json:"config"`
}

// TestImage: `make image` wrote an OCI image layout as a tarball: an index
// of linux/amd64 and linux/arm64 images that run krakectl as a non-root
// user, with CA certificates and no shell; the amd64 binary runs `version`.
func TestImage(t *testing.T) {
	f, err := os.Open(filepath.Join(dist, "krakectl-image.tar"))
	if err != nil {
		t.Fatalf("%v (run `make release`: it runs `make image`)", err)
	}
	defer f.Close()
	blobs := tarFiles(t, f)
	if !strings.Contains(string(blobs["oci-layout"]), `"imageLayoutVersion"`) {
		t.Fatalf("no oci-layout file: %q", blobs["oci-layout"])
	}
	blob := func(d descriptor) []byte {
		data, ok := blobs["blobs/"+strings.Replace(d.Digest, ":", "/", 1)]
		if !ok {
			t.Fatalf("blob %s (%s) missing", d.Digest, d.MediaType)
		}
		return data
	}
	parse := func(data []byte, v any) {
		if err := json.Unmarshal(data, v); err != nil {
			t.Fatal(err)
		}
	}
	var top manifest
	parse(blobs["index.json"], &top)
	// ko's layout holds one entry, the multi-platform index.
	if len(top.Manifests) != 1 || top.Manifests[0].MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Fatalf("index.json: %+v", top.Manifests)
	}
	var idx manifest
	parse(blob(top.Manifests[0]), &idx)
	var platforms []string
	for _, d := range idx.Manifests {
		platforms = append(platforms, d.Platform.OS+"/"+d.Platform.Architecture)
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Fatalf("platforms %v", platforms)
	}
	commit := strings.TrimSpace(command(t, "git", "rev-parse", "HEAD"))
	for _, d := range idx.Manifests {
		var img manifest
		parse(blob(d), &img)
		var cfg imageConfig
		parse(blob(img.Config), &cfg)
		arch := d.Platform.Architecture
		if cfg.Architecture != arch || cfg.OS != "linux" {
			t.Errorf("%s: config says %s/%s", arch, cfg.OS, cfg.Architecture)
		}
		if cfg.Config.User != "65532" {
			t.Errorf("%s: runs as user %q, want 65532 (non-root)", arch, cfg.Config.User)
		}
		if !slices.Equal(cfg.Config.Entrypoint, []string{"/ko-app/krakectl"}) {
			t.Errorf("%s: entrypoint %v", arch, cfg.Config.Entrypoint)
		}
		files := map[string][]byte{}
		for _, l := range img.Layers {
			gz, err := gzip.NewReader(bytes.NewReader(blob(l)))
			if err != nil {
				t.Fatal(err)
			}
			for name, data := range tarFiles(t, gz) {
				files[strings.TrimPrefix(name, "/")] = data
			}
		}
		if !bytes.Contains(files["etc/ssl/certs/ca-certificates.crt"], []byte("BEGIN CERTIFICATE")) {
			t.Errorf("%s: no CA certificates", arch)
		}
		if !bytes.Contains(files["etc/passwd"], []byte("nonroot:x:65532:65532")) {
			t.Errorf("%s: /etc/passwd has no nonroot user:\n%s", arch, files["etc/passwd"])
		}
		for name := range files {
			if strings.HasSuffix(name, "bin/sh") {
				t.Errorf("%s: the image has a shell (%s)", arch, name)
			}
		}
		bin := files["ko-app/krakectl"]
		if err := checkTarget(bin, "linux", arch); err != nil {
			t.Errorf("%s: /ko-app/krakectl: %v", arch, err)
			continue
		}
		if arch == "amd64" {
			runVersion(t, bin, "krakectl", "", commit)
		}
	}
}
