// Wrapper module template used by hack/controlplane/build.sh to build etcd
// from the Go module proxy. The etcd main package is the root package of
// go.etcd.io/etcd/server/v3 (server/main.go calls etcdmain.Main). No versions
// live here: build.sh copies this directory to a temp dir outside the repo,
// adds `require go.etcd.io/etcd/server/v3 <ETCD_VERSION>` (from versions.env)
// and etcd's go line, then runs `go mod tidy`. go.sum records the checksums
// (refresh with `build.sh --write-sums` after changing versions.env).
module wasmgate.local/hack/controlplane/etcd

go 1.26.0

tool go.etcd.io/etcd/server/v3
