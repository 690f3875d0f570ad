#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions passed to wait_for are called indirectly
# kube-testenv.sh - run N real Kubernetes control planes on loopback for Krake's e2e tests.
#
# Krake's own copy of the kube-testenv recipe (pinned versions below); the Go
# helper e2e/framework.StartKube drives it, and `make kube-testenv` prebuilds.
#
# One etcd (shared, each cluster under its own --etcd-prefix), and per cluster:
# kube-apiserver, kube-controller-manager, kube-scheduler and kwok (fake Nodes
# that report Ready; Pods scheduled onto them go Running with fake IPs).
# Everything listens on 127.0.0.1 only. All binaries are built from the Go
# module proxy (no downloads of prebuilt binaries) and cached.
#
# Usage:
#   kube-testenv.sh build            build (or reuse) binaries in the cache dir
#   kube-testenv.sh up [N]           start etcd + N clusters (default 1), write kubeconfigs
#   kube-testenv.sh status           show processes, RSS, readiness
#   kube-testenv.sh down             stop exactly the processes started by `up` (PID files)
#   kube-testenv.sh kubeconfig I     print path of the kubeconfig of cluster I
#   kube-testenv.sh env              print shell exports (KUBE_TESTENV_KUBECONFIG_1=... etc.)
#   kube-testenv.sh apiserver-stop I / apiserver-start I   take cluster I's API away and back
#   kube-testenv.sh bin NAME         print the path of a built binary (kubectl, kube-apiserver ...)
#
# Environment (all optional):
#   KUBE_TESTENV_CACHE        binary/build cache            (default ~/.cache/krake/kube-testenv)
#   KUBE_TESTENV_DIR          runtime state: pki, logs, pids (default /tmp/kube-testenv-$UID)
#   KUBE_TESTENV_KUBECONFIGS  where kubeconfigs go          (default $KUBE_TESTENV_DIR/kubeconfigs)
#   KUBE_TESTENV_K8S_VERSION  k8s.io/kubernetes version     (default 1.36.3)
#   KUBE_TESTENV_ETCD_VERSION go.etcd.io/etcd/server/v3     (default 3.6.8)
#   KUBE_TESTENV_KWOK_VERSION sigs.k8s.io/kwok              (default 0.8.0)
#   KUBE_TESTENV_ETCD_BIN     use this etcd binary instead of building one (e.g. /usr/bin/etcd)
#   KUBE_TESTENV_COMPONENTS   comma list of controller-manager,scheduler,kwok or "none"
#                                                           (default controller-manager,scheduler,kwok)
#   KUBE_TESTENV_NODES        fake kwok nodes per cluster   (default 2)
#   KUBE_TESTENV_PORT_BASE    cluster I apiserver = BASE+I, kcm = BASE+100+I, scheduler = BASE+200+I,
#                             kwok = BASE+300+I, etcd client/peer = BASE+400/BASE+401 (default 16400)
#   KUBE_TESTENV_NAME_PREFIX  cluster name prefix           (default "cluster-" -> cluster-1, cluster-2 ...)
#   KUBE_TESTENV_TIMEOUT      seconds for each bounded wait (default 180)
#   KUBE_TESTENV_KEEP_ON_FAILURE=1  do not tear down after a failed `up`
#   KUBE_TESTENV_APISERVER_ARGS / _KCM_ARGS  extra flags appended to every kube-apiserver / kcm
#
# Requirements: go (>= the go directive of the chosen k8s version), openssl, curl, flock, setsid.
set -euo pipefail

K8S_VERSION="${KUBE_TESTENV_K8S_VERSION:-1.36.3}"
ETCD_VERSION="${KUBE_TESTENV_ETCD_VERSION:-3.6.8}"
KWOK_VERSION="${KUBE_TESTENV_KWOK_VERSION:-0.8.0}"
CACHE="${KUBE_TESTENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/krake/kube-testenv}"
STATE="${KUBE_TESTENV_DIR:-/tmp/kube-testenv-$(id -u)}"
KCDIR="${KUBE_TESTENV_KUBECONFIGS:-$STATE/kubeconfigs}"
COMPONENTS="${KUBE_TESTENV_COMPONENTS:-controller-manager,scheduler,kwok}"
NODES="${KUBE_TESTENV_NODES:-2}"
PORT_BASE="${KUBE_TESTENV_PORT_BASE:-16400}"
PREFIX="${KUBE_TESTENV_NAME_PREFIX:-cluster-}"
TIMEOUT="${KUBE_TESTENV_TIMEOUT:-180}"
HOST=127.0.0.1

