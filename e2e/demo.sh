#!/usr/bin/env bash
# demo.sh up|down DIR ADDR: start or stop the local Krake demo that
# `make demo` / `make demo-down` run. Krake runs in the background with
# its embedded etcd in DIR; the PID is kept in DIR/krakectl.pid so that
# `down` stops exactly that process.
set -euo pipefail
cmd=${1:?usage: demo.sh up|down DIR ADDR}
dir=${2:?DIR}
addr=${3:?ADDR}
pidfile="$dir/krakectl.pid"
log="$dir/krakectl.log"
url="http://$addr"

running() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case $cmd in
up)
  mkdir -p "$dir"
  if running; then
    echo "Krake is already running (PID $(cat "$pidfile")) at $url; \`make demo-down\` stops it."
  else
    if curl -fsS -m 2 "$url/healthz" >/dev/null 2>&1; then
      echo "something else already answers at $url; stop it or run: make demo DEMO_ADDR=127.0.0.1:8081" >&2
      exit 1
    fi
    nohup ./bin/krakectl serve --listen "$addr" --data-dir "$dir/data" >"$log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 600); do
      if curl -fsS -m 1 "$url/readyz" >/dev/null 2>&1; then break; fi
      if ! running; then echo "krakectl failed to start; its log ($log):" >&2; cat "$log" >&2; exit 1; fi
      sleep 0.1
    done
    curl -fsS -m 1 "$url/readyz" >/dev/null || { echo "krakectl did not become ready within 60s; see $log" >&2; exit 1; }
    echo "Krake is running (PID $(cat "$pidfile")) at $url, data in $dir/data, log in $log."
  fi
  export ROK_API_URL=$url
  rok=./bin/rok
  echo
  echo "Walkthrough (the original README's, with rok):"
  echo "\$ rok kube cluster list"
  $rok kube cluster list
  echo "\$ rok kube app create echo-demo -f manifests/echo-demo/echo-demo.yaml"
  if $rok kube app get echo-demo >/dev/null 2>&1; then
    echo "(echo-demo exists already, from an earlier \`make demo\`)"
  else
    $rok kube app create echo-demo -f manifests/echo-demo/echo-demo.yaml
  fi
  echo "\$ rok kube app list"
  $rok kube app list
  cat <<TXT

Krake's API is at $url. Try (export ROK_API_URL=$url first, or use --api-url):
  ./bin/rok kube app get echo-demo
  ./bin/rok kube app list -o wide
  ./bin/rok kube app get echo-demo -o json
  ./bin/rok kube app list -w                  # live; Ctrl-C to stop
  ./bin/rok kube app update echo-demo -l tier=gold
  ./bin/rok kube app delete echo-demo --force
  source <(./bin/rok completion bash)         # then: rok kube app get <TAB>

The application stays PENDING until the scheduler and the cluster controllers land.
Stop everything with: make demo-down
TXT
  ;;
down)
  if running; then
    pid=$(cat "$pidfile")
    kill "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    rm -f "$pidfile"
    echo "Krake stopped (PID $pid). Data stays in $dir/data; \`make clean\` removes it."
  else
    rm -f "$pidfile"
    echo "Krake is not running."
  fi
  ;;
*)
  echo "usage: demo.sh up|down DIR ADDR" >&2
  exit 2
  ;;
esac
