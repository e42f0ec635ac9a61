#!/usr/bin/env bash
# The Debian packages the tests need: openssl (test certificates), PostgreSQL 15 server and
# client (throwaway clusters, pg_dump/pg_restore), tar, zstd and curl (stock-tool restores), age
# (decrypting backups without Lifeboat), Go (building the test servers), and what `make images`
# builds the images with (mmdebstrap, umoci, skopeo, strip from binutils; runc runs them in the
# test kubelet; busybox-static is the one binary of the runc-mode tests' small image). Installs what is missing when run as root; otherwise says what to install.
set -euo pipefail
declare -A need=(
  [openssl]=openssl [curl]=curl [pg_dump]=postgresql-client [initdb]=postgresql [tar]=tar [zstd]=zstd [age]=age [setpriv]=util-linux
  [mmdebstrap]=mmdebstrap [umoci]=umoci [skopeo]=skopeo [runc]=runc [strip]=binutils [busybox]=busybox-static
)
missing=()
for cmd in "${!need[@]}"; do
  case "$cmd" in
    initdb) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=("${need[$cmd]}") ;;
    *) command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}") ;;
  esac
done
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "Go (>= 1.24) is needed to build the test servers: https://go.dev/dl" >&2
  exit 1
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
