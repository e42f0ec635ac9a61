#!/usr/bin/env bash
# Builds one Go test tool from a wrapper module in hack/testbin/<module>/ into the testbin
# directory, named by a hash of that module's files (go.mod, go.sum, *.go), and points a
# stable name at it. A changed pin or source builds a new binary; an unchanged one is reused,
# so a warm `make testbin` costs nothing.
#   usage: tool.sh <testbin dir> <module folder> <binary name> <package path>
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$1"; module="$here/$2"; name="$3"; pkg="$4"
hash="$(cd "$module" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)"
target="$dir/tools/$name-$hash"
if [ ! -x "$target" ]; then
  printf '[testbin] building %s (%s)\n' "$name" "$2" >&2
  t0=$SECONDS
  mkdir -p "$dir/tools"
  (cd "$module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" \
    go build -pgo=off -trimpath -ldflags "-s -w" -o "$target.tmp" "$pkg")
  mv "$target.tmp" "$target"
  printf '[testbin]   took %ss\n' "$((SECONDS - t0))" >&2
fi
ln -sfn "tools/$name-$hash" "$dir/$name"
