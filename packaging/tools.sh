#!/usr/bin/env bash
# tools.sh NAME: print the path of a release tool, building it from the Go
# module proxy into ~/.cache/krake/tools the first time (goreleaser: about
# 3 minutes on two cores; ko: about 1 minute). Runs that race take turns.
set -euo pipefail
declare -A modules=(
  [goreleaser]=github.com/goreleaser/goreleaser/v2@v2.15.1
  [ko]=github.com/google/ko@v0.19.1
)
name=${1:?usage: tools.sh goreleaser|ko}
module=${modules[$name]:-}
[[ -n $module ]] || { echo "tools.sh: unknown tool $name (known: ${!modules[*]})" >&2; exit 2; }
dir="${XDG_CACHE_HOME:-$HOME/.cache}/krake/tools/$name-${module##*@}"
if [[ ! -x $dir/$name ]]; then
  mkdir -p "$dir"
  exec 9>"$dir.lock"
  flock 9
  if [[ ! -x $dir/$name ]]; then
    echo "building $module into $dir" >&2
    # Outside any module, so the project's go.mod does not constrain it.
    (cd "$dir" && GOBIN="$dir" GOFLAGS= go install "$module")
  fi
fi
echo "$dir/$name"
