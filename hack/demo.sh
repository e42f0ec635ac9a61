#!/usr/bin/env bash
# `make demo`: Lifeboat end to end on a local control plane.
# Today it brings up the local control plane (real etcd, kube-apiserver, controller-manager,
# scheduler, the process kubelet), a throwaway PostgreSQL and MinIO, and installs Lifeboat's
# CRDs. The operator is not written yet (issue #5): once it is, the demo seeds an application
# database and buckets, starts the operator, applies a schedule that fires every minute, waits
# for a successful backup and prints `kubectl get lifeboat` and where the artifacts are.
set -euo pipefail
cd "$(dirname "$0")/.."
node=node_modules/.bin/node

$node test/env/cli.ts up
state=.testenv/state.json
kubeconfig=$($node -e "console.log(JSON.parse(require('fs').readFileSync('$state','utf8')).info.kubeconfig)")
bindir=$($node -e "console.log(JSON.parse(require('fs').readFileSync('$state','utf8')).info.binDir)")
kubectl() { "$bindir/kubectl" --kubeconfig "$kubeconfig" "$@"; }

echo
echo "== the cluster"
kubectl get nodes -o wide
if compgen -G "crds/*.yaml" >/dev/null; then
  echo
  echo "== installing Lifeboat's CRDs"
  kubectl apply --server-side -f crds/
  kubectl wait --for=condition=Established crd -l app.kubernetes.io/part-of=lifeboat --timeout=60s 2>/dev/null \
    || kubectl wait --for=condition=Established -f crds/ --timeout=60s
  kubectl api-resources --categories=lifeboat
fi
cat <<TXT

The operator itself is not built yet (issue #5); this demo will then run a real backup.
Look around:  export KUBECONFIG=$kubeconfig PATH=$bindir:\$PATH; kubectl get all -A
Stop it:      make testenv-down
TXT
