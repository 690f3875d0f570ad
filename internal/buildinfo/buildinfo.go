// Package buildinfo is what a release stamps into Krake's binaries
// (goreleaser's -X flags) and how they say it.
package buildinfo

// String is the version as `rok version` and `krakectl version` print
// it: "v1.2.3 (commit abc1234, built 2026-12-01T10:00:00Z)", or the
// version alone for a development build.
func String(version, commit, date string) string {
	if commit == "" {
		return version
	}
	if date == "" {
		return version + " (commit " + commit + ")"
	}
	return version + " (commit " + commit + ", built " + date + ")"
}
