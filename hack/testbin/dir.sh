#!/usr/bin/env bash
# Prints where the test binaries live: $LIFEBOAT_TESTBIN_DIR, or a per-version folder in the user cache.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/versions.env"
if [ -n "${LIFEBOAT_TESTBIN_DIR:-}" ]; then echo "$LIFEBOAT_TESTBIN_DIR"; exit 0; fi
# A pseudo-version ends in the commit hash, which is what names a MinIO build.
key="k8s-${KUBERNETES_VERSION}_etcd-${ETCD_VERSION}_minio-${MINIO_VERSION: -12}_gofakes3-${GOFAKES3_VERSION}"
echo "${XDG_CACHE_HOME:-$HOME/.cache}/lifeboat/testbin/$key"
