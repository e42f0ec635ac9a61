#!/usr/bin/env bash
# `make demo`: Lifeboat's whole story on a local control plane, printing what a user types and
# sees: (1) a backup, (2) a RestoreRequest into a new database, (3) a DR drill that passes with
# its measured RTO and RPO and its report, (4) a row written after the backup, no new backup, and
# a second drill ("drill now") whose restored copy lacks that row and whose RPO has grown.
#
# It starts its own test environment (real etcd, kube-apiserver, controller-manager, scheduler,
# the test kubelet, a throwaway PostgreSQL and MinIO; the code the integration tests use) and
# installs the operator with deploy/overlays/cluster-wide: the kubelet runs its pod from the
# lifeboat-operator image and the runner Jobs from lifeboat-runner, with runc (build/images,
# `make images`). Where the kubelet cannot use runc (not root, no runc or umoci), pods run as
# host processes, and so does the operator. It stops everything when it ends, also when a step
# fails (exit status non-zero) or it is interrupted; the environment also goes down by itself
# if this script dies (it watches this shell's pid).
#
#   LIFEBOAT_DEMO_KEEP=1 make demo   leave the environment and the operator running afterwards,
#                                    to look around; stop them with `make testenv-down`
set -euo pipefail
cd "$(dirname "$0")/.."
node=node_modules/.bin/node
keep=${LIFEBOAT_DEMO_KEEP:-}
started=$(date +%s)

workdir=$(mktemp -d -t lifeboat-demo-XXXXXX)
cachedir=$workdir/kube-cache
mkdir -p .testenv "$cachedir"
oplog=.testenv/demo-operator.log
if [[ -n $keep ]]; then
  export LIFEBOAT_DEMO_STATE=$PWD/.testenv/state.json   # where `make testenv-down` looks
else
  export LIFEBOAT_DEMO_STATE=$workdir/state.json
fi
env_up= operator_pid= operator_in_cluster=

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if ((rc != 0)); then
    echo
    echo "demo FAILED (exit status $rc)" >&2
    [[ -n $operator_in_cluster ]] && kubectl logs -n lifeboat-system deployment/lifeboat-operator >"$oplog" 2>&1
    if [[ -f $oplog ]] && grep -q '"level":"\(warn\|error\|fatal\)"' "$oplog"; then
      echo "  the operator's last warnings and errors ($oplog):" >&2
      grep '"level":"\(warn\|error\|fatal\)"' "$oplog" | tail -n 10 | cut -c1-500 | sed 's/^/  /' >&2
    fi
  fi
  if [[ -z $keep ]]; then
    if [[ -n $operator_pid ]] && kill -0 "$operator_pid" 2>/dev/null; then
      kill -TERM "$operator_pid" && wait "$operator_pid" 2>/dev/null
    fi
    if [[ -n $env_up ]]; then
      echo
      echo "== stopping the operator and the environment (PostgreSQL, MinIO, control plane and their data go with it)"
      stop_environment
    fi
  elif [[ -n $env_up ]] && ((rc != 0)); then
    echo "  the environment and the operator stay up (LIFEBOAT_DEMO_KEEP): make testenv-down stops them"
  fi
  rm -rf "$workdir"
  echo "  demo $( ((rc == 0)) && echo finished || echo failed ) in $(($(date +%s) - started)) s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The supervisor tears the environment down on SIGTERM (and by itself when this shell is gone).
stop_environment() {
  local pid=${LIFEBOAT_DEMO_SUPERVISOR:-} i
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 600; i++)); do kill -0 "$pid" 2>/dev/null || { echo "  stopped"; return 0; }; sleep 0.1; done
  echo "  the environment's supervisor (pid $pid) did not stop within 60 s" >&2
  return 1
}

