// Command rok is Krake's command line.
package main

import (
	"os"

	"github.com/krake-go/krake/rok/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(cli.Main(os.Args[1:], version))
}
