//go:build release

package packaging

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	json "github.com/go-json-experiment/json/v1"
)

// These tests read what `make release` left in dist/ (goreleaser's
// snapshot release, then `make image`); run them through that target.

var dist = filepath.Join("..", "dist")

type artifact struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Goos   string `json:"goos"`
	Goarch string `json:"goarch"`
	Type   string `json:"type"`
}

type metadata struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

func readJSON(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dist, name))
	if err != nil {
		t.Fatalf("%v (run `make release`, which makes dist/ first)", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func artifacts(t *testing.T, typ string) []artifact {
	t.Helper()
	var all []artifact
	readJSON(t, "artifacts.json", &all)
	var out []artifact
	for _, a := range all {
		if a.Type == typ {
			a.Path = filepath.Join("..", a.Path)
			out = append(out, a)
		}
	}
	return out
}

var targets = []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64"}

// release is the snapshot's version and full commit.
func release(t *testing.T) (version, commit string) {
	var m metadata
	readJSON(t, "metadata.json", &m)
	if head := strings.TrimSpace(command(t, "git", "rev-parse", "HEAD")); m.Version == "" || m.Commit != head {
		t.Fatalf("metadata.json: %+v, want the commit %s", m, head)
	}
	return m.Version, m.Commit
}

// TestArchives: one archive per target, each with both binaries built for
// that target, README, LICENSE, NOTICE, completions and man pages; the
// checksums file covers them; the Linux amd64 binaries run `version`.
func TestArchives(t *testing.T) {
	archives := artifacts(t, "Archive")
	var got []string
	for _, a := range archives {
		got = append(got, a.Goos+"/"+a.Goarch)
	}
	slices.Sort(got)
	if !slices.Equal(got, targets) {
		t.Fatalf("archives for %v, want %v", got, targets)
	}
	sums := checksums(t)
	version, commit := release(t)
	for _, a := range archives {
		t.Run(a.Goos+"_"+a.Goarch, func(t *testing.T) {
			data, err := os.ReadFile(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if sums[a.Name] != hex.EncodeToString(sum[:]) {
				t.Errorf("checksums.txt has %q for %s, the file hashes to %x", sums[a.Name], a.Name, sum)
			}
			files := archiveFiles(t, a.Name, data)
			exe := ""
			if a.Goos == "windows" {
				exe = ".exe"
			}
			want := []string{"README.md", "LICENSE", "NOTICE",
				"completions/rok.bash", "completions/_rok", "completions/rok.fish", "completions/rok.ps1",
				"completions/krakectl.bash", "completions/_krakectl", "completions/krakectl.fish",
				"man/man1/rok.1", "man/man1/rok-kube-app-create.1", "man/man1/krakectl.1", "man/man1/krakectl-serve.1"}
			for _, name := range want {
				if len(files[name]) == 0 {
					t.Errorf("%s: no %s (has %v)", a.Name, name, keys(files))
				}
			}
			if !bytes.Contains(files["LICENSE"], []byte("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION")) {
				t.Errorf("%s: LICENSE is not the Apache License's full text", a.Name)
			}
			if !bytes.Contains(files["man/man1/rok-kube-app-create.1"], []byte("auto-cluster-create")) {
				t.Errorf("%s: rok-kube-app-create.1 does not document the command's flags", a.Name)
			}
			for _, bin := range []string{"rok", "krakectl"} {
				data := files[bin+exe]
				if err := checkTarget(data, a.Goos, a.Goarch); err != nil {
					t.Errorf("%s: %s%s: %v", a.Name, bin, exe, err)
					continue
				}
				if a.Goos == "linux" && a.Goarch == "amd64" {
					runVersion(t, data, bin, version, commit)
				}
			}
		})
	}
}

// TestPackages: a deb and an rpm per Linux architecture, named krake, with
// both binaries, completions for bash, zsh and fish, the man pages and the
// systemd unit for krakectl serve; the amd64 ones' binaries run.
func TestPackages(t *testing.T) {
	pkgs := artifacts(t, "Linux Package")
	var got []string
	for _, p := range pkgs {
		got = append(got, p.Goarch+filepath.Ext(p.Name))
	}
	slices.Sort(got)
	if want := []string{"amd64.deb", "amd64.rpm", "arm64.deb", "arm64.rpm"}; !slices.Equal(got, want) {
		t.Fatalf("packages %v, want %v", got, want)
	}
	want := []string{"usr/bin/rok", "usr/bin/krakectl",
		"usr/share/bash-completion/completions/rok", "usr/share/bash-completion/completions/krakectl",
		"usr/share/zsh/vendor-completions/_rok", "usr/share/zsh/vendor-completions/_krakectl",
		"usr/share/fish/vendor_completions.d/rok.fish", "usr/share/fish/vendor_completions.d/krakectl.fish",
		"usr/share/man/man1/rok.1", "usr/share/man/man1/krakectl-serve.1",
		"lib/systemd/system/krakectl.service"}
	version, commit := release(t)
	for _, p := range pkgs {
		t.Run(p.Name, func(t *testing.T) {
			root := t.TempDir()
			switch filepath.Ext(p.Name) {
			case ".deb":
				// dpkg-deb reads the package as dpkg would install it.
				info := command(t, "dpkg-deb", "--field", p.Path, "Package", "Architecture")
				if !strings.Contains(info, "Package: krake") || !strings.Contains(info, "Architecture: "+p.Goarch) {
					t.Errorf("control fields:\n%s", info)
				}
				command(t, "dpkg-deb", "--extract", p.Path, root)
			case ".rpm":
				command(t, "bsdtar", "-x", "-f", p.Path, "-C", root)
			}
			for _, name := range want {
				if fi, err := os.Stat(filepath.Join(root, name)); err != nil || fi.Size() == 0 {
					t.Errorf("%s: %s missing or empty (%v)", p.Name, name, err)
				}
			}
			unit, _ := os.ReadFile(filepath.Join(root, "lib/systemd/system/krakectl.service"))
			if !bytes.Contains(unit, []byte("ExecStart=/usr/bin/krakectl serve")) {
				t.Errorf("%s: the unit does not start krakectl serve:\n%s", p.Name, unit)
			}
			for _, bin := range []string{"rok", "krakectl"} {
				data, err := os.ReadFile(filepath.Join(root, "usr/bin", bin))
				if err != nil {
					t.Fatal(err)
				}
				if err := checkTarget(data, "linux", p.Goarch); err != nil {
					t.Errorf("%s: %s: %v", p.Name, bin, err)
				} else if p.Goarch == "amd64" {
					runVersion(t, data, bin, version, commit)
				}
			}
		})
	}
}

func checksums(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if sum, name, ok := strings.Cut(line, "  "); ok {
			sums[name] = sum
		}
	}
	return sums
}

// archiveFiles is every regular file of a .tar.gz or .zip by its path.
func archiveFiles(t *testing.T, name string, data []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	if strings.HasSuffix(name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			files[f.Name], err = io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
		}
		return files
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return tarFiles(t, gz)
}

func tarFiles(t *testing.T, r io.Reader) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		if files[strings.TrimPrefix(hdr.Name, "./")], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
}

// checkTarget says whether an executable is built for goos/goarch.
func checkTarget(data []byte, goos, goarch string) error {
	if len(data) == 0 {
		return fmt.Errorf("missing")
	}
	r := bytes.NewReader(data)
	var got string
	switch goos {
	case "linux":
		f, err := elf.NewFile(r)
		if err != nil {
			return fmt.Errorf("not an ELF executable: %v", err)
		}
		got = map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				return fmt.Errorf("dynamically linked (it names an interpreter); want a static build")
			}
		}
	case "darwin":
		f, err := macho.NewFile(r)
		if err != nil {
			return fmt.Errorf("not a Mach-O executable: %v", err)
		}
		got = map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
	case "windows":
		f, err := pe.NewFile(r)
		if err != nil {
			return fmt.Errorf("not a PE executable: %v", err)
		}
		got = map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}[f.Machine]
	}
	if got != goarch {
		return fmt.Errorf("built for %q, want %s/%s", got, goos, goarch)
	}
	// -trimpath leaves no path of the machine that built it.
	if root, err := filepath.Abs(".."); err == nil && bytes.Contains(data, []byte(root+"/")) {
		return fmt.Errorf("holds the build directory %s: built without -trimpath", root)
	}
	return nil
}

// runVersion runs a binary's `version` and checks the release's stamp.
func runVersion(t *testing.T, data []byte, bin, version, commit string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), bin)
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	checkStamp(t, bin, command(t, path, "version"), version, commit)
}

var stamp = regexp.MustCompile(`commit ([0-9a-f]{7,40}), built \d{4}-\d\d-\d\dT`)

// checkStamp: a `version` output names the version, a prefix of the full
// commit and a build date.
func checkStamp(t *testing.T, what, out, version, commit string) {
	t.Helper()
	m := stamp.FindStringSubmatch(out)
	if !strings.Contains(out, version) || m == nil || !strings.HasPrefix(commit, m[1]) {
		t.Errorf("%s version = %q, want %s with commit %.7s and a date", what, out, version, commit)
	}
}

func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
