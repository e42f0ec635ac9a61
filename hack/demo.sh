#!/usr/bin/env bash
# `make demo`: Lifeboat's backup story end to end on a local control plane. Brings up the test
# environment (real etcd, kube-apiserver, controller-manager, scheduler, the process kubelet that
# runs Job pods as local processes, a throwaway PostgreSQL and MinIO), seeds an application
# database and three buckets, installs the CRDs, starts the operator in the background, applies
# a schedule that fires every minute and waits for its first successful backup.
set -euo pipefail
cd "$(dirname "$0")/.."
node=node_modules/.bin/node

echo "== the local control plane, PostgreSQL and MinIO"
$node test/env/cli.ts up | sed 's/^/  /'
state=.testenv/state.json
info() { $node -e "console.log(JSON.parse(require('fs').readFileSync('$state','utf8')).info.$1)"; }
kubeconfig=$(info kubeconfig)
bindir=$(info binDir)
# Our own discovery cache: one from before the CRDs were installed would not know "lifeboat".
cachedir=$(mktemp -d)
trap 'rm -rf "$cachedir"' EXIT
kubectl() { "$bindir/kubectl" --kubeconfig "$kubeconfig" --cache-dir "$cachedir" "$@"; }

echo
echo "== installing Lifeboat's CRDs"
kubectl apply --server-side --force-conflicts -f crds/ | sed 's/^/  /'
kubectl wait --for=condition=Established -f crds/ --timeout=60s >/dev/null

echo
echo "== seeding the application"
$node hack/demo.ts seed

echo
echo "== starting the operator (log: .testenv/operator.log)"
pidfile=.testenv/operator.pid
if [[ -f $pidfile ]] && kill -0 "$(cat $pidfile)" 2>/dev/null; then
  echo "  already running (pid $(cat $pidfile))"
else
  kubectl create namespace lifeboat-system --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  KUBECONFIG=$kubeconfig \
  LIFEBOAT_RUNNER_IMAGE=ghcr.io/lifeboat-dev/lifeboat-runner:dev \
  LIFEBOAT_LEASE_NAMESPACE=lifeboat-system \
  LIFEBOAT_HTTP_HOST=127.0.0.1 LIFEBOAT_HTTP_PORT=0 \
  POD_NAME=demo-operator \
    nohup $node dist/operator/main.js >.testenv/operator.log 2>&1 &
  echo $! >$pidfile
  echo "  pid $(cat $pidfile); leader election on the Lease lifeboat-system/lifeboat-operator"
fi

echo
echo "== applying a BackupSchedule that fires every minute"
$node hack/demo.ts schedule

echo
echo "== waiting for the first successful backup (at most 4 minutes)"
$node hack/demo.ts wait

echo
echo "== kubectl get lifeboat -n demo"
rm -rf "${cachedir:?}"/*   # discovery cached before the CRDs were served lacks the category
kubectl get lifeboat -n demo

echo
echo "== the artifacts in the backup bucket"
$node hack/demo.ts artifacts

metrics=$(grep -o '"http":"[^"]*"' .testenv/operator.log | head -1 | cut -d'"' -f4 || true)
cat <<TXT

Look around:
  export KUBECONFIG=$kubeconfig PATH=$bindir:\$PATH
  kubectl get lifeboat -n demo            # schedules and runs, with sizes and durations
  kubectl describe backuprun -n demo      # per-source artifacts, conditions and events
  kubectl get jobs,pods -n demo           # the runner Jobs
  tail -f .testenv/operator.log           # the operator's JSON log${metrics:+
  curl $metrics/metrics | grep lifeboat_backup   # freshness, sizes, durations}
A new run starts every minute; keepLast 3 prunes the older ones (and their artifacts).
Stop everything (operator included): make testenv-down
TXT
