#!/usr/bin/env bash
# demo.sh up|down DIR ADDR: start or stop the local Krake demo that
# `make demo` / `make demo-down` run: two real Kubernetes clusters on
# loopback (e2e/kube-testenv.sh, state in DIR/kube) and Krake (krakectl
# serve with its embedded etcd in DIR/data). PIDs are kept in files so
# that `down` stops exactly what `up` started.
set -euo pipefail
cmd=${1:?usage: demo.sh up|down DIR ADDR}
dir=${2:?DIR}
addr=${3:?ADDR}
pidfile="$dir/krakectl.pid"
# SECURE=1: a set-up from `krakectl config generate` (mTLS, RBAC, each
# controller as its own least-privilege user) in DIR/secure.
secure=${SECURE:-0}
# KRAKE_BIN: where krakectl and rok are (the e2e test's build; default bin/).
bin=${KRAKE_BIN:-./bin}
export KUBE_TESTENV_DIR="$(mkdir -p "$dir" && cd "$dir" && pwd)/kube"
kube=./e2e/kube-testenv.sh
log="$dir/krakectl.log"
url="http://$addr"
secdir="$dir/secure"
curl_ca=()
if [[ $secure == 1 ]]; then
  url="https://$addr"
  curl_ca=(--cacert "$secdir/pki/ca.crt")
fi

