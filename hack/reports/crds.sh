#!/usr/bin/env bash
# Copy the policy-report CRDs from their projects' Go modules (fetched through the Go module
# proxy, versions pinned in hack/controlplane/versions.env) into deploy/crds/, and into
# charts/wasmgate/files/crds/ for the chart's `crds.install` option (helm reads only files inside
# the chart; test/unit/chart-crds.test.ts fails when the two copies differ).
#
# Usage: crds.sh            write deploy/crds/*.yaml and charts/wasmgate/files/crds/*.yaml
#        crds.sh --check    exit 1 when either copy differs from the pinned modules
#
# Both files are controller-gen output from the projects' Go API types; they are copied verbatim
# (no field is added or removed here). test/unit/report/crd-schema.test.ts validates every report
# wasmgate writes against their openAPIV3Schema.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../controlplane/versions.env
source "$ROOT/hack/controlplane/versions.env"
: "${KYVERNO_VERSION:?}" "${OPENREPORTS_VERSION:?}"
export PATH=/usr/local/go/bin:$PATH GOFLAGS=-mod=mod
dir() { (cd "${TMPDIR:-/tmp}" && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'); }
KY=$(dir "github.com/kyverno/kyverno@$KYVERNO_VERSION")
OR=$(dir "github.com/openreports/reports-api@$OPENREPORTS_VERSION")
declare -A FILES=(
  [wgpolicyk8s.io_policyreports.yaml]="$KY/config/crds/policyreport/wgpolicyk8s.io_policyreports.yaml"
  [wgpolicyk8s.io_clusterpolicyreports.yaml]="$KY/config/crds/policyreport/wgpolicyk8s.io_clusterpolicyreports.yaml"
  [openreports.io_reports.yaml]="$OR/config/crd/openreports.io_reports.yaml"
  [openreports.io_clusterreports.yaml]="$OR/config/crd/openreports.io_clusterreports.yaml"
)
status=0
for name in "${!FILES[@]}"; do
  src=${FILES[$name]}
  for out in deploy/crds charts/wasmgate/files/crds; do
    if [[ ${1:-} == --check ]]; then
      cmp -s "$src" "$ROOT/$out/$name" || { echo "$out/$name differs from $src" >&2; status=1; }
    else
      install -D -m 0644 "$src" "$ROOT/$out/$name"
      echo "$out/$name <- $src" >&2
    fi
  done
done
exit $status
