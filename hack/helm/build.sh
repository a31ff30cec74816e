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

# shellcheck source=../lib/build-cache.sh
source "$HERE/../lib/build-cache.sh"
cache_key "helm-${HELM_VERSION}"

# verify DIR: helm exists, runs, and reports the pinned version.
verify() {
  local out
  [[ -x $1/helm ]] || { log "missing $1/helm"; return 1; }
  out=$(HELM_CONFIG_HOME=/nonexistent "$1/helm" version --template '{{.Version}}' 2>&1) ||
    { log "helm version failed: $out"; return 1; }
  [[ $out == "$HELM_VERSION" ]] || { log "helm reports: $out"; return 1; }
}

common_flags "$@"
handle_mode
need_go 1.26
acquire_lock .build-helm.lock
make_tmp .tmp-

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

verify "$OUT/bin" || die "built helm failed the version check"
write_stamp "helm_version=$HELM_VERSION" -- helm
publish
