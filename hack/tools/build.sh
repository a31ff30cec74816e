#!/usr/bin/env bash
# Build a test tool from its Go module through the Go module proxy (no prebuilt
# binaries, no Docker). Versions come from hack/controlplane/versions.env, the
# one place for pins. Tools:
#   registry  github.com/distribution/distribution/v3/cmd/registry @ REGISTRY_VERSION
#   oras      oras.land/oras/cmd/oras                             @ ORAS_VERSION
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
# shellcheck source=../lib/build-cache.sh
source "$HERE/../lib/build-cache.sh"
[[ $TOOL == -h || $TOOL == --help ]] && { usage; exit 0; }
shift || true
case $TOOL in
  registry)
    VERSION=${REGISTRY_VERSION:?REGISTRY_VERSION missing from versions.env}
    MODULE=github.com/distribution/distribution/v3
    PKG=$MODULE/cmd/registry
    LDFLAGS="-s -w -X $MODULE/version.version=$VERSION -X $MODULE/version.revision=module-$VERSION"
    version_ok() { grep -qF " $VERSION" <<<"$("$1/registry" --version 2>&1)"; }
    ;;
  oras)
    VERSION=${ORAS_VERSION:?ORAS_VERSION missing from versions.env}
    MODULE=oras.land/oras
    PKG=$MODULE/cmd/oras
    LDFLAGS="-s -w -X $MODULE/internal/version.GitTreeState=clean"
    version_ok() { grep -qE "^Version: +${VERSION#v}" <<<"$("$1/oras" version 2>&1)"; }
    ;;
  *) echo "$PROG: TOOL must be registry or oras, got '$TOOL' (try --help)" >&2; exit 2 ;;
esac
if [[ ! $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "$PROG: $TOOL version must look like vX.Y.Z, got '$VERSION'" >&2
  exit 2
fi

cache_key "$TOOL-$VERSION"
# verify DIR: the tool exists and reports the pinned version. version_ok reads the whole output
# before grep: `tool | grep -q` under pipefail fails at random when grep exits first (SIGPIPE).
verify() { [[ -x $1/$TOOL ]] && version_ok "$1"; }

common_flags "$@"
handle_mode
need_go 1.26
acquire_lock ".build-$TOOL.lock"
make_tmp .tmp-

log "building $PKG@$VERSION into $DEST (Go: $(go env GOVERSION))"
GOBIN="$OUT/bin" go install -trimpath -ldflags "$LDFLAGS" "$PKG@$VERSION" >&2 || die "go install $PKG@$VERSION failed"
verify "$OUT/bin" || die "built $TOOL does not report version $VERSION"
write_stamp "tool=$TOOL" "module=$MODULE" "version=$VERSION" -- "$TOOL"
publish
