#!/usr/bin/env bash
# The production node_modules both images carry: `npm ci --omit=dev` of package-lock.json,
# without what Node never loads (source maps, TypeScript sources and declarations, the packages'
# own tests, their command-line links). hack/images/build.sh caches the result under a hash of the lock file and this file.
#
#   node-modules.sh <dir>      writes <dir>/node_modules
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1
mkdir -p "$out"
cp package.json package-lock.json "$out/"
# No install scripts: the production dependencies need none, and none may run at build time.
(cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
# npm's lock copy and the packages' command-line links: nothing runs them in an image.
rm -rf "$out/package.json" "$out/package-lock.json" "$out/node_modules/.package-lock.json" "$out/node_modules/.bin"
find "$out/node_modules" -type f \( -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' \
  -o -name '*.test.js' -o -name '*.test.mjs' -o -name '*.test.cjs' -o -name '*.spec.js' -o -name '*.spec.mjs' -o -name '*.spec.cjs' \) -delete
# A package's test folder sits at its root: node_modules/<name>/test, node_modules/@scope/<name>/test.
tests=(-type d \( -name test -o -name tests -o -name __tests__ -o -name spec -o -name specs \) -prune -exec rm -rf {} +)
find "$out/node_modules" -mindepth 2 -maxdepth 2 ! -path "$out/node_modules/@*" "${tests[@]}"
find "$out/node_modules" -mindepth 3 -maxdepth 3 -path "$out/node_modules/@*" "${tests[@]}"
