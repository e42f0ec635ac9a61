#!/usr/bin/env bash
# `make e2e-kind`: Lifeboat on a kind cluster, for whoever has Docker and kind. It creates a
# cluster, loads the two images `make images` built (build/images, through skopeo; nothing is
# pulled from ghcr.io), installs the chart with hack/e2e-kind/values.yaml, and runs the demo's
# story: an app database and MinIO, a backup now, then a DR drill of that backup. It prints the
# statuses and exits non-zero when the backup fails or the drill does not pass.
#
#   KIND_CLUSTER=lifeboat-e2e   the cluster's name (reused when it exists)
#   LIFEBOAT_E2E_KEEP=1         leave the cluster afterwards (else it is deleted)
# Needs docker, kind and skopeo; helm and kubectl from PATH, else those `make testbin` built.
# The test API server checks every manifest this applies (test/integration/install/apply.test.ts);
# the run itself needs Docker, which the CI machines do not have.
set -euo pipefail
cd "$(dirname "$0")/.."
cluster=${KIND_CLUSTER:-lifeboat-e2e}
version=$(node_modules/.bin/node -p 'require("./package.json").version')
testbin=$(bash hack/testbin/dir.sh)
for tool in helm kubectl; do command -v "$tool" >/dev/null || PATH="$PATH:$testbin"; done
for tool in docker kind skopeo helm kubectl; do
  command -v "$tool" >/dev/null || { echo "e2e-kind needs $tool on PATH" >&2; exit 1; }
done
say() { printf '\n== %s\n' "$*"; }
keep=${LIFEBOAT_E2E_KEEP:-}
tmp=$(mktemp -d)
cleanup() {
  rm -rf "$tmp"
  [[ -n $keep ]] || kind delete cluster --name "$cluster" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# Polls .status.<field> of one object until it is one of the wanted values; fails on a bad one.
wait_for() { # kind name field good bad timeout-seconds
  local deadline=$((SECONDS + $6)) value=
  while ((SECONDS < deadline)); do
    value=$(kubectl -n lifeboat-e2e get "$1/$2" -o "jsonpath={.status.$3}" 2>/dev/null || true)
    [[ $value == "$4" ]] && { echo "  $1/$2: $3=$value"; return 0; }
    [[ $value == "$5" ]] && break
    sleep 5
  done
  echo "$1/$2: $3=${value:-unset} (wanted $4)" >&2
  kubectl -n lifeboat-e2e get "$1/$2" -o yaml >&2
  kubectl -n lifeboat-system logs deployment/lifeboat-operator --tail=50 >&2 || true
  return 1
}

say "kind cluster $cluster"
kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 120s
kubectl config use-context "kind-$cluster" >/dev/null

say "loading lifeboat-operator:$version and lifeboat-runner:$version from build/images"
for repo in lifeboat-operator lifeboat-runner; do
  skopeo copy --quiet "oci:build/images/$repo:$version" "docker-archive:$tmp/$repo.tar:ghcr.io/lifeboat-dev/$repo:$version"
  kind load image-archive "$tmp/$repo.tar" --name "$cluster"
done

say "helm install lifeboat charts/lifeboat (CRDs, RBAC, the operator)"
helm upgrade --install lifeboat charts/lifeboat --namespace lifeboat-system --create-namespace \
  -f hack/e2e-kind/values.yaml --wait --timeout 5m

say "backends: PostgreSQL with the app's data, MinIO with the backup bucket"
kubectl apply -f hack/e2e-kind/00-backends.yaml
kubectl -n lifeboat-e2e wait --for=condition=Available --timeout=5m deployment/app-db deployment/minio
kubectl -n lifeboat-e2e wait --for=condition=Complete --timeout=5m job/make-bucket

say "a BackupSchedule and a BackupRun now"
kubectl apply -f hack/e2e-kind/10-backup.yaml
wait_for backuprun app-now phase Succeeded Failed 600

say "a DR drill of that backup"
kubectl apply -f hack/e2e-kind/20-drill.yaml
wait_for drdrillrun app-drill-now result Passed Failed 900

say "statuses"
kubectl -n lifeboat-e2e get lifeboat -o wide
kubectl -n lifeboat-e2e get drdrillrun/app-drill-now -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}'
say "e2e-kind passed${keep:+ (cluster $cluster kept: kind delete cluster --name $cluster)}"
