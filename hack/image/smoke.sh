#!/usr/bin/env bash
# Run the image built by hack/image/build.sh without a daemon: `buildah run` of the image's own
# ENTRYPOINT + CMD as its USER, serving the example snapshot over TLS on 127.0.0.1, then POST
# examples/admission-review.json to /mutate (verified TLS), then SIGTERM and check the exit code.
# Usage: smoke.sh [TAG]   (default localhost/wasmgate:dev)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
TAG=${1:-localhost/wasmgate:dev}
PORT=${PORT:-18443}
log() { printf '%s [image/smoke.sh] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

config=$(buildah inspect --type image "$TAG")
field() { node -e 'const c = JSON.parse(require("fs").readFileSync(0, "utf8")).OCIv1.config; console.log(JSON.stringify(c[process.argv[1]] ?? null))' "$1" <<<"$config"; }
entrypoint=$(field Entrypoint)
cmd=$(field Cmd)
user=$(field User | tr -d '"')
log "image $TAG: ENTRYPOINT $entrypoint CMD $cmd USER $user ENV $(field Env)"
mapfile -t argv < <(node -e 'for (const a of [...JSON.parse(process.argv[1]), ...JSON.parse(process.argv[2])]) console.log(a)' "$entrypoint" "$cmd")

WORK=$(mktemp -d)
ctr=$(buildah from "$TAG")
cleanup() { buildah rm "$ctr" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
cp -r "$REPO/examples/cluster" "$WORK/cluster"
cp "$REPO/examples/config.yaml" "$WORK/config.yaml"
node "$REPO/bin/wasmgate.js" certs --service wasmgate --namespace wasmgate --out "$WORK/certs" >/dev/null
chown -R "${user%%:*}" "$WORK/certs"
chmod 755 "$WORK"

buildah run --isolation chroot --user "$user" --volume "$WORK:/work:ro" "$ctr" -- "${argv[@]}" \
  --cluster-state /work/cluster --config /work/config.yaml --cert-dir /work/certs --port "$PORT" --host 127.0.0.1 &
pid=$!
for _ in $(seq 1 300); do
  if answer=$(curl -sf --cacert "$WORK/certs/ca.crt" -H 'Content-Type: application/json' --data @"$REPO/examples/admission-review.json" "https://127.0.0.1:$PORT/mutate"); then break; fi
  kill -0 "$pid" 2>/dev/null || { log "the container exited early"; exit 1; }
  sleep 0.2
done
log "answer: $answer"
patch=$(node -e 'const r = JSON.parse(process.argv[1]).response; console.log(Buffer.from(r.patch, "base64").toString())' "$answer")
log "patch: $patch"
[[ $patch == '[{"op":"add","path":"/spec/runtimeClassName","value":"wasm1"}]' ]] || { log "unexpected patch"; exit 1; }
# the process listening on the port is the image's entrypoint (node as PID 1 of the container)
npid=$(ss -Hltnp "sport = :$PORT" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
uid=$(awk '/^Uid:/ { print $2 }' "/proc/$npid/status")
log "serving process $npid: $(tr '\0' ' ' <"/proc/$npid/cmdline"), uid $uid"
[[ $uid == "${user%%:*}" ]] || { log "runs as uid $uid, not ${user%%:*}"; exit 1; }
# SIGTERM to the entrypoint, as the kubelet's runtime sends it (buildah itself kills on SIGTERM)
kill -TERM "$npid"
set +e
wait "$pid"
code=$?
set -e
log "exit code after SIGTERM: $code"
[[ $code == 0 ]] || exit 1
log "OK"
