#!/usr/bin/env bash
# lifeboat-health, for the health tests (test/integration/health/): the verdicts of kstatus, Argo CD's
# Lua health checks and Flux's healthCheckExprs on Lifeboat's objects, built from hack/testbin/health.
#   usage: lifeboat-health.sh <testbin dir>
set -euo pipefail
bash "$(dirname "$0")/../tool.sh" "$1" health lifeboat-health .
