// Command image builds krakectl's container image with ko and no network
// beyond loopback: it makes a minimal base image (the host's CA bundle, a
// nonroot user, a writable /tmp) for linux/amd64 and linux/arm64, serves
// it from a registry on 127.0.0.1 for ko to pull, runs ko, and writes the
// result as one OCI image-layout tarball.
//
// `make image` runs it from the repository root:
//
//	cd packaging/image && go run . -ko "$(../tools.sh ko)" -root ../.. -out ../../dist/krakectl-image.tar
package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// nonroot is the user the image runs as (distroless' and Chainguard's
// nonroot uid), so the Kubernetes manifests' runAsNonRoot holds.
const nonroot = 65532

func main() {
	ko := flag.String("ko", "ko", "the ko binary")
	out := flag.String("out", "dist/krakectl-image.tar", "the OCI image-layout tarball to write")
	repo := flag.String("repo", "ghcr.io/krake-go/krakectl", "the image's name (nothing is pushed)")
	caFile := flag.String("ca-file", "/etc/ssl/certs/ca-certificates.crt", "the CA bundle the image trusts")
	root := flag.String("root", ".", "the repository root (where .ko.yaml is)")
	version := flag.String("version", "dev", "the version krakectl reports")
	flag.Parse()
	if err := run(*ko, *root, *out, *repo, *caFile, *version); err != nil {
		log.Fatalf("image: %v", err)
	}
}

func run(ko, root, out, repo, caFile, version string) error {
	ca, err := os.ReadFile(caFile)
	if err != nil {
		return fmt.Errorf("reading the CA bundle (-ca-file): %w", err)
	}
	base, err := baseIndex(ca)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()

	baseRef, err := name.ParseReference(ln.Addr().String()+"/krake/base:latest", name.Insecure)
	if err != nil {
		return err
	}
	if err := remote.WriteIndex(baseRef, base); err != nil {
		return fmt.Errorf("serving the base image: %w", err)
	}

	layout, err := os.MkdirTemp("", "krake-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(layout)
	cmd := exec.Command(ko, "build", "./krakectl",
		"--bare", "--push=false", "--sbom=none",
		"--platform=linux/amd64,linux/arm64",
		"--image-user="+fmt.Sprint(nonroot),
		"--oci-layout-path="+layout)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"KRAKE_VERSION="+version,
		"KO_DOCKER_REPO="+repo,
		"KO_DEFAULTBASEIMAGE="+baseRef.String(),
		"KOCACHE=", // the base is served here; nothing to cache
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ko build: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	return tarDir(layout, out)
}

// baseIndex is the base for both platforms: one layer of files, no shell.
func baseIndex(ca []byte) (v1.ImageIndex, error) {
	layer, err := baseLayer(ca)
	if err != nil {
		return nil, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range []string{"amd64", "arm64"} {
		img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.OCIManifestSchema1), layer)
		if err != nil {
			return nil, err
		}
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
		cfg, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		cfg = cfg.DeepCopy()
		cfg.OS, cfg.Architecture = "linux", arch
		cfg.Config.User = fmt.Sprint(nonroot)
		cfg.Config.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
		if img, err = mutate.ConfigFile(img, cfg); err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	return idx, nil
}

func baseLayer(ca []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	dirs := []string{"etc/", "etc/ssl/", "etc/ssl/certs/", "home/", "home/nonroot/", "tmp/"}
	for _, d := range dirs {
		hdr := &tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch}
		switch d {
		case "tmp/":
			hdr.Mode = 0o1777
		case "home/nonroot/":
			hdr.Mode, hdr.Uid, hdr.Gid = 0o700, nonroot, nonroot
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
	}
	files := map[string][]byte{
		"etc/passwd":                        fmt.Appendf(nil, "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", nonroot, nonroot),
		"etc/group":                         fmt.Appendf(nil, "root:x:0:\nnonroot:x:%d:\n", nonroot),
		"etc/ssl/certs/ca-certificates.crt": ca,
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(files[n])), ModTime: epoch}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
		tarball.WithMediaType(types.OCILayer))
}

// tarDir writes dir's tree as a tarball, in name order (the layout's
// index.json, oci-layout and blobs/), with fixed times so equal images
// give equal files.
func tarDir(dir, out string) (err error) {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name, hdr.ModTime, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = filepath.ToSlash(rel), time.Unix(0, 0), 0, 0, "", ""
		hdr.Mode = 0o644
		if d.IsDir() {
			hdr.Name, hdr.Mode = hdr.Name+"/", 0o755
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
