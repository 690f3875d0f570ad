// Command krakectl is Krake's operator binary: `krakectl serve` runs the
// API (and, as they land, the controllers) with an embedded etcd.
package main

import (
	"os"
	"runtime/debug"

	"github.com/krake-go/krake/internal/buildinfo"
	"github.com/krake-go/krake/krakectl/internal/cmd"
)

// defaultMemoryLimit is the heap size past which the collector works
// harder (a soft limit: the live heap itself is never refused).
const defaultMemoryLimit = 256 << 20

// version, commit and date are set at build time (-ldflags "-X
// main.version=... -X main.commit=... -X main.date=...").
var version, commit, date = "dev", "", ""

func main() {
	// The API allocates per request (JSON in, JSON out); collecting at 4x
	// the live heap instead of 2x buys about 15% more requests per core
	// for a few MB. GOGC in the environment still wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// ... but not past a soft limit: under a burst of large requests the
	// heap would grow to 5x what is live (16 bodies of 2 MB took 1.4 GB).
	// Near the limit the collector runs as often as it must. GOMEMLIMIT in
	// the environment still wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	os.Exit(cmd.Main(os.Args[1:], buildinfo.String(version, commit, date), os.Stdout, os.Stderr))
}
