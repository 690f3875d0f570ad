// Package docs writes what a release ships beside a binary: man pages of
// its whole command tree (its help, as `rok help` shows it) and its shell
// completion scripts. Each binary calls it from a hidden command
// (`rok gen-docs DIR`, `krakectl gen-docs DIR`); goreleaser runs them.
package docs

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Write puts man pages in dir/man (section 1) and completion scripts in
// dir/completions (NAME.bash, _NAME for zsh, NAME.fish, NAME.ps1).
func Write(root *cobra.Command, dir string) error {
	manDir, compDir := filepath.Join(dir, "man"), filepath.Join(dir, "completions")
	for _, d := range []string{manDir, compDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	root.DisableAutoGenTag = true // reproducible pages: no generation date
	header := &doc.GenManHeader{Title: root.Name(), Section: "1", Source: "Krake", Manual: "Krake manual"}
	if err := doc.GenManTree(root, header, manDir); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	name := root.Name()
	for file, gen := range map[string]func(string) error{
		name + ".bash": func(p string) error { return root.GenBashCompletionFileV2(p, true) },
		"_" + name:     root.GenZshCompletionFile,
		name + ".fish": func(p string) error { return root.GenFishCompletionFile(p, true) },
		name + ".ps1":  root.GenPowerShellCompletionFileWithDesc,
	} {
		if err := gen(filepath.Join(compDir, file)); err != nil {
			return fmt.Errorf("completion %s: %w", file, err)
		}
	}
	return nil
}

// Command is the hidden `gen-docs DIR` command of a binary whose tree
// root returns.
func Command(root func() *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:    "gen-docs DIR",
		Short:  "Write the man pages and completion scripts into DIR (for packaging)",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			r := root()
			r.SetArgs(nil)
			return Write(r, args[0])
		},
	}
}
