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
  kyverno)
    VERSION=${KYVERNO_VERSION:?KYVERNO_VERSION missing from versions.env}
    MODULE=github.com/kyverno/kyverno
    PKG=$MODULE/cmd/kyverno
    FROM_SOURCE=1
    LDFLAGS="-s -w -X $MODULE/pkg/version.BuildVersion=$VERSION"
    # no --version flag, and -trimpath keeps -ldflags out of the build info: check the main
    # package in the build info and the version string the -X ldflag put into the binary
    # (go too, for --check: handle_mode runs before need_go)
    command -v go >/dev/null || { [[ -x /usr/local/go/bin/go ]] && PATH=$PATH:/usr/local/go/bin; } || true
    version_ok() { grep -qE "path[[:space:]]+$PKG\$" <<<"$(go version -m "$1/kyverno" 2>&1)" && grep -qaF "$VERSION" "$1/kyverno"; }
    ;;
  *) echo "$PROG: TOOL must be registry, oras or kyverno, got '$TOOL' (try --help)" >&2; exit 2 ;;
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
if [[ ${FROM_SOURCE:-0} == 1 ]]; then
  # go install refuses a module with replace directives: build inside a copy of it from the proxy
  SRC_DIR=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' <<<"$(go mod download -json "$MODULE@$VERSION")")
  [[ -d $SRC_DIR ]] || die "go mod download $MODULE@$VERSION gave no source dir"
  cp -r "$SRC_DIR" "$TMP/src" && chmod -R u+w "$TMP/src"
  go -C "$TMP/src" build -trimpath -ldflags "$LDFLAGS" -o "$OUT/bin/$TOOL" "./${PKG#"$MODULE"/}" >&2 || die "go build $PKG@$VERSION failed"
  if [[ -d $TMP/src/config/crds ]]; then cp -r "$TMP/src/config/crds" "$OUT/crds"; fi
else
  GOBIN="$OUT/bin" go install -trimpath -ldflags "$LDFLAGS" "$PKG@$VERSION" >&2 || die "go install $PKG@$VERSION failed"
fi
verify "$OUT/bin" || die "built $TOOL does not report version $VERSION"
write_stamp "tool=$TOOL" "module=$MODULE" "version=$VERSION" -- "$TOOL"
publish
