#!/usr/bin/env bash
# helm, for the chart tests (helm lint --strict, helm template): built from its Go module.
#   usage: helm.sh <testbin dir>
set -euo pipefail
bash "$(dirname "$0")/../tool.sh" "$1" helm helm helm.sh/helm/v3/cmd/helm
