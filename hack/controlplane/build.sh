#!/usr/bin/env bash
# Build the Kubernetes control-plane binaries used by wasmgate's integration
# harness (etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
# kubectl) from Go modules fetched through the Go module proxy. No prebuilt
# binaries, no Docker. Versions come from versions.env beside this script.
#
# Output: ${WASMGATE_CACHE:-$HOME/.cache/wasmgate}/k8s-<K8S_VERSION>_etcd-<ETCD_VERSION>/bin
# The bin dir is printed as the LAST line of stdout; progress goes to stderr:
#     BIN=$(hack/controlplane/build.sh | tail -1)
#
# Usage: build.sh [--print-bin-dir | --check | --write-sums | --force | --help]
#   (no flag)        build if the cache is not complete, then print the bin dir
#   --print-bin-dir  print the expected bin dir and exit (no build, no check)
#   --check          exit 0 if the cache is complete and every binary runs, else 1
#   --write-sums     resolve the wrapper modules in a temp dir and copy the
#                    resulting go.sum files back into hack/controlplane/{k8s,etcd}
#                    (run after changing versions.env); builds nothing
#   --force          rebuild even if the cache is complete
#
# Nothing is written inside the repo (except go.sum with --write-sums): the
# wrapper module templates are copied into a temp dir inside the cache root,
# everything is built there and the finished directory is renamed into place
# atomically, so an interrupted build never leaves a half-populated cache.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=controlplane/build.sh

# shellcheck source=versions.env
source "$HERE/versions.env"
: "${K8S_VERSION:?K8S_VERSION missing from versions.env}"
: "${ETCD_VERSION:?ETCD_VERSION missing from versions.env}"

CACHE_ROOT=${WASMGATE_CACHE:-${HOME:?}/.cache/wasmgate}
KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}"
DEST="$CACHE_ROOT/$KEY"
BIN_DIR="$DEST/bin"
STAMP="$DEST/STAMP"
K8S_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
ALL_BINARIES=(etcd "${K8S_BINARIES[@]}")

# v1.35.4 -> staging modules v0.35.4; major/minor for the version ldflags.
if [[ ! $K8S_VERSION =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
  echo "$PROG: K8S_VERSION must look like v1.X.Y, got '$K8S_VERSION'" >&2
  exit 2
fi
K8S_MINOR=${BASH_REMATCH[1]}
STAGING_VERSION="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
if [[ ! $ETCD_VERSION =~ ^v3\.[0-9]+\.[0-9]+$ ]]; then
  echo "$PROG: ETCD_VERSION must look like v3.X.Y, got '$ETCD_VERSION'" >&2
  exit 2
fi

START=$(date +%s)
log() { printf '%s [%s +%ss] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$(($(date +%s) - START))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# verify_bins DIR: every binary exists, runs, and reports the pinned version.
verify_bins() {
  local dir=$1 out b
  for b in "${ALL_BINARIES[@]}"; do
    [[ -x $dir/$b ]] || { log "missing $dir/$b"; return 1; }
  done
  out=$("$dir/etcd" --version 2>&1) || { log "etcd --version failed: $out"; return 1; }
  grep -qF "etcd Version: ${ETCD_VERSION#v}" <<<"$out" || { log "etcd reports: $out"; return 1; }
  for b in kube-apiserver kube-controller-manager kube-scheduler; do
    out=$("$dir/$b" --version 2>&1) || { log "$b --version failed: $out"; return 1; }
    grep -qxF "Kubernetes $K8S_VERSION" <<<"$out" || { log "$b reports: $out"; return 1; }
  done
  out=$("$dir/kubectl" version --client 2>&1) || { log "kubectl version --client failed: $out"; return 1; }
  grep -qF "Client Version: $K8S_VERSION" <<<"$out" || { log "kubectl reports: $out"; return 1; }
}

cache_complete() { [[ -f $STAMP ]] && verify_bins "$BIN_DIR"; }

MODE=build
FORCE=0
while (($#)); do
  case $1 in
    --print-bin-dir) MODE=print ;;
    --check) MODE=check ;;
    --write-sums) MODE=sums ;;
    --force) FORCE=1 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "$PROG: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

case $MODE in
  print) echo "$BIN_DIR"; exit 0 ;;
  check)
    if cache_complete; then log "cache complete: $BIN_DIR"; exit 0; fi
    log "cache not complete: $DEST"; exit 1 ;;
esac

