// Package completion holds `rok completion`: shell completion scripts
// whose resource names and namespaces come live from the API.
package completion

import (
	"fmt"

	"github.com/spf13/cobra"
)

// New returns `rok completion SHELL`.
func New() *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print a shell completion script",
		Long: `Print a completion script. Resource names and namespaces complete live
from the API.

  bash:       source <(rok completion bash)
  zsh:        rok completion zsh > "${fpath[1]}/_rok"
  fish:       rok completion fish > ~/.config/fish/completions/rok.fish
  powershell: rok completion powershell | Out-String | Invoke-Expression`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"bash", "zsh", "fish", "powershell"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			return fmt.Errorf("unknown shell %q: use bash, zsh, fish or powershell", args[0])
		},
	}
}
