#!/usr/bin/env bash
# install-deps.sh: install the Debian packages the tests need, when missing.
# `make test` runs it first, so a fresh machine needs nothing by hand.
set -euo pipefail
need=()
[[ -f /usr/share/bash-completion/bash_completion ]] || need+=(bash-completion)
command -v curl >/dev/null || need+=(curl)
command -v tmux >/dev/null || need+=(tmux)
command -v openssl >/dev/null || need+=(openssl)
command -v flock >/dev/null || need+=(util-linux)
if ((${#need[@]} == 0)); then
  exit 0
fi
sudo=""
if [[ $(id -u) != 0 ]]; then sudo="sudo"; fi
echo "installing Debian packages for the tests: ${need[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
