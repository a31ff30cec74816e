#!/usr/bin/env bash
# Build wasmgate's image from the repository's Dockerfile with buildah (no Docker daemon).
#
# Where no registry serves base images (this sandbox: only Debian, npm and the Go proxy), the
# Dockerfile's NODE_IMAGE is replaced by a base assembled here: a Debian bookworm minbase rootfs
# (debootstrap, from the Debian mirror) plus this machine's Node.js binary and npm, committed as
# localhost/wasmgate-node-base:<node version>. Every step of the Dockerfile then runs as written.
#
# Usage: build.sh [--base-only] [TAG]     (default TAG: localhost/wasmgate:dev)
# Env:   NODE_IMAGE=<ref>  use this base instead of assembling one (e.g. where docker.io works)
#        STORAGE_DRIVER (default vfs: works without overlay or fuse in a container)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
BASE_ONLY=0
if [[ ${1:-} == --base-only ]]; then BASE_ONLY=1; shift; fi
TAG=${1:-localhost/wasmgate:dev}
log() { printf '%s [image/build.sh] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
command -v buildah >/dev/null || { log "buildah not found (apt-get install -y buildah)"; exit 1; }

if [[ -z ${NODE_IMAGE:-} ]]; then
  NODE_BIN=$(readlink -f "$(command -v node)")
  NODE_VERSION=$("$NODE_BIN" --version)
  NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  NODE_IMAGE="localhost/wasmgate-node-base:${NODE_VERSION#v}"
  if buildah inspect --type image "$NODE_IMAGE" >/dev/null 2>&1; then
    log "base $NODE_IMAGE exists"
  else
    command -v debootstrap >/dev/null || { log "debootstrap not found (apt-get install -y debootstrap)"; exit 1; }
    TMP=$(mktemp -d)
    trap 'rm -rf "$TMP"' EXIT
    log "debootstrap bookworm minbase into $TMP/rootfs"
    debootstrap --variant=minbase bookworm "$TMP/rootfs" http://deb.debian.org/debian >&2
    rm -rf "$TMP/rootfs/var/cache/apt/archives/"*.deb "$TMP/rootfs/var/lib/apt/lists/"*
    log "adding node $NODE_VERSION ($NODE_BIN) and npm ($NPM_DIR)"
    install -D -m 0755 "$NODE_BIN" "$TMP/rootfs/usr/local/bin/node"
    mkdir -p "$TMP/rootfs/usr/local/lib/node_modules"
    cp -a "$NPM_DIR" "$TMP/rootfs/usr/local/lib/node_modules/npm"
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$TMP/rootfs/usr/local/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$TMP/rootfs/usr/local/bin/npx"
    ctr=$(buildah from scratch)
    buildah add "$ctr" "$TMP/rootfs" / >/dev/null
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --env NODE_VERSION="${NODE_VERSION#v}" --cmd node "$ctr"
    buildah commit --rm "$ctr" "$NODE_IMAGE" >&2
    log "committed $NODE_IMAGE"
  fi
fi
if [[ $BASE_ONLY == 1 ]]; then echo "$NODE_IMAGE"; exit 0; fi

extra=()
# Behind a TLS-intercepting proxy (this sandbox), npm in the build needs the proxy's CA: mount the
# host's bundle into the build steps only (a volume and a build arg: neither reaches the image).
if [[ -n ${NODE_EXTRA_CA_CERTS:-} && -f $NODE_EXTRA_CA_CERTS ]]; then
  extra+=(--volume "$NODE_EXTRA_CA_CERTS:/run/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt)
fi
log "buildah bud --build-arg NODE_IMAGE=$NODE_IMAGE ${extra[*]} -t $TAG"
buildah bud --isolation chroot --layers=false --build-arg "NODE_IMAGE=$NODE_IMAGE" "${extra[@]}" -t "$TAG" -f "$REPO/Dockerfile" "$REPO" >&2
echo "$TAG"
