#!/usr/bin/env bash
# The Prometheus Operator's CRDs for ServiceMonitor and PrometheusRule, for the install tests: with
# them the test API server can dry-run the chart's ServiceMonitor and PrometheusRule and
# deploy/monitoring (test/integration/install/apply.test.ts). They are YAML files of the Go module
# github.com/prometheus-operator/prometheus-operator (example/prometheus-operator-crd/), fetched
# with `go mod download` (the module proxy, checked against the checksum database and the hash
# pinned here) and copied into <testbin dir>/tools/prometheus-operator-crds-<version>/, with a
# stable link <testbin dir>/prometheus-operator-crds. A new version fetches again; the same one is
# reused, so a warm `make testbin` costs nothing.
#   usage: prometheus-operator-crds.sh <testbin dir>
set -euo pipefail
module=github.com/prometheus-operator/prometheus-operator
version=v0.94.1
# The module zip's hash, as go.sum would hold it.
sum='h1:QEIb2wenPH+SdMN1xMf8l4Pmj00YYXXI6HlbLlQWkww='
files=(monitoring.coreos.com_servicemonitors.yaml monitoring.coreos.com_prometheusrules.yaml)
name=prometheus-operator-crds
dir="$1"
target="$dir/tools/$name-$version"
if [ ! -d "$target" ]; then
  printf '[testbin] fetching %s (%s %s)\n' "$name" "$module" "$version" >&2
  t0=$SECONDS
  # Outside any module, so that no go.mod around the repository takes part.
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  info="$(cd "$scratch" && GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "$module@$version")" || {
    printf '[testbin] go mod download %s@%s failed:\n%s\n' "$module" "$version" "$info" >&2
    exit 1
  }
  field() { sed -n "s/^[[:space:]]*\"$1\": \"\\(.*\\)\",\{0,1\}\$/\\1/p" <<<"$info"; }
  if [ "$(field Sum)" != "$sum" ]; then
    printf '[testbin] %s@%s has hash %s, expected %s\n' "$module" "$version" "$(field Sum)" "$sum" >&2
    exit 1
  fi
  source_dir="$(field Dir)/example/prometheus-operator-crd"
  mkdir -p "$dir/tools"
  rm -rf "$target.tmp"
  mkdir "$target.tmp"
  for file in "${files[@]}"; do cp "$source_dir/$file" "$target.tmp/"; done
  chmod 0644 "$target.tmp"/*
  mv "$target.tmp" "$target"
  printf '[testbin]   took %ss\n' "$((SECONDS - t0))" >&2
fi
ln -sfn "tools/$name-$version" "$dir/$name"
