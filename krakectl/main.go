// Command krakectl is Krake's operator binary: `krakectl serve` runs the
// API (and, as they land, the controllers) with an embedded etcd.
package main

import (
	"os"

	"github.com/krake-go/krake/krakectl/internal/cmd"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(cmd.Main(os.Args[1:], version, os.Stdout, os.Stderr))
}
