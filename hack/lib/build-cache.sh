# shellcheck shell=bash
# Shared by the tool build scripts (hack/controlplane, hack/helm, hack/containerd, hack/tools/build.sh):
# the cache layout, the common flags, log lines, one lock per key, a temp dir inside the cache root,
# the STAMP file and the atomic publish. Sourced, never run.
#
# The caller sets PROG (e.g. helm/build.sh; LOG_TAG, if set, follows it in log lines) and defines
#   verify DIR   exit 0 if the binaries in DIR exist, run and report the pinned versions
# then, in order: cache_key KEY; parse flags (common_flags, or common_flag per argument); handle_mode; need_go; acquire_lock;
# make_tmp; build into $OUT/bin; verify "$OUT/bin"; write_stamp; publish.
#
# Log lines (stderr) look like `2026-01-01T00:00:00Z [controlplane/build.sh +12s] ...`: the `+Ns`
# is parsed by src/controlplane/build-progress.ts. The LAST stdout line is always the bin dir.

START=$(date +%s)
MODE=build
FORCE=0

log() { printf '%s [%s +%ss] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG${LOG_TAG:+ $LOG_TAG}" "$(($(date +%s) - START))" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# usage: the calling script's header comment, up to its `set -euo` line.
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

# cache_key KEY: the cache entry of KEY: $CACHE_ROOT/KEY/{bin,STAMP}.
cache_key() {
  CACHE_ROOT=${WASMGATE_CACHE:-${HOME:?}/.cache/wasmgate}
  KEY=$1
  DEST="$CACHE_ROOT/$KEY"
  BIN_DIR="$DEST/bin"
  STAMP="$DEST/STAMP"
}

# common_flag ARG: --print-bin-dir, --check, --force, --help; returns 1 for any other argument.
common_flag() {
  case $1 in
    --print-bin-dir) MODE=print ;;
    --check) MODE=check ;;
    --force) FORCE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) return 1 ;;
  esac
}

# common_flags ARG...: only the common flags are accepted; anything else is a usage error (exit 2).
common_flags() {
  while (($#)); do
    common_flag "$1" || { echo "$PROG: unknown argument '$1' (try --help)" >&2; exit 2; }
    shift
  done
}

cache_complete() { [[ -f $STAMP ]] && verify "$BIN_DIR"; }

# handle_mode: --print-bin-dir and --check end here, and so does a build whose cache is complete
# (unless --force). Any other MODE falls through to the caller.
handle_mode() {
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
}

# need_go MIN: a Go in PATH (or /usr/local/go/bin), building static binaries with the local toolchain.
need_go() {
  command -v go >/dev/null || { [[ -x /usr/local/go/bin/go ]] && PATH=$PATH:/usr/local/go/bin; }
  command -v go >/dev/null || die "go not found in PATH (expected Go >= $1, e.g. /usr/local/go/bin)"
  export CGO_ENABLED=0
  # Never let a module's go/toolchain line trigger a toolchain download.
  export GOTOOLCHAIN=local
}

# acquire_lock NAME: one builder at a time for $CACHE_ROOT/NAME (fd 9, held until exit); if another
# build completed the cache meanwhile, print the bin dir and exit.
acquire_lock() {
  mkdir -p "$CACHE_ROOT"
  exec 9>"$CACHE_ROOT/$1"
  if ! flock -n 9; then
    log "another build holds $CACHE_ROOT/$1; waiting"
    flock 9
  fi
  if [[ $MODE == build && $FORCE == 0 ]] && cache_complete; then
    log "cache completed by another build meanwhile"
    echo "$BIN_DIR"
    exit 0
  fi
}

# remove_tmp: the EXIT trap. When a signal stopped a `go` command, its dying children can still
# write into the work dir for a moment after the first removal: remove again until it stays gone.
remove_tmp() {
  [[ -n $TMP ]] || return 0
  # a second signal (the playground stops the group once on abort and once more as it exits) must
  # not end this trap half way, with the temp dir still there
  trap '' INT TERM
  local i
  for i in 1 2 3 4 5 6 7 8 9 10; do
    rm -rf "$TMP" 2>/dev/null
    sleep 0.5
    [[ -e $TMP ]] || return 0
  done
}

# make_tmp PREFIX: TMP=$CACHE_ROOT/PREFIX$KEY.XXXXXX (removed on exit), OUT=$TMP/out with bin/.
# Call it under the lock: a temp dir of this key is then a leftover of an interrupted run, and only
# those are removed. Each script has its own PREFIX and every key its own name, so no build ever
# deletes another's temp dir.
make_tmp() {
  rm -rf "$CACHE_ROOT/$1$KEY".* 2>/dev/null || true
  # Traps first, so a signal during mktemp still cleans up. SIGPIPE is ignored: when whoever reads
  # our output is gone (an interrupted playground), a log line fails instead of killing bash before
  # the EXIT trap can remove the temp dir.
  TMP=""
  trap remove_tmp EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap '' PIPE
  TMP=$(mktemp -d "$CACHE_ROOT/$1$KEY.XXXXXX")
  OUT="$TMP/out"
  mkdir -p "$OUT/bin"
}

# write_stamp FIELD=VALUE... -- BINARY...: $OUT/STAMP with the given fields, the Go version, build
# time and the sha256 of each binary in $OUT/bin.
write_stamp() {
  local bins=()
  while (($#)) && [[ $1 != -- ]]; do echo "$1"; shift; done >"$OUT/STAMP"
  shift
  bins=("$@")
  {
    echo "go_version=$(go env GOVERSION)"
    echo "built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "build_seconds=$(($(date +%s) - START))"
    (cd "$OUT/bin" && sha256sum "${bins[@]}")
  } >>"$OUT/STAMP"
}

# publish: rename $OUT to $DEST atomically (an old $DEST goes into $TMP, removed on exit), then
# print the bin dir as the last stdout line.
publish() {
  if [[ -e $DEST ]]; then
    log "replacing existing $DEST (--force, or it was incomplete)"
    mv -T "$DEST" "$TMP/old"
  fi
  mv -T "$OUT" "$DEST"
  log "done in $(($(date +%s) - START))s: $BIN_DIR"
  echo "$BIN_DIR"
}
