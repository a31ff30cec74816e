// Wrapper module template used by hack/controlplane/build.sh to build
// kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from the
// Go module proxy. No versions live here: build.sh copies this directory to a
// temp dir outside the repo and adds there the `require k8s.io/kubernetes`
// line (from versions.env), one `replace` per staging module (derived from
// k8s.io/kubernetes's own go.mod) plus its go/godebug lines, then runs
// `go mod tidy`. go.sum records the checksums (refresh with
// `build.sh --write-sums` after changing versions.env).
module wasmgate.local/hack/controlplane/k8s

go 1.25.0

tool (
	k8s.io/kubernetes/cmd/kube-apiserver
	k8s.io/kubernetes/cmd/kube-controller-manager
	k8s.io/kubernetes/cmd/kube-scheduler
	k8s.io/kubernetes/cmd/kubectl
)
