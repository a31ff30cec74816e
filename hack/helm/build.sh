#!/usr/bin/env bash
# Build the helm CLI used by wasmgate's chart tests from its Go module
# (helm.sh/helm/v3, version HELM_VERSION in hack/controlplane/versions.env)
# through the Go module proxy. No prebuilt binaries. Same pattern as
# hack/controlplane/build.sh: cached, one builder at a time, atomic publish.
#
# Output: ${WASMGATE_CACHE:-$HOME/.cache/wasmgate}/helm-<HELM_VERSION>/bin/helm
# The bin dir is printed as the LAST line of stdout; progress goes to stderr:
#     HELM_BIN=$(hack/helm/build.sh | tail -1)
#
# Usage: build.sh [--print-bin-dir | --check | --force | --help]
#   (no flag)        build if the cache is not complete, then print the bin dir
#   --print-bin-dir  print the expected bin dir and exit (no build, no check)
#   --check          exit 0 if the cache is complete and helm runs, else 1
#   --force          rebuild even if the cache is complete
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=helm/build.sh

# shellcheck source=../controlplane/versions.env
source "$HERE/../controlplane/versions.env"
: "${HELM_VERSION:?HELM_VERSION missing from hack/controlplane/versions.env}"
if [[ ! $HELM_VERSION =~ ^v([34])\.[0-9]+\.[0-9]+$ ]]; then
  echo "$PROG: HELM_VERSION must look like v3.X.Y or v4.X.Y, got '$HELM_VERSION'" >&2
  exit 2
fi
HELM_MAJOR=${BASH_REMATCH[1]}
MODULE="helm.sh/helm/v$HELM_MAJOR"

CACHE_ROOT=${WASMGATE_CACHE:-${HOME:?}/.cache/wasmgate}
KEY="helm-${HELM_VERSION}"
DEST="$CACHE_ROOT/$KEY"
BIN_DIR="$DEST/bin"
STAMP="$DEST/STAMP"

START=$(date +%s)
log() { printf '%s [%s +%ss] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$(($(date +%s) - START))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# verify_bin DIR: helm exists, runs, and reports the pinned version.
verify_bin() {
  local out
  [[ -x $1/helm ]] || { log "missing $1/helm"; return 1; }
  out=$(HELM_CONFIG_HOME=/nonexistent "$1/helm" version --template '{{.Version}}' 2>&1) ||
    { log "helm version failed: $out"; return 1; }
  [[ $out == "$HELM_VERSION" ]] || { log "helm reports: $out"; return 1; }
}

cache_complete() { [[ -f $STAMP ]] && verify_bin "$BIN_DIR"; }

MODE=build
FORCE=0
while (($#)); do
  case $1 in
    --print-bin-dir) MODE=print ;;
    --check) MODE=check ;;
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

if [[ $FORCE == 0 ]] && cache_complete; then
  log "cache complete, nothing to build"
  echo "$BIN_DIR"
  exit 0
fi

command -v go >/dev/null || die "go not found in PATH (expected Go >= 1.26, e.g. /usr/local/go/bin)"
export CGO_ENABLED=0
export GOTOOLCHAIN=local

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.build-helm.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.build-helm.lock; waiting"
  flock 9
fi
if [[ $FORCE == 0 ]] && cache_complete; then
  log "cache completed by another build meanwhile"
  echo "$BIN_DIR"
  exit 0
fi
# Under the lock, any helm temp dir is a leftover from an interrupted run.
rm -rf "$CACHE_ROOT"/.tmp-helm-* 2>/dev/null || true

TMP=$(mktemp -d "$CACHE_ROOT/.tmp-$KEY.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
OUT="$TMP/out"
mkdir -p "$OUT/bin"

log "building $MODULE@$HELM_VERSION into $DEST (Go: $(go env GOVERSION))"
# `go install module/cmd@version` builds with the module's own go.mod and go.sum
# (helm's go.mod has no replace directives), checked against the Go checksum DB.
ldflags="-s -w -X $MODULE/internal/version.version=$HELM_VERSION -X $MODULE/internal/version.gitTreeState=clean"
# As helm's Makefile does: the Kubernetes version `helm template` and `helm lint` assume is the
# one of the client-go it links (v0.37.0 -> 1.37); without it they assume 1.20.
gomod=$(go mod download -json "$MODULE@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
[[ -f $gomod ]] || die "could not locate go.mod of $MODULE@$HELM_VERSION"
client_go=$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod")
[[ $client_go =~ ^v0\.([0-9]+)\.[0-9]+$ ]] || die "cannot read k8s.io/client-go's version from $gomod (got '$client_go')"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X $MODULE/$pkg.k8sVersionMajor=1 -X $MODULE/$pkg.k8sVersionMinor=${BASH_REMATCH[1]}"
done
t0=$SECONDS
GOBIN="$OUT/bin" go install -trimpath -ldflags "$ldflags" "$MODULE/cmd/helm@$HELM_VERSION" >&2 ||
  die "helm build failed"
log "helm: built in $((SECONDS - t0))s"

verify_bin "$OUT/bin" || die "built helm failed the version check"
{
  echo "helm_version=$HELM_VERSION"
  echo "go_version=$(go env GOVERSION)"
  echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "build_seconds=$(($(date +%s) - START))"
  (cd "$OUT/bin" && sha256sum helm)
} >"$OUT/STAMP"

if [[ -e $DEST ]]; then
  log "replacing existing $DEST (--force, or it was incomplete)"
  mv -T "$DEST" "$TMP/old"
fi
mv -T "$OUT" "$DEST"
log "done in $(($(date +%s) - START))s: $BIN_DIR"
echo "$BIN_DIR"
