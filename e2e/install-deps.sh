#!/usr/bin/env bash
# install-deps.sh: install what the tests need from Debian, when missing.
# `make test` runs it first, so a fresh machine needs nothing by hand.
set -euo pipefail
sudo=""
if [[ $(id -u) != 0 ]]; then sudo="sudo"; fi
updated=0
apt_update() { if ((updated == 0)); then $sudo apt-get update -qq; updated=1; fi; }

need=()
[[ -f /usr/share/bash-completion/bash_completion ]] || need+=(bash-completion)
command -v curl >/dev/null || need+=(curl)
command -v tmux >/dev/null || need+=(tmux)
command -v openssl >/dev/null || need+=(openssl)
command -v flock >/dev/null || need+=(util-linux)
command -v bsdtar >/dev/null || need+=(libarchive-tools) # reads the release's rpm
if ((${#need[@]} > 0)); then
  echo "installing Debian packages for the tests: ${need[*]}"
  apt_update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Keystone for the Keystone authentication test: the Python package only
# (keystone-manage, keystone-wsgi-public; about 50 s), no service is
# installed or started; the test runs it on 127.0.0.1.
if ! command -v keystone-manage >/dev/null; then
  echo "installing Debian's python3-keystone for the Keystone test"
  apt_update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-keystone >/dev/null
fi

# Prometheus: only its binary, unpacked from Debian's package into the
# cache (no service is installed or started; tests run it on 127.0.0.1).
prom_dir="${XDG_CACHE_HOME:-$HOME/.cache}/krake/prometheus"
if [[ ! -x "$prom_dir/usr/bin/prometheus" ]]; then
  echo "unpacking Debian's prometheus into $prom_dir"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1) || { apt_update; (cd "$tmp" && apt-get download prometheus >/dev/null); }
  mkdir -p "$prom_dir"
  dpkg -x "$tmp"/prometheus_*.deb "$prom_dir"
fi
