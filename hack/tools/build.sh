#!/usr/bin/env bash
# Build a test tool from its Go module through the Go module proxy (no prebuilt
# binaries, no Docker). Versions come from hack/controlplane/versions.env, the
# one place for pins. Tools:
#   registry  github.com/distribution/distribution/v3/cmd/registry @ REGISTRY_VERSION
#   oras      oras.land/oras/cmd/oras                             @ ORAS_VERSION
#   kyverno   github.com/kyverno/kyverno/cmd/kyverno              @ KYVERNO_VERSION
#             (the peer in bench/apiserver; its go.mod has replace directives, so
#             `go install` refuses it: it is built with `go build` inside a copy of
#             the module from the proxy, and its CRDs are copied to <dest>/crds)
#
# Output: ${WASMGATE_CACHE:-$HOME/.cache/wasmgate}/<tool>-<version>/bin/<tool>
# The bin dir is printed as the LAST line of stdout; progress goes to stderr:
#     BIN=$(hack/tools/build.sh registry | tail -1)
#
# Usage: build.sh TOOL [--print-bin-dir | --check | --force | --help]
#   (no flag)        build if the cache is not complete, then print the bin dir
#   --print-bin-dir  print the expected bin dir and exit (no build, no check)
#   --check          exit 0 if the cached binary exists and reports the pinned version
#   --force          rebuild even if the cache is complete
#
# `go install MODULE/cmd/X@VERSION` builds with the module's own go.mod and
# go.sum (checked against the checksum database), so no wrapper module is
# needed. It is built into a temp dir inside the cache root and renamed into
# place atomically; a per-tool lock keeps one builder per tool (the control
# plane's lock is separate, so the two builds do not wait on each other).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROG=tools/build.sh
# shellcheck source=../controlplane/versions.env
source "$HERE/../controlplane/versions.env"

TOOL=${1:-}
[[ $TOOL == -h || $TOOL == --help ]] && { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0; }
shift || true
case $TOOL in
  registry)
    VERSION=${REGISTRY_VERSION:?REGISTRY_VERSION missing from versions.env}
    MODULE=github.com/distribution/distribution/v3
    PKG=$MODULE/cmd/registry
    LDFLAGS="-s -w -X $MODULE/version.version=$VERSION -X $MODULE/version.revision=module-$VERSION"
    version_ok() { "$1/registry" --version 2>&1 | grep -qF " $VERSION"; }
    ;;
  oras)
    VERSION=${ORAS_VERSION:?ORAS_VERSION missing from versions.env}
    MODULE=oras.land/oras
    PKG=$MODULE/cmd/oras
    LDFLAGS="-s -w -X $MODULE/internal/version.GitTreeState=clean"
    version_ok() { "$1/oras" version 2>&1 | grep -qE "^Version: +${VERSION#v}"; }
    ;;
  kyverno)
    VERSION=${KYVERNO_VERSION:?KYVERNO_VERSION missing from versions.env}
    MODULE=github.com/kyverno/kyverno
    PKG=$MODULE/cmd/kyverno
    FROM_SOURCE=1
    LDFLAGS="-s -w -X $MODULE/pkg/version.BuildVersion=$VERSION"
    # no --version flag, and -trimpath keeps -ldflags out of the build info: check the main
    # package in the build info and the version string the -X ldflag put into the binary
    version_ok() { go version -m "$1/kyverno" 2>&1 | grep -qE "path[[:space:]]+$PKG\$" && grep -qaF "$VERSION" "$1/kyverno"; }
    ;;
  *) echo "$PROG: TOOL must be registry, oras or kyverno, got '$TOOL' (try --help)" >&2; exit 2 ;;
esac
if [[ ! $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "$PROG: $TOOL version must look like vX.Y.Z, got '$VERSION'" >&2
  exit 2
fi

CACHE_ROOT=${WASMGATE_CACHE:-${HOME:?}/.cache/wasmgate}
KEY="$TOOL-$VERSION"
DEST="$CACHE_ROOT/$KEY"
BIN_DIR="$DEST/bin"
STAMP="$DEST/STAMP"

START=$(date +%s)
log() { printf '%s [%s +%ss] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$(($(date +%s) - START))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
cache_complete() { [[ -f $STAMP && -x $BIN_DIR/$TOOL ]] && version_ok "$BIN_DIR"; }

command -v go >/dev/null || { [[ -x /usr/local/go/bin/go ]] && PATH=$PATH:/usr/local/go/bin; }

MODE=build
FORCE=0
while (($#)); do
  case $1 in
    --print-bin-dir) MODE=print ;;
    --check) MODE=check ;;
    --force) FORCE=1 ;;
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

command -v go >/dev/null || { [[ -x /usr/local/go/bin/go ]] && PATH=$PATH:/usr/local/go/bin; }
command -v go >/dev/null || die "go not found in PATH (expected Go >= 1.26, e.g. /usr/local/go/bin)"
export CGO_ENABLED=0
export GOTOOLCHAIN=local

mkdir -p "$CACHE_ROOT"
exec 9>"$CACHE_ROOT/.build-$TOOL.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_ROOT/.build-$TOOL.lock; waiting"
  flock 9
fi
if [[ $FORCE == 0 ]] && cache_complete; then
  log "cache completed by another build meanwhile"
  echo "$BIN_DIR"
  exit 0
fi
rm -rf "$CACHE_ROOT"/.tmp-"$TOOL"-* 2>/dev/null || true

TMP=$(mktemp -d "$CACHE_ROOT/.tmp-$KEY.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
OUT="$TMP/out"
mkdir -p "$OUT/bin"

log "building $PKG@$VERSION into $DEST (Go: $(go env GOVERSION))"
if [[ ${FROM_SOURCE:-0} == 1 ]]; then
  SRC_DIR=$(go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  [[ -d $SRC_DIR ]] || die "go mod download $MODULE@$VERSION gave no source dir"
  cp -r "$SRC_DIR" "$TMP/src" && chmod -R u+w "$TMP/src"
  go -C "$TMP/src" build -trimpath -ldflags "$LDFLAGS" -o "$OUT/bin/$TOOL" "./${PKG#"$MODULE"/}" >&2 || die "go build $PKG@$VERSION failed"
  if [[ -d $TMP/src/config/crds ]]; then cp -r "$TMP/src/config/crds" "$OUT/crds"; fi
else
  GOBIN="$OUT/bin" go install -trimpath -ldflags "$LDFLAGS" "$PKG@$VERSION" >&2 || die "go install $PKG@$VERSION failed"
fi
version_ok "$OUT/bin" || die "built $TOOL does not report version $VERSION ($(go version -m "$OUT/bin/$TOOL" 2>&1 | grep -E 'ldflags|^\s+path' | head -3))"
{
  echo "tool=$TOOL"
  echo "module=$MODULE"
  echo "version=$VERSION"
  echo "go_version=$(go env GOVERSION)"
  echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "build_seconds=$(($(date +%s) - START))"
  (cd "$OUT/bin" && sha256sum "$TOOL")
} >"$OUT/STAMP"

if [[ -e $DEST ]]; then
  log "replacing existing $DEST"
  mv -T "$DEST" "$TMP/old"
fi
mv -T "$OUT" "$DEST"
log "done in $(($(date +%s) - START))s: $BIN_DIR"
echo "$BIN_DIR"
