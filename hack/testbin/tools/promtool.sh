#!/usr/bin/env bash
# promtool, for the alert tests: `promtool check rules` and `promtool test rules` on the shipped
# Prometheus rules (charts/lifeboat/files/prometheus-rules.yaml).
#   usage: promtool.sh <testbin dir>
set -euo pipefail
exec bash "$(dirname "$0")/../tool.sh" "$1" prometheus promtool github.com/prometheus/prometheus/cmd/promtool
