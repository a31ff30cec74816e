#!/usr/bin/env bash
# Build containerd (the daemon binary only: `containerd config default|dump|migrate` is what the
# tests run) from its Go module through the Go module proxy: no prebuilt binaries, no Docker.
# Versions come from hack/controlplane/versions.env (the one place for pins):
#   1.7 -> module github.com/containerd/containerd    @ CONTAINERD17_VERSION, package cmd/containerd
#   2   -> module github.com/containerd/containerd/v2 @ CONTAINERD2_VERSION,  package cmd/containerd
# The module's source (fetched with `go mod download`, verified against the checksum database) is
# copied into a temp dir and built there as the main module, so upstream's go.mod and go.sum decide
# every dependency, its exclude directives included (they make `go install pkg@version` refuse 1.7).
#
# Output: ${WASMGATE_CACHE:-$HOME/.cache/wasmgate}/containerd-<version>/bin/containerd
# The bin dir is printed as the LAST line of stdout; progress goes to stderr:
#     BIN=$(hack/containerd/build.sh 2 | tail -1)
#
# Usage: build.sh [--print-bin-dir | --check | --force | --help] 1.7|2
#   (no flag)        build if the cache is not complete, then print the bin dir
#   --print-bin-dir  print the expected bin dir and exit (no build, no check)
#   --check          exit 0 if the cache is complete and the binary reports the pinned version, else 1
#   --force          rebuild even if the cache is complete
#
# Built in a temp dir inside the cache root and renamed into place atomically, under a lock per
# version, so an interrupted build never leaves a half-populated cache and two runs never race.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=containerd/build.sh

# shellcheck source=../controlplane/versions.env
source "$HERE/../controlplane/versions.env"

MODE=build
FORCE=0
WHICH=
while (($#)); do
  case $1 in
    --print-bin-dir) MODE=print ;;
    --check) MODE=check ;;
    --force) FORCE=1 ;;
    -h | --help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    1.7 | 2) WHICH=$1 ;;
    *) echo "$PROG: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

case $WHICH in
  1.7)
    VERSION=${CONTAINERD17_VERSION:?CONTAINERD17_VERSION missing from versions.env}
    MODULE=github.com/containerd/containerd
    [[ $VERSION =~ ^v1\.7\.[0-9]+$ ]] || { echo "$PROG: CONTAINERD17_VERSION must look like v1.7.N, got '$VERSION'" >&2; exit 2; } ;;
  2)
    VERSION=${CONTAINERD2_VERSION:?CONTAINERD2_VERSION missing from versions.env}
    MODULE=github.com/containerd/containerd/v2
    [[ $VERSION =~ ^v2\.[0-9]+\.[0-9]+$ ]] || { echo "$PROG: CONTAINERD2_VERSION must look like v2.N.N, got '$VERSION'" >&2; exit 2; } ;;
  *) echo "$PROG: say which containerd to build: 1.7 or 2 (try --help)" >&2; exit 2 ;;
esac

CACHE_ROOT=${WASMGATE_CACHE:-${HOME:?}/.cache/wasmgate}
KEY="containerd-$VERSION"
DEST="$CACHE_ROOT/$KEY"
BIN_DIR="$DEST/bin"
STAMP="$DEST/STAMP"

START=$(date +%s)
log() { printf '%s [%s %s +%ss] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$VERSION" "$(($(date +%s) - START))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# verify_bin DIR: containerd exists, runs, and reports the pinned version.
verify_bin() {
  local out
  [[ -x $1/containerd ]] || { log "missing $1/containerd"; return 1; }
  out=$("$1/containerd" --version 2>&1) || { log "containerd --version failed: $out"; return 1; }
  grep -qF " $VERSION " <<<"$out " || { log "containerd reports: $out"; return 1; }
}

cache_complete() { [[ -f $STAMP ]] && verify_bin "$BIN_DIR"; }

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
# Never let the module's go/toolchain line trigger a toolchain download.
export GOTOOLCHAIN=local

# One builder per version (the control plane's build has its own lock: they may run side by side).
# Temp dirs are named .containerd-tmp-* so the control-plane build's cleanup of .tmp-* never touches them.
mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.$KEY.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.$KEY.lock; waiting"
  flock 9
fi
if [[ $FORCE == 0 ]] && cache_complete; then
  log "cache completed by another build meanwhile"
  echo "$BIN_DIR"
  exit 0
fi
# Under the lock, a temp dir of this version is a leftover from an interrupted run.
rm -rf "$CACHE_ROOT"/.containerd-tmp-"$KEY".* 2>/dev/null || true

TMP=$(mktemp -d "$CACHE_ROOT/.containerd-tmp-$KEY.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir -p "$TMP/out/bin"

log "building $MODULE@$VERSION into $DEST (Go: $(go env GOVERSION), CGO_ENABLED=0)"
t0=$SECONDS
json=$(go mod download -json "$MODULE@$VERSION") || die "go mod download $MODULE@$VERSION failed: $json"
src=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
[[ -f $src/go.mod && -d $src/cmd/containerd ]] || die "no cmd/containerd in the source of $MODULE@$VERSION ($src)"
cp -R "$src" "$TMP/src"
chmod -R u+w "$TMP/src"
log "source ready in $((SECONDS - t0))s; go build ./cmd/containerd"
t0=$SECONDS
# no_btrfs: the btrfs snapshotter needs cgo and kernel headers; the tests only read and write config.
go -C "$TMP/src" build -trimpath -tags no_btrfs \
  -ldflags "-s -w -X $MODULE/version.Version=$VERSION -X $MODULE/version.Revision=module-$VERSION" \
  -o "$TMP/out/bin/containerd" ./cmd/containerd >&2 || die "go build of $MODULE@$VERSION ./cmd/containerd failed"
log "go build done in $((SECONDS - t0))s"

verify_bin "$TMP/out/bin" || die "the built binary failed the version check"
{
  echo "module=$MODULE"
  echo "version=$VERSION"
  echo "go_version=$(go env GOVERSION)"
  echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "build_seconds=$(($(date +%s) - START))"
  (cd "$TMP/out/bin" && sha256sum containerd)
} >"$TMP/out/STAMP"

if [[ -e $DEST ]]; then
  log "replacing existing $DEST (--force, or it was incomplete)"
  mv -T "$DEST" "$TMP/old"
fi
mv -T "$TMP/out" "$DEST"
log "done in $(($(date +%s) - START))s: $BIN_DIR"
echo "$BIN_DIR"