running() { [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# Clusters Krake creates itself (the kwok infrastructure provider) keep
# their state in DIR/kwok, one directory each.
kwokdir="$(mkdir -p "$dir/kwok" && cd "$dir/kwok" && pwd)"
infra=(--kwok-testenv "$kube" --kwok-dir "$kwokdir"
  --auto-cluster-template manifests/infrastructure/kwok-cluster.yaml)

case $cmd in
up)
  mkdir -p "$dir"
  if $kube status >/dev/null 2>&1; then
    echo "The two local clusters are already running."
  else
    echo "Starting two local Kubernetes clusters (the first build takes a few minutes) ..."
    $kube up 2 >/dev/null
  fi
  if running; then
    echo "Krake is already running (PID $(cat "$pidfile")) at $url; \`make demo-down\` stops it."
  else
    if curl -ksS -m 2 "http://$addr/healthz" >/dev/null 2>&1 || curl -ksS -m 2 "https://$addr/healthz" >/dev/null 2>&1; then
      echo "something else already answers at $addr; stop it (make demo-down) or run: make demo DEMO_ADDR=127.0.0.1:8081" >&2
      exit 1
    fi
    if [[ $secure == 1 ]]; then
      if [[ ! -f $secdir/krake.yaml ]]; then
        echo "\$ krakectl config generate --dir $secdir --listen $addr"
        "$bin/krakectl" config generate --dir "$secdir" --listen "$addr" | sed -n '1,7p'
      fi
      nohup "$bin/krakectl" serve --config "$secdir/krake.yaml" --listen "$addr" "${infra[@]}" >"$log" 2>&1 &
    else
      nohup "$bin/krakectl" serve --listen "$addr" --data-dir "$dir/data" "${infra[@]}" >"$log" 2>&1 &
    fi
    echo $! >"$pidfile"
    for _ in $(seq 1 600); do
      if curl -fsS -m 1 "${curl_ca[@]}" "$url/readyz" >/dev/null 2>&1; then break; fi
      if ! running; then echo "krakectl failed to start; its log ($log):" >&2; cat "$log" >&2; exit 1; fi
      sleep 0.1
    done
    curl -fsS -m 1 "${curl_ca[@]}" "$url/readyz" >/dev/null || { echo "krakectl did not become ready within 60s; see $log" >&2; exit 1; }
    echo "Krake is running (PID $(cat "$pidfile")) at $url, log in $log."
  fi
  rok=$bin/rok
  rok_hint=$bin/rok
  if [[ $secure == 1 ]]; then
    # rok talks as the generated admin (client certificate) through the
    # generated context; the scheduler and controllers use their own.
    export XDG_CONFIG_HOME="$(cd "$secdir" && pwd)"
    rok_hint="XDG_CONFIG_HOME=$XDG_CONFIG_HOME $bin/rok"
    echo "\$ rok whoami"
    $rok whoami
  else
    export ROK_API_URL=$url
  fi
  echo
  echo "Walkthrough (the original README's, with rok):"
  echo "\$ rok kube cluster list"
  $rok kube cluster list
  for i in 1 2; do
    location=$([[ $i == 1 ]] && echo DE || echo FR)
    if ! $rok kube cluster get "cluster-$i" >/dev/null 2>&1; then
      echo "\$ rok kube cluster register -k $($kube kubeconfig $i) -l location=$location --wait"
      $rok kube cluster register -k "$($kube kubeconfig $i)" -l location=$location --wait --timeout 60s -o name
    else
      # The clusters were started anew (new certificates): refresh the kubeconfig.
      echo "\$ rok kube cluster update cluster-$i -k $($kube kubeconfig $i)"
      $rok kube cluster update "cluster-$i" -k "$($kube kubeconfig $i)" -o name
    fi
  done
  echo "\$ rok kube cluster list"
  $rok kube cluster list
  echo "\$ rok kube app create echo-demo -f manifests/echo-demo/echo-demo.yaml --wait"
  if $rok kube app get echo-demo >/dev/null 2>&1; then
    echo "(echo-demo exists already, from an earlier \`make demo\`; waiting for it to run on the restarted clusters)"
    for _ in $(seq 1 120); do
      [[ $($rok kube app get echo-demo -o 'jsonpath={.status.state}') == RUNNING ]] && break
      sleep 0.5
    done
  else
    $rok kube app create echo-demo -f manifests/echo-demo/echo-demo.yaml --wait --timeout 60s -o name
  fi
  echo "\$ rok kube app get echo-demo"
  $rok kube app get echo-demo
  on=$($rok kube app get echo-demo -o 'jsonpath={.status.running_on.name}' 2>/dev/null || true)
  i=${on#cluster-}
  [[ $i =~ ^[12]$ ]] || i=1
  r=$bin/rok
  [[ $secure == 1 ]] && r=rok
  cat <<TXT

Krake's API is at $url. Try ($( [[ $secure == 1 ]] && echo "alias rok='$rok_hint'" || echo "export ROK_API_URL=$url first, or use --api-url")):
  $r kube app list -o wide
  $r kube cluster get cluster-1
  $($kube bin kubectl) --kubeconfig $($kube kubeconfig $i) get deployments,services   # what Krake applied on cluster-$i
  $r kube app get echo-demo -o json
  $r ui                                # the live dashboard; ? lists the keys
  $r kube app list -w                  # live; Ctrl-C to stop
  $r kube app update echo-demo -l tier=gold
  $r kube app delete echo-demo --wait   # removed from the cluster, then from Krake
  source <($r completion bash)         # then: rok kube app get <TAB>

Let Krake create a cluster itself, on this machine (no cloud account needed):
  $r infra globalprovider register kwok --type kwok
  $r infra globalcloud register local --type kwok --global-infra-provider kwok -l location=DE
  $r kube cluster create lab -f manifests/infrastructure/kwok-cluster.yaml -L location=DE --inherit-labels --wait --timeout 3m
  $r kube cluster explain lab          # why that cloud
  $r kube cluster update lab -f FILE   # a changed node count scales it
  $r kube cluster delete lab           # its apps go first, then its processes

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
    echo "Krake stopped (PID $pid). Data stays in $dir; \`make clean\` removes it."
  else
    rm -f "$pidfile"
    echo "Krake is not running."
  fi
  $kube down >/dev/null 2>&1 && echo "The local clusters are stopped." || true
  # Clusters Krake created and did not delete: stopped by their PID files.
  for env in "$kwokdir"/*/; do
    [[ -d $env ]] || continue
    KUBE_TESTENV_DIR="${env%/}" $kube down >/dev/null 2>&1 && echo "Stopped the cluster Krake created in ${env%/}." || true
  done
  ;;
*)
  echo "usage: demo.sh up|down DIR ADDR" >&2
  exit 2
  ;;
esac
