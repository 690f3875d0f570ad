// Command rok is Krake's command line.
package main

import (
	"os"

	"github.com/krake-go/krake/internal/buildinfo"
	"github.com/krake-go/krake/rok/internal/cli"
)

// version, commit and date are set at build time (-ldflags "-X
// main.version=... -X main.commit=... -X main.date=...").
var version, commit, date = "dev", "", ""

func main() {
	os.Exit(cli.Main(os.Args[1:], buildinfo.String(version, commit, date)))
}