if [[ $MODE == build && $FORCE == 0 ]] && cache_complete; then
  log "cache complete, nothing to build"
  echo "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || die "go not found in PATH (expected Go >= 1.24, e.g. /usr/local/go/bin)"
export CGO_ENABLED=0
# Never let a dependency's go/toolchain line trigger a toolchain download.
export GOTOOLCHAIN=local

# One builder at a time per cache root (also makes leftover temp dirs safe to delete).
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.build.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.build.lock; waiting"
  flock 9
fi
if [[ $MODE == build && $FORCE == 0 ]] && cache_complete; then
  log "cache completed by another build meanwhile"
  echo "$BIN_DIR"
  exit 0
fi
# Under the lock, any temp dir of this key is a leftover from an interrupted run.
rm -rf "$CACHE_ROOT"/.tmp-"$KEY".* 2>/dev/null || true   # only its own: other tools build beside it

TMP=$(mktemp -d "$CACHE_ROOT/.tmp-$KEY.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
WORK="$TMP/work"
OUT="$TMP/out"
mkdir -p "$WORK" "$OUT/bin"

# gomod_field MODULE@VERSION FIELD: a field of `go mod download -json` (e.g. GoMod, Dir).
gomod_field() {
  local json
  json=$(go mod download -json "$1") || die "go mod download $1 failed: $json"
  sed -n "s/^[[:space:]]*\"$2\": \"\(.*\)\",\{0,1\}$/\1/p" <<<"$json"
}

# upstream_godebug GOMOD: the godebug settings of a go.mod (single-line or block form).
upstream_godebug() {
  awk '
    /^godebug[ \t]*\(/ { blk = 1; next }
    blk && /^\)/ { blk = 0; next }
    blk { sub(/\/\/.*/, ""); gsub(/[ \t]/, ""); if ($0 != "") print; next }
    /^godebug[ \t]+[^(]/ { sub(/^godebug[ \t]+/, ""); sub(/\/\/.*/, ""); gsub(/[ \t]/, ""); print }
  ' "$1"
}

# copy_template NAME: copy hack/controlplane/NAME (go.mod [+ go.sum]) into the work dir.
copy_template() {
  mkdir -p "$WORK/$1"
  cp "$HERE/$1/go.mod" "$WORK/$1/go.mod"
  if [[ -f $HERE/$1/go.sum ]]; then cp "$HERE/$1/go.sum" "$WORK/$1/go.sum"; fi
}

# finish_module NAME: go mod tidy, then report whether the template's go.sum is current.
finish_module() {
  local t0=$SECONDS
  go -C "$WORK/$1" mod tidy >&2 || die "go mod tidy failed for the $1 wrapper module"
  log "$1: go mod tidy done ($((SECONDS - t0))s)"
  if [[ $MODE == sums ]]; then
    cp "$WORK/$1/go.sum" "$HERE/$1/go.sum"
    log "$1: wrote $HERE/$1/go.sum"
  elif ! cmp -s "$WORK/$1/go.sum" "$HERE/$1/go.sum" 2>/dev/null; then
    log "$1: NOTE hack/controlplane/$1/go.sum is missing or stale; refresh it with: $0 --write-sums"
  fi
}

prepare_etcd() {
  local gomod gover
  log "etcd: resolving go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  copy_template etcd
  gomod=$(gomod_field "go.etcd.io/etcd/server/v3@$ETCD_VERSION" GoMod)
  [[ -f $gomod ]] || die "could not locate go.mod of go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  gover=$(awk '$1 == "go" { print $2; exit }' "$gomod")
  go -C "$WORK/etcd" mod edit -go="$gover" -require="go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  finish_module etcd
}

prepare_k8s() {
  local gomod gover mod kv args=() staging=() pinned=()
  log "k8s: resolving k8s.io/kubernetes@$K8S_VERSION (staging modules at $STAGING_VERSION)"
  copy_template k8s
  gomod=$(gomod_field "k8s.io/kubernetes@$K8S_VERSION" GoMod)
  [[ -f $gomod ]] || die "could not locate go.mod of k8s.io/kubernetes@$K8S_VERSION"
  # Staging modules = modules replaced by ./staging/src/... in k8s.io/kubernetes's go.mod.
  mapfile -t staging < <(sed -n 's#^[[:space:]]*\(replace[[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]\{1,\}\)[[:space:]]\{1,\}=>[[:space:]]\{1,\}\./staging/src/.*#\2#p' "$gomod")
  # ... of which we pin the ones it actually requires (all at v0.0.0).
  mapfile -t pinned < <(sed -n 's#^[[:space:]]*\(require[[:space:]]\{1,\}\)\{0,1\}\(k8s\.io/[^[:space:]]\{1,\}\)[[:space:]]\{1,\}v0\.0\.0\([[:space:]].*\)\{0,1\}$#\2#p' "$gomod")
  ((${#staging[@]} >= 20)) || die "found only ${#staging[@]} staging replaces in $gomod; parser out of date?"
  for mod in "${pinned[@]}"; do
    [[ " ${staging[*]} " == *" $mod "* ]] || die "$mod is required at v0.0.0 but is not a staging module"
    args+=("-replace=$mod=$mod@$STAGING_VERSION")
  done
  log "k8s: pinning ${#pinned[@]} staging modules (of ${#staging[@]} in staging/) to $STAGING_VERSION"
  gover=$(awk '$1 == "go" { print $2; exit }' "$gomod")
  args+=("-go=$gover" "-require=k8s.io/kubernetes@$K8S_VERSION")
  # Keep upstream's GODEBUG defaults (e.g. `godebug default=go1.25`): the main
  # module's go.mod decides them for the binaries we link.
  while read -r kv; do [[ -n $kv ]] && args+=("-godebug=$kv"); done < <(upstream_godebug "$gomod")
  go -C "$WORK/k8s" mod edit "${args[@]}"
  finish_module k8s
}

if [[ $MODE == sums ]]; then
  prepare_etcd
  prepare_k8s
  log "go.sum files refreshed"
  exit 0
fi

log "building $KEY into $DEST (Go: $(go env GOVERSION), GOMODCACHE=$(go env GOMODCACHE), GOCACHE=$(go env GOCACHE))"

# --- etcd -------------------------------------------------------------------
prepare_etcd
t0=$SECONDS
log "etcd: go build go.etcd.io/etcd/server/v3"
go -C "$WORK/etcd" build -trimpath \
  -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$ETCD_VERSION" \
  -o "$OUT/bin/etcd" go.etcd.io/etcd/server/v3 >&2 || die "etcd build failed"
log "etcd: built in $((SECONDS - t0))s"

# --- Kubernetes ---------------------------------------------------------------
prepare_k8s
# Same version variables hack/lib/version.sh sets (no git commit is available
# from a module zip). buildDate = the release's commit time from the proxy.
build_date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(gomod_field "k8s.io/kubernetes@$K8S_VERSION" Info)")
ldflags="-s -w"
for kv in "gitVersion=$K8S_VERSION" gitMajor=1 "gitMinor=$K8S_MINOR" gitTreeState=clean \
  "gitCommit=module-$K8S_VERSION" "buildDate=${build_date:-1970-01-01T00:00:00Z}"; do
  ldflags+=" -X k8s.io/component-base/version.$kv -X k8s.io/client-go/pkg/version.$kv"
done
# One `go build` for all four: the shared packages (client-go, apimachinery, the
# API types) are compiled once and the scheduler keeps both cores busy across
# binaries, instead of four invocations that each wait on their own link.
pkgs=()
for b in "${K8S_BINARIES[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
t0=$SECONDS
log "k8s: go build ${K8S_BINARIES[*]} (one invocation)"
go -C "$WORK/k8s" build -trimpath -ldflags "$ldflags" -o "$OUT/bin/" "${pkgs[@]}" >&2 ||
  die "Kubernetes build failed"
log "k8s: built ${K8S_BINARIES[*]} in $((SECONDS - t0))s"

# --- verify, stamp, publish atomically ----------------------------------------
verify_bins "$OUT/bin" || die "built binaries failed the version check"
{
  echo "k8s_version=$K8S_VERSION"
  echo "etcd_version=$ETCD_VERSION"
  echo "staging_version=$STAGING_VERSION"
  echo "go_version=$(go env GOVERSION)"
  echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "build_seconds=$(($(date +%s) - START))"
  (cd "$OUT/bin" && sha256sum "${ALL_BINARIES[@]}")
} >"$OUT/STAMP"
cp "$WORK/k8s/go.mod" "$OUT/k8s.go.mod"
cp "$WORK/etcd/go.mod" "$OUT/etcd.go.mod"

if [[ -e $DEST ]]; then
  log "replacing existing $DEST (--force, or it was incomplete)"
  mv -T "$DEST" "$TMP/old"
fi
mv -T "$OUT" "$DEST"
log "done in $(($(date +%s) - START))s: $BIN_DIR"
echo "$BIN_DIR"
