#!/usr/bin/env bash
# The stock tools the benchmarks race Lifeboat against: rclone (copy, rcat) from Debian. Not
# needed by `make test` or the product. Installs what is missing when run as root.
set -euo pipefail
missing=()
command -v rclone >/dev/null 2>&1 || missing+=(rclone)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages for the benchmarks: ${missing[*]} (sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