K8S_BIN="$CACHE/bin/k8s-v$K8S_VERSION"
ETCD_BINDIR="$CACHE/bin/etcd-v$ETCD_VERSION"
KWOK_BINDIR="$CACHE/bin/kwok-v$KWOK_VERSION"

log()  { printf '[kube-testenv %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { printf '[kube-testenv] ERROR: %s\n' "$*" >&2; exit 1; }
has()  { [[ ",$COMPONENTS," == *",$1,"* ]]; }
need() { command -v "$1" >/dev/null 2>&1 || die "required command '$1' not found in PATH"; }

etcd_port()  { echo $((PORT_BASE + 400)); }
etcd_peer()  { echo $((PORT_BASE + 401)); }
api_port()   { echo $((PORT_BASE + $1)); }
kcm_port()   { echo $((PORT_BASE + 100 + $1)); }
sched_port() { echo $((PORT_BASE + 200 + $1)); }
kwok_port()  { echo $((PORT_BASE + 300 + $1)); }
cname()      { echo "${PREFIX}$1"; }

# ---------------------------------------------------------------- build ----
gobuild_env() {
  # Hermetic-ish build settings: ignore any go.work / vendor mode of a caller.
  export GOWORK=off GOFLAGS=-buildvcs=false CGO_ENABLED=0
}

build_etcd() {
  [[ -n "${KUBE_TESTENV_ETCD_BIN:-}" ]] && return 0
  [[ -x "$ETCD_BINDIR/etcd" ]] && return 0
  need go
  local src="$CACHE/src/etcd-v$ETCD_VERSION"
  log "building etcd v$ETCD_VERSION (go.etcd.io/etcd/server/v3) ..."
  mkdir -p "$src" "$ETCD_BINDIR"
  ( cd "$src" || exit 1; gobuild_env
    printf 'module kubetestenv/etcdbuild\n\ngo 1.24.0\n' > go.mod
    go get -tool "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" || exit 1
    go build -trimpath -ldflags "-s -w" -o "$ETCD_BINDIR/etcd.tmp" go.etcd.io/etcd/server/v3 || exit 1
  ) > "$src/build.log" 2>&1 || { tail -30 "$src/build.log" >&2; die "etcd build failed (log: $src/build.log)"; }
  mv "$ETCD_BINDIR/etcd.tmp" "$ETCD_BINDIR/etcd"
}

build_k8s() {
  local want=(kube-apiserver kubectl)
  has controller-manager && want+=(kube-controller-manager)
  has scheduler && want+=(kube-scheduler)
  local missing=() b
  for b in "${want[@]}"; do [[ -x "$K8S_BIN/$b" ]] || missing+=("$b"); done
  ((${#missing[@]})) || return 0
  need go
  local src="$CACHE/src/k8s-v$K8S_VERSION" minor patch staging
  minor="$(cut -d. -f2 <<<"$K8S_VERSION")"; patch="$(cut -d. -f3 <<<"$K8S_VERSION")"
  staging="v0.$minor.$patch"
  log "building ${missing[*]} v$K8S_VERSION (k8s.io/kubernetes, staging repos at $staging) ..."
  mkdir -p "$src" "$K8S_BIN"
  # NB: `set -e` does not apply inside a subshell tested with ||, hence the explicit `|| exit 1`.
  ( cd "$src" || exit 1; gobuild_env
    # k8s.io/kubernetes requires its staging repos as v0.0.0 with ./staging replaces,
    # which do not apply to a dependent module; map each to its published version.
    modfile="$(cd / && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
    [[ -f "$modfile" ]] || { echo "cannot download k8s.io/kubernetes@v$K8S_VERSION go.mod"; exit 1; }
    godir="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$modfile" | head -1)"
    {
      printf 'module kubetestenv/k8sbuild\n\ngo %s\n\nreplace (\n' "$godir"
      grep -E '^[[:space:]]*k8s\.io/[^ ]+ => \./staging/src/' "$modfile" \
        | awk -v v="$staging" '{printf "\t%s => %s %s\n", $1, $1, v}'
      printf ')\n'
    } > go.mod || exit 1
    pkgs=(); for b in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b@v$K8S_VERSION"); done
    go get -tool "${pkgs[@]}" || exit 1
    ld="-s -w"
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ld+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
      ld+=" -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    done
    for b in "${missing[@]}"; do
      echo "+ go build $b"
      go build -trimpath -ldflags "$ld" -o "$K8S_BIN/$b.tmp" "k8s.io/kubernetes/cmd/$b" || exit 1
      mv "$K8S_BIN/$b.tmp" "$K8S_BIN/$b" || exit 1
    done
  ) > "$src/build.log" 2>&1 || { tail -30 "$src/build.log" >&2; die "kubernetes build failed (log: $src/build.log)"; }
}

build_kwok() {
  has kwok || return 0
  [[ -x "$KWOK_BINDIR/kwok" && -f "$KWOK_BINDIR/stages.yaml" ]] && return 0
  need go
  local src="$CACHE/src/kwok-v$KWOK_VERSION"
  log "building kwok v$KWOK_VERSION (sigs.k8s.io/kwok/cmd/kwok) ..."
  mkdir -p "$src" "$KWOK_BINDIR"
  ( cd "$src" || exit 1; gobuild_env
    printf 'module kubetestenv/kwokbuild\n\ngo 1.24.0\n' > go.mod
    go get -tool "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION" || exit 1
    go build -trimpath -ldflags "-s -w" -o "$KWOK_BINDIR/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok || exit 1
    # kwok itself ships no default Stages (kwokctl injects them); take the "fast"
    # node/pod stages from the same module version.
    dir="$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)" || exit 1
    s="$dir/kustomize/stage"
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
             pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      [[ -f "$s/$f" ]] || { echo "missing kwok stage $s/$f"; exit 1; }
      echo "---"; cat "$s/$f"
    done > "$KWOK_BINDIR/stages.yaml.tmp" || exit 1
    mv "$KWOK_BINDIR/stages.yaml.tmp" "$KWOK_BINDIR/stages.yaml" || exit 1
    mv "$KWOK_BINDIR/kwok.tmp" "$KWOK_BINDIR/kwok" || exit 1
  ) > "$src/build.log" 2>&1 || { tail -30 "$src/build.log" >&2; die "kwok build failed (log: $src/build.log)"; }
}

cmd_build() {
  mkdir -p "$CACHE"
  need flock
  # Serialize concurrent builds (parallel CI jobs sharing a cache).
  exec 8>"$CACHE/.build.lock"
  flock -w 3600 8 || die "timed out waiting for build lock $CACHE/.build.lock"
  local t0=$SECONDS
  build_etcd; build_k8s; build_kwok
  exec 8>&-
  ((SECONDS - t0 > 1)) && log "build done in $((SECONDS - t0))s"
  return 0
}

etcd_bin() { if [[ -n "${KUBE_TESTENV_ETCD_BIN:-}" ]]; then echo "$KUBE_TESTENV_ETCD_BIN"; else echo "$ETCD_BINDIR/etcd"; fi; }

# ----------------------------------------------------------------- pki -----
ossl_cnf() { # $1 = file; minimal config so the system openssl.cnf does not matter
  cat > "$1" <<'EOF'
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
EOF
}

ossl() { openssl "$@" 2>>"$STATE/logs/pki.log" || die "openssl $1 failed (see $STATE/logs/pki.log)"; }

gen_ca() { # dir cn
  local d=$1
  ossl_cnf "$d/openssl.cnf"
  ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/ca.key"
  ossl req -x509 -new -key "$d/ca.key" -subj "/CN=$2" -days 3650 -config "$d/openssl.cnf" \
    -extensions v3_ca -out "$d/ca.crt"
}

gen_cert() { # dir name subject eku [san]
  local d=$1 n=$2 subj=$3 eku=$4 san=${5:-}
  ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$n.key"
  ossl req -new -key "$d/$n.key" -subj "$subj" -config "$d/openssl.cnf" -out "$d/$n.csr"
  {
    echo "basicConstraints = critical,CA:FALSE"
    echo "keyUsage = critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage = $eku"
    if [[ -n "$san" ]]; then echo "subjectAltName = $san"; fi
  } > "$d/$n.ext"
  ossl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -set_serial "0x$(ossl rand -hex 16)" \
    -days 3650 -extfile "$d/$n.ext" -out "$d/$n.crt"
  rm -f "$d/$n.csr" "$d/$n.ext"
}

b64() { base64 -w0 < "$1"; }

write_kubeconfig() { # out name server ca cert key
  cat > "$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $2
  cluster:
    server: $3
    certificate-authority-data: $(b64 "$4")
users:
- name: $2-admin
  user:
    client-certificate-data: $(b64 "$5")
    client-key-data: $(b64 "$6")
contexts:
- name: $2
  context:
    cluster: $2
    user: $2-admin
current-context: $2
EOF
  chmod 600 "$1"
}

setup_cluster_files() { # i
  local i=$1 n d p
  n="$(cname "$i")"; d="$STATE/clusters/$n"; p="$d/pki"
  mkdir -p "$p" "$d/kcm-certs" "$d/sched-certs"
  gen_ca "$p" "kube-testenv-$n-ca"
  local sans="IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1"
  gen_cert "$p" apiserver "/CN=kube-apiserver" serverAuth "$sans"
  gen_cert "$p" admin "/O=system:masters/CN=kube-testenv-admin" clientAuth
  gen_cert "$p" kcm "/O=system:masters/CN=system:kube-controller-manager" clientAuth
  gen_cert "$p" scheduler "/CN=system:kube-scheduler" clientAuth
  gen_cert "$p" kwok "/O=system:masters/CN=kwok-controller" clientAuth
  ossl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$p/sa.key"
  ossl pkey -in "$p/sa.key" -pubout -out "$p/sa.pub"
  ossl rand -hex 24 > "$p/admin.token"
  printf '%s,kube-testenv-admin,kube-testenv-admin,"system:masters"\n' "$(cat "$p/admin.token")" > "$p/tokens.csv"
  chmod 600 "$p"/*.key "$p/admin.token" "$p/tokens.csv"
  local server; server="https://$HOST:$(api_port "$i")"
  write_kubeconfig "$KCDIR/$n.kubeconfig" "$n" "$server" "$p/ca.crt" "$p/admin.crt" "$p/admin.key"
  write_kubeconfig "$d/kcm.kubeconfig" "$n" "$server" "$p/ca.crt" "$p/kcm.crt" "$p/kcm.key"
  write_kubeconfig "$d/scheduler.kubeconfig" "$n" "$server" "$p/ca.crt" "$p/scheduler.crt" "$p/scheduler.key"
  write_kubeconfig "$d/kwok.kubeconfig" "$n" "$server" "$p/ca.crt" "$p/kwok.crt" "$p/kwok.key"
  cat > "$d/scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $d/scheduler.kubeconfig
leaderElection:
  leaderElect: false
EOF
}

write_merged_kubeconfig() { # N
  local out="$KCDIR/all.kubeconfig" i n p
  {
    echo "apiVersion: v1"; echo "kind: Config"; echo "clusters:"
    for ((i = 1; i <= $1; i++)); do n="$(cname "$i")"; p="$STATE/clusters/$n/pki"
      printf -- '- name: %s\n  cluster:\n    server: https://%s:%s\n    certificate-authority-data: %s\n' "$n" "$HOST" "$(api_port "$i")" "$(b64 "$p/ca.crt")"; done
    echo "users:"
    for ((i = 1; i <= $1; i++)); do n="$(cname "$i")"; p="$STATE/clusters/$n/pki"
      printf -- '- name: %s-admin\n  user:\n    client-certificate-data: %s\n    client-key-data: %s\n' "$n" "$(b64 "$p/admin.crt")" "$(b64 "$p/admin.key")"; done
    echo "contexts:"
    for ((i = 1; i <= $1; i++)); do n="$(cname "$i")"
      printf -- '- name: %s\n  context:\n    cluster: %s\n    user: %s-admin\n' "$n" "$n" "$n"; done
    echo "current-context: $(cname 1)"
  } > "$out"
  chmod 600 "$out"
}

# ------------------------------------------------------------ processes ----
port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# start NAME LOG BIN ARGS...  -> records "PID BIN" in $STATE/pids/NAME.pid
start_proc() {
  local name=$1 logf=$2; shift 2
  local bin=$1
  setsid "$@" </dev/null >"$logf" 2>&1 &
  local pid=$!
  echo "$pid $bin" > "$STATE/pids/$name.pid"
  echo "$name" >> "$STATE/pids/order"
}

alive() { # PID -> running and not a zombie
  local st
  st="$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" || return 1
  [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

pid_of() { # NAME -> PID if running and still our binary
  local f="$STATE/pids/$1.pid" pid bin exe
  [[ -f "$f" ]] || return 1
  read -r pid bin < "$f"
  [[ -n "$pid" ]] && alive "$pid" || return 1
  exe="$(readlink "/proc/$pid/exe" 2>/dev/null || true)"
  exe="${exe% (deleted)}" # binary rebuilt/replaced while running
  [[ "$exe" == "$(readlink -f "$bin")" ]] || return 1
  echo "$pid"
}

fail_with_log() { # NAME LOG MSG
  log "last lines of $2:"
  tail -n 25 "$2" >&2 || true
  die "$3"
}

# wait_for NAME LOG DESCRIPTION COMMAND...   (bounded by $TIMEOUT; fails fast if process died)
wait_for() {
  local name=$1 logf=$2 what=$3; shift 3
  local deadline=$((SECONDS + TIMEOUT))
  while ! "$@" >/dev/null 2>&1; do
    if [[ -n "$name" ]] && ! pid_of "$name" >/dev/null; then
      fail_with_log "$name" "$logf" "$name exited while waiting for $what"
    fi
    ((SECONDS < deadline)) || fail_with_log "$name" "$logf" "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.5
  done
}

curl_ok() { # URL [curl args] -> succeeds when the body is exactly "ok"
  local url=$1; shift
  [[ "$(curl -fsS --max-time 5 "$@" "$url" 2>/dev/null)" == ok ]]
}

api() { # i METHOD PATH [curl args...]
  local i=$1 m=$2 path=$3; shift 3
  local p; p="$STATE/clusters/$(cname "$i")/pki"
  curl -fsS --max-time 10 -A kube-testenv --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key" \
    -X "$m" "https://$HOST:$(api_port "$i")$path" "$@"
}

node_ready() { # i node
  api "$1" GET "/api/v1/nodes/$2" | tr -d ' \n' | grep -q '"type":"Ready","status":"True"'
}

start_etcd() {
  local d="$STATE/etcd" bin; bin="$(etcd_bin)"
  [[ -x "$bin" ]] || die "etcd binary $bin not found"
  mkdir -p "$d"
  local extra=()
  # --unsafe-no-fsync exists since etcd 3.5; test data is throwaway.
  "$bin" --help 2>&1 | grep -q -- '--unsafe-no-fsync' && extra+=(--unsafe-no-fsync)
  start_proc etcd "$STATE/logs/etcd.log" "$bin" \
    --name kube-testenv --data-dir "$d/data" \
    --listen-client-urls "http://$HOST:$(etcd_port)" --advertise-client-urls "http://$HOST:$(etcd_port)" \
    --listen-peer-urls "http://$HOST:$(etcd_peer)" --initial-advertise-peer-urls "http://$HOST:$(etcd_peer)" \
    --initial-cluster "kube-testenv=http://$HOST:$(etcd_peer)" --initial-cluster-state new \
    --quota-backend-bytes=$((4 * 1024 * 1024 * 1024)) --snapshot-count=10000 --log-level=warn "${extra[@]}"
}

etcd_healthy() { curl -fsS --max-time 5 "http://$HOST:$(etcd_port)/health" | grep -q '"health":"true"'; }

start_apiserver() { # i
  local i=$1 n d p
  n="$(cname "$i")"; d="$STATE/clusters/$n"; p="$d/pki"
  # shellcheck disable=SC2086
  start_proc "$n-apiserver" "$STATE/logs/$n-apiserver.log" "$K8S_BIN/kube-apiserver" \
    --etcd-servers="http://$HOST:$(etcd_port)" --etcd-prefix="/kube-testenv/$n/registry" \
    --bind-address="$HOST" --advertise-address="$HOST" --secure-port="$(api_port "$i")" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
    --client-ca-file="$p/ca.crt" --token-auth-file="$p/tokens.csv" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$p/sa.pub" --service-account-signing-key-file="$p/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 \
    --authorization-mode=RBAC --allow-privileged=true \
    --endpoint-reconciler-type=none --kubelet-preferred-address-types=InternalIP \
    --profiling=false --v=1 ${KUBE_TESTENV_APISERVER_ARGS:-}
}

start_kcm() { # i
  local i=$1 n d p
  n="$(cname "$i")"; d="$STATE/clusters/$n"; p="$d/pki"
  # shellcheck disable=SC2086
  start_proc "$n-controller-manager" "$STATE/logs/$n-controller-manager.log" "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$d/kcm.kubeconfig" \
    --bind-address="$HOST" --secure-port="$(kcm_port "$i")" --cert-dir="$d/kcm-certs" \
    --leader-elect=false --cluster-name="$n" \
    --service-account-private-key-file="$p/sa.key" --root-ca-file="$p/ca.crt" \
    --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
    --profiling=false --v=1 ${KUBE_TESTENV_KCM_ARGS:-}
}

start_scheduler() { # i
  local i=$1 n d
  n="$(cname "$i")"; d="$STATE/clusters/$n"
  start_proc "$n-scheduler" "$STATE/logs/$n-scheduler.log" "$K8S_BIN/kube-scheduler" \
    --config="$d/scheduler.yaml" \
    --bind-address="$HOST" --secure-port="$(sched_port "$i")" --cert-dir="$d/sched-certs" --v=1
}

start_kwok() { # i
  local i=$1 n d p
  n="$(cname "$i")"; d="$STATE/clusters/$n"; p="$d/pki"
  cp "$KWOK_BINDIR/stages.yaml" "$d/kwok.yaml"
  # All managed nodes report InternalIP 127.0.0.1 and kubelet port = kwok's own
  # server, so apiserver->"kubelet" traffic (logs/exec) stays on loopback. Pod IPs
  # come from --cidr and are fake: nothing listens there, do not proxy to them.
  start_proc "$n-kwok" "$STATE/logs/$n-kwok.log" "$KWOK_BINDIR/kwok" \
    --kubeconfig="$d/kwok.kubeconfig" --config="$d/kwok.yaml" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip="$HOST" --node-port="$(kwok_port "$i")" --server-address="$HOST:$(kwok_port "$i")" \
    --tls-cert-file="$p/apiserver.crt" --tls-private-key-file="$p/apiserver.key" \
    --node-lease-duration-seconds=40 --cidr="10.$((100 + i)).0.0/16" --v=WARN
}

create_nodes() { # i
  local i=$1 k name
  for ((k = 1; k <= NODES; k++)); do
    name="kwok-node-$k"
    api "$i" POST /api/v1/nodes -H 'Content-Type: application/json' -o /dev/null -d @- <<EOF || die "creating node $name in $(cname "$i") failed"
{"apiVersion":"v1","kind":"Node","metadata":{"name":"$name",
 "annotations":{"kwok.x-k8s.io/node":"fake","node.alpha.kubernetes.io/ttl":"0"},
 "labels":{"type":"kwok","kubernetes.io/arch":"amd64","kubernetes.io/os":"linux","kubernetes.io/hostname":"$name",
           "kubernetes.io/role":"agent","node-role.kubernetes.io/agent":"","topology.kubernetes.io/zone":"zone-$k"}},
 "spec":{},
 "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110"},
           "capacity":{"cpu":"32","memory":"256Gi","pods":"110"}}}
EOF
  done
}

# ------------------------------------------------------------- commands ----
any_running() {
  local f name
  [[ -d "$STATE/pids" ]] || return 1
  for f in "$STATE/pids"/*.pid; do
    [[ -e "$f" ]] || continue
    name="$(basename "$f" .pid)"
    pid_of "$name" >/dev/null && return 0
  done
  return 1
}

cmd_up() {
  local n=${1:-1} i t0=$SECONDS
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "usage: $0 up N   (N >= 1)"
  ((n <= 99)) || die "at most 99 clusters"
  need openssl; need curl; need setsid
  any_running && die "an environment is already running under $STATE (run '$0 down' first)"
  cmd_build
  local ports=("$(etcd_port)" "$(etcd_peer)")
  for ((i = 1; i <= n; i++)); do
    ports+=("$(api_port "$i")")
    has controller-manager && ports+=("$(kcm_port "$i")")
    has scheduler && ports+=("$(sched_port "$i")")
    has kwok && ports+=("$(kwok_port "$i")")
  done
  local port; for port in "${ports[@]}"; do
    port_in_use "$port" && die "port $HOST:$port is already in use (set KUBE_TESTENV_PORT_BASE)"
  done
  if [[ -e "$STATE" ]]; then
    [[ -f "$STATE/.kube-testenv" || -z "$(ls -A "$STATE")" ]] \
      || die "$STATE exists and was not created by kube-testenv; refusing to delete it (set KUBE_TESTENV_DIR)"
    rm -rf "$STATE"
  fi
  mkdir -p "$STATE/pids" "$STATE/logs" "$STATE/clusters" "$KCDIR"
  touch "$STATE/.kube-testenv"
  echo "$n" > "$STATE/count"
  printf 'COMPONENTS=%s\nPORT_BASE=%s\nPREFIX=%s\n' "$COMPONENTS" "$PORT_BASE" "$PREFIX" > "$STATE/config"
  if [[ "${KUBE_TESTENV_KEEP_ON_FAILURE:-0}" != 1 ]]; then
    trap 'rc=$?; if ((rc != 0)); then log "up failed; stopping what was started"; cmd_down >/dev/null 2>&1 || true; fi' EXIT
  fi

  log "generating certificates for $n cluster(s)"
  for ((i = 1; i <= n; i++)); do setup_cluster_files "$i"; done
  write_merged_kubeconfig "$n"

  log "starting etcd on $HOST:$(etcd_port)"
  start_etcd
  wait_for etcd "$STATE/logs/etcd.log" "etcd health" etcd_healthy

  log "starting $n kube-apiserver(s)"
  for ((i = 1; i <= n; i++)); do start_apiserver "$i"; done
  local p
  for ((i = 1; i <= n; i++)); do
    p="$STATE/clusters/$(cname "$i")/pki"
    wait_for "$(cname "$i")-apiserver" "$STATE/logs/$(cname "$i")-apiserver.log" "kube-apiserver $(cname "$i") /readyz" \
      curl_ok "https://$HOST:$(api_port "$i")/readyz" --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key"
  done
  log "apiservers ready after $((SECONDS - t0))s"

  for ((i = 1; i <= n; i++)); do
    has controller-manager && start_kcm "$i"
    has scheduler && start_scheduler "$i"
    has kwok && start_kwok "$i"
  done
  local c
  for ((i = 1; i <= n; i++)); do
    c="$(cname "$i")"
    has controller-manager && wait_for "$c-controller-manager" "$STATE/logs/$c-controller-manager.log" "$c controller-manager /healthz" \
      curl_ok "https://$HOST:$(kcm_port "$i")/healthz" -k
    has scheduler && wait_for "$c-scheduler" "$STATE/logs/$c-scheduler.log" "$c scheduler /healthz" \
      curl_ok "https://$HOST:$(sched_port "$i")/healthz" -k
    has kwok && wait_for "$c-kwok" "$STATE/logs/$c-kwok.log" "$c kwok /healthz" \
      curl_ok "https://$HOST:$(kwok_port "$i")/healthz" -k
  done
  [[ "$COMPONENTS" == none ]] || log "controllers healthy after $((SECONDS - t0))s"
  if has kwok; then
    for ((i = 1; i <= n; i++)); do create_nodes "$i"; done
    local k
    for ((i = 1; i <= n; i++)); do
      for ((k = 1; k <= NODES; k++)); do
        wait_for "$(cname "$i")-kwok" "$STATE/logs/$(cname "$i")-kwok.log" "node kwok-node-$k Ready in $(cname "$i")" \
          node_ready "$i" "kwok-node-$k"
      done
    done
    log "$NODES kwok node(s) per cluster Ready after $((SECONDS - t0))s"
  fi
  if has controller-manager; then
    # Pods can only be admitted once the "default" ServiceAccount exists.
    for ((i = 1; i <= n; i++)); do
      wait_for "$(cname "$i")-controller-manager" "$STATE/logs/$(cname "$i")-controller-manager.log" \
        "default ServiceAccount in $(cname "$i")" api "$i" GET /api/v1/namespaces/default/serviceaccounts/default
    done
  fi
  trap - EXIT
  log "up: $n cluster(s) ready in $((SECONDS - t0))s"
  for ((i = 1; i <= n; i++)); do echo "$KCDIR/$(cname "$i").kubeconfig"; done
}

cmd_down() {
  [[ -d "$STATE/pids" ]] || { log "nothing to stop ($STATE/pids does not exist)"; return 0; }
  local names=() name pid
  # stop in reverse start order: kwok/scheduler/kcm, apiservers, etcd last
  [[ -f "$STATE/pids/order" ]] && mapfile -t names < <(tac "$STATE/pids/order")
  local group
  for group in kwok scheduler controller-manager apiserver etcd; do
    local pids=()
    for name in "${names[@]}"; do
      [[ "$name" == "$group" || "$name" == *"-$group" ]] || continue
      if pid="$(pid_of "$name")"; then kill -TERM "$pid" 2>/dev/null || true; pids+=("$pid:$name"); fi
    done
    local deadline=$((SECONDS + 20)) e
    for e in "${pids[@]}"; do
      pid=${e%%:*}; name=${e#*:}
      while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
      if alive "$pid" && pid_of "$name" >/dev/null; then
        log "$name (pid $pid) did not exit after SIGTERM; sending SIGKILL"; kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
      fi
      log "stopped $name (pid $pid)"
    done
  done
  for name in "${names[@]}"; do
    if pid="$(pid_of "$name")"; then log "WARNING: $name (pid $pid) still running"; else rm -f "$STATE/pids/$name.pid"; fi
  done
  rm -f "$STATE/pids/order"
  rm -rf "$STATE/etcd/data"
  return 0
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

load_config() { # settings used by the running `up` (ports, names) win over the environment
  # shellcheck disable=SC1091
  [[ -f "$STATE/config" ]] && source "$STATE/config"
  return 0
}

cmd_status() {
  [[ -f "$STATE/count" && -f "$STATE/pids/order" ]] || { echo "not running (state dir: $STATE)"; return 1; }
  load_config
  local n name pid total=0 r down=0
  n="$(cat "$STATE/count")"
  printf '%-32s %8s %10s  %s\n' COMPONENT PID RSS_MiB STATE
  while read -r name; do
    if pid="$(pid_of "$name")"; then
      r="$(rss_kb "$pid")"; total=$((total + r))
      printf '%-32s %8s %10s  %s\n' "$name" "$pid" "$((r / 1024))" running
    else
      printf '%-32s %8s %10s  %s\n' "$name" - - STOPPED; down=1
    fi
  done < "$STATE/pids/order"
  echo "total RSS: $((total / 1024)) MiB"
  local i p
  for ((i = 1; i <= n; i++)); do
    p="$STATE/clusters/$(cname "$i")/pki"
    if curl_ok "https://$HOST:$(api_port "$i")/readyz" --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key"; then
      echo "$(cname "$i"): https://$HOST:$(api_port "$i") ready  kubeconfig=$KCDIR/$(cname "$i").kubeconfig"
    else
      echo "$(cname "$i"): https://$HOST:$(api_port "$i") NOT ready"; down=1
    fi
  done
  return $down
}

# apiserver-stop I / apiserver-start I: take one cluster's API away and
# bring it back (outage tests); the rest keeps running.
cmd_apiserver_stop() {
  load_config
  local n pid; n="$(cname "$1")"
  pid="$(pid_of "$n-apiserver")" || die "$n-apiserver is not running"
  kill -TERM "$pid"
  local deadline=$((SECONDS + 20))
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  alive "$pid" && kill -KILL "$pid"
  log "stopped $n-apiserver (pid $pid)"
}

cmd_apiserver_start() {
  load_config
  local i=$1 n p; n="$(cname "$i")"; p="$STATE/clusters/$n/pki"
  pid_of "$n-apiserver" >/dev/null && die "$n-apiserver is already running"
  start_apiserver "$i"
  wait_for "$n-apiserver" "$STATE/logs/$n-apiserver.log" "kube-apiserver $n /readyz" \
    curl_ok "https://$HOST:$(api_port "$i")/readyz" --cacert "$p/ca.crt" --cert "$p/admin.crt" --key "$p/admin.key"
  log "started $n-apiserver again"
}

cmd_env() {
  [[ -f "$STATE/count" ]] || die "not running"
  load_config
  local n i; n="$(cat "$STATE/count")"
  echo "export KUBE_TESTENV_CLUSTERS=$n"
  echo "export KUBE_TESTENV_KUBECONFIG_ALL=$KCDIR/all.kubeconfig"
  for ((i = 1; i <= n; i++)); do
    echo "export KUBE_TESTENV_KUBECONFIG_$i=$KCDIR/$(cname "$i").kubeconfig"
    echo "export KUBE_TESTENV_TOKEN_$i=$(cat "$STATE/clusters/$(cname "$i")/pki/admin.token")"
  done
}

main() {
  case "${1:-}" in
    build) cmd_build ;;
    up) cmd_up "${2:-1}" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    env) cmd_env ;;
    apiserver-stop) [[ -n "${2:-}" ]] || die "usage: $0 apiserver-stop I"; cmd_apiserver_stop "$2" ;;
    apiserver-start) [[ -n "${2:-}" ]] || die "usage: $0 apiserver-start I"; cmd_apiserver_start "$2" ;;
    bin) [[ -n "${2:-}" ]] || die "usage: $0 bin NAME"
         if [[ $2 == etcd ]]; then etcd_bin; else echo "$K8S_BIN/$2"; fi ;;
    kubeconfig) [[ -n "${2:-}" ]] || die "usage: $0 kubeconfig I"; load_config; echo "$KCDIR/$(cname "$2").kubeconfig" ;;
    *) sed -n '3,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
}

# Everything is parsed before anything runs, so editing this file while a
# `build` is in progress cannot change what the running instance executes.
main "$@"; exit $?