section() { echo; echo "== $*"; }
say() { printf '  %s\n' "$@"; }
out() { sed 's/^/    /'; }
# A command line as a user would type it: words quoted only where the shell needs it.
shown() {
  local word words=()
  for word in "$@"; do
    if [[ $word =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then words+=("$word")
    elif [[ $word != *"'"* ]]; then words+=("'$word'")
    elif [[ $word != *[\"\$\`\\]* ]]; then words+=("\"$word\"")
    else words+=("$(printf %q "$word")"); fi
  done
  printf '  $ %s\n' "${words[*]}"
}
# Show a command, then run it with its output indented (blank lines at its end dropped).
run() { shown "$@"; "$@" 2>&1 | awk 'NF { for (; n > 0; n--) print ""; print; next } { n++ }' | out; }
# Show `kubectl VERB -f -` with the manifest as a here-document, then do it.
apply() {
  local verb=$1 file=$workdir/$2.yaml
  printf '  $ kubectl %s -f - <<EOF\n%s\n  EOF\n' "$verb" "$(sed 's/^/  /' "$file")"
  kubectl "$verb" -f "$file" 2>&1 | out
}

section "a throwaway local control plane, PostgreSQL and MinIO (the test environment)"
env_up=1
# shellcheck disable=SC2046
$node hack/demo.ts prepare "$workdir" $( [[ -n $keep ]] || echo $$ )
# shellcheck source=/dev/null
source "$workdir/env.sh"
export PATH=$LIFEBOAT_BIN_DIR:$PATH
kubectl() { command kubectl --cache-dir "$cachedir" "$@"; }   # a discovery cache of our own
say "This shell has KUBECONFIG, PGHOST/PGPORT/PGUSER and AWS_* set to it; kubectl is on PATH."

section "installing Lifeboat's CRDs and the operator"
run kubectl apply --server-side -f crds/
kubectl wait --for=condition=Established -f crds/ --timeout=60s >/dev/null
if [[ $KUBELET_MODE == runc ]]; then
  say "deploy/overlays/cluster-wide as shipped (namespace, ServiceAccount, Role, ClusterRole, the Deployment of the" \
      "lifeboat-operator image), through an overlay for this one-host cluster: one replica, and /healthz," \
      "/readyz and /metrics on a free port of 127.0.0.1 (pods share this machine's network)."
  printf '  $ cat %s/kustomization.yaml\n' "$OPERATOR_OVERLAY"
  out <"$OPERATOR_OVERLAY/kustomization.yaml"
  run kubectl apply --server-side -k "$OPERATOR_OVERLAY"
  operator_in_cluster=1
  kubectl rollout status deployment/lifeboat-operator -n lifeboat-system --timeout=180s >/dev/null
  run kubectl get pods -n lifeboat-system \
    -o custom-columns='NAME:.metadata.name,SERVICE ACCOUNT:.spec.serviceAccountName,IMAGE:.spec.containers[0].image,CONTAINER:.status.containerStatuses[0].containerID'
  container=$(kubectl get pods -n lifeboat-system -l app.kubernetes.io/component=operator -o jsonpath='{.items[0].status.containerStatuses[0].containerID}')
  if [[ $container != runc://* ]]; then echo "the operator's pod did not run from its image with runc ($container)" >&2; exit 1; fi
  say "The operator runs from its image with runc, with the shipped RBAC and its service account's token."
else
  say "The kubelet runs pods as host processes here (make images, root, runc and umoci give it runc), and" \
      "the operator's image cannot run that way: the operator runs as a host process instead."
  kubectl create namespace lifeboat-system >/dev/null
  launcher=(nohup)   # LIFEBOAT_DEMO_KEEP: outlives this script
  [[ -z $keep ]] && launcher=(setpriv --pdeathsig TERM --)   # else dies with this shell, whatever happens
  KUBECONFIG=$KUBECONFIG \
  LIFEBOAT_LEASE_NAMESPACE=lifeboat-system \
  LIFEBOAT_HTTP_HOST=127.0.0.1 LIFEBOAT_HTTP_PORT=0 \
  POD_NAME=demo-operator \
    "${launcher[@]}" $node dist/operator/main.js >"$oplog" 2>&1 &
  operator_pid=$!
  [[ -n $keep ]] && echo "$operator_pid" >.testenv/operator.pid
  say "operator pid $operator_pid, log $oplog (JSON); it holds the Lease lifeboat-system/lifeboat-operator"
fi

section "the application: a database and three buckets"
$node hack/demo.ts seed
run psql -d app -c 'SELECT count(*) AS diagrams, max(updated_at) AS newest FROM diagrams'

section "1. Backup"
say "A BackupSchedule: the database and the three buckets, every night at 02:00 UTC, into" \
    "s3://$BACKUP_BUCKET/backups/, keeping 7. Nothing fires during the demo, so we back up now:" \
    "a BackupRun with only scheduleRef."
apply apply schedule
apply create backup-now
$node hack/demo.ts wait-backup app-now
rm -rf "${cachedir:?}"/*   # discovery cached before the CRDs were served lacks the category
run kubectl get lifeboat -n demo

section "2. Restore the database into a new database"
say "A RestoreRequest restores the source app-db of app-now into app_restored, which it creates" \
    "(it never writes into a database that has tables unless told to)."
apply create restore
$node hack/demo.ts wait-restore app-restore
run kubectl get restorerequest -n demo
counts='SELECT (SELECT count(*) FROM customers) AS customers, (SELECT count(*) FROM diagrams) AS diagrams, (SELECT count(*) FROM invoices) AS invoices'
run psql -d app -c "$counts"
run psql -d app_restored -c "$counts"
original=$(psql -d app -Atc "$counts") restored=$(psql -d app_restored -Atc "$counts")
if [[ $original != "$restored" ]]; then
  echo "the restored database has other row counts ($restored) than the original ($original)" >&2
  exit 1
fi
say "Same row counts (customers|diagrams|invoices = $restored): the restore is complete."

section "3. A disaster-recovery drill"
say "A one-off DRDrill (no spec.schedule: it runs once, when applied; with a cron schedule it would" \
    "repeat). Scenario CompleteFailure: the backup is found through the manifests in the bucket" \
    "alone, every source is restored into new scratch databases and buckets, verified (row counts" \
    "against the backup's snapshot, checksums, schema objects, an SQL check), measured, and removed." \
    "The RPO is incident time minus the newest data in the restored copy: the freshness query."
apply apply drill
$node hack/demo.ts wait-drill app-drill
first=$(kubectl get drdrill app-drill -n demo -o jsonpath='{.status.latest.name}')
run kubectl get drdrill -n demo
run kubectl get drdrillrun -n demo
say "The report is next to the backups, readable without Lifeboat (here with curl's SigV4):"
run kubectl get drdrillrun "$first" -n demo -o jsonpath='{.status.report.markdownKey}{"\n"}'
key=$(kubectl get drdrillrun "$first" -n demo -o jsonpath='{.status.report.markdownKey}')
sha=$(kubectl get drdrillrun "$first" -n demo -o jsonpath='{.status.report.markdownSha256}')
printf '  $ curl -s --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$S3_ENDPOINT/%s/%s"\n' "$BACKUP_BUCKET" "$key"
curl -sSf --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$S3_ENDPOINT/$BACKUP_BUCKET/$key" >"$workdir/report.md"
out <"$workdir/report.md"
if [[ $(sha256sum <"$workdir/report.md" | cut -d' ' -f1) != "$sha" ]]; then
  echo "the report's SHA-256 differs from status.report.markdownSha256 ($sha)" >&2
  exit 1
fi
say "Its SHA-256 matches status.report.markdownSha256."

section "4. A row written after the backup, and the next drill"
run psql -d app -c "INSERT INTO diagrams (customer_id, title) VALUES (7, 'written after the backup') RETURNING id, title, updated_at"
say "No new backup is taken (the next one is tonight at 02:00): app-now is still the newest."
run kubectl get backuprun -n demo
if [[ $(kubectl get backuprun -n demo -o name | wc -l) != 1 ]]; then echo "a new backup was taken" >&2; exit 1; fi
say "Drill now: a DRDrillRun with only drillRef runs the drill's plan again, at this moment."
apply create drill-now
$node hack/demo.ts wait-drill-run drill-now
run kubectl get drdrill -n demo
run kubectl get drdrillrun -n demo
say "Both drills restored the same backup; the incident is later, the newest data restored is not:"
$node hack/demo.ts compare "$first" drill-now
say "The RPO is measured from the newest data IN THE BACKUP, not from the live database: the row" \
    "written after the backup is not in the restored copy, and it is exactly what this incident" \
    "would lose. The RPO grows with every minute without a new backup, until the next one runs."

if [[ -n $operator_in_cluster ]]; then
  log=$(kubectl logs -n lifeboat-system deployment/lifeboat-operator)
  refused=$(grep -ci forbidden <<<"$log" || true)
  if ((refused > 0)); then echo "the API server refused $refused of the operator's requests: deploy/base/10-rbac.yaml lacks a rule" >&2; exit 1; fi
  say "The operator did all of this under the RBAC deploy/overlays/cluster-wide ships: its log has no refused request."
fi

if [[ -n $keep ]]; then
  if [[ -n $operator_in_cluster ]]; then
    logs="kubectl logs -f -n lifeboat-system deployment/lifeboat-operator   # the operator's JSON log"
    metrics=$OPERATOR_URL
  else
    logs="tail -f $oplog                 # the operator's JSON log"
    metrics=$(grep -o '"http":"[^"]*"' "$oplog" | head -1 | cut -d'"' -f4 || true)
  fi
  cat <<TXT

Look around (the environment and the operator keep running):
  export KUBECONFIG=$KUBECONFIG PATH=$LIFEBOAT_BIN_DIR:\$PATH
  kubectl get lifeboat -n demo                    # schedules, runs, restores, drills
  kubectl describe drdrillrun -n demo drill-now   # steps, checks, RTO and RPO, events
  kubectl get jobs,pods -n demo                   # the runner Jobs
  $logs${metrics:+
  curl -s $metrics/metrics | grep lifeboat_   # backup and drill metrics}
Stop everything (operator included): make testenv-down
TXT
fi
