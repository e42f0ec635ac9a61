#!/usr/bin/env bash
# Builds the real servers the tests run against (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, MinIO, gofakes3) from their Go modules into a cache outside the repo.
# Skips any binary that is already there. Prints the directory on its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

dir="$(bash "$here/dir.sh")"
mkdir -p "$dir"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
log() { printf '[testbin] %s\n' "$*" >&2; }
need() { for b in "$@"; do [ -x "$dir/$b" ] || return 0; done; return 1; }
timed() { local t0=$SECONDS; "$@"; log "  took $((SECONDS - t0))s"; }

command -v go >/dev/null || { log "go is not on PATH: install Go >= 1.24 (https://go.dev/dl)"; exit 1; }

if need etcd; then
  log "building etcd $ETCD_VERSION"
  (cd "$here/etcd" && timed go build -pgo=off -trimpath -ldflags "-s -w" -o "$dir/etcd" go.etcd.io/etcd/server/v3)
fi

if need kube-apiserver kube-controller-manager kube-scheduler kubectl; then
  log "building Kubernetes $KUBERNETES_VERSION (apiserver, controller-manager, scheduler, kubectl)"
  v="$KUBERNETES_VERSION"; major="${v#v}"; major="${major%%.*}"; minor="${v#v*.}"; minor="${minor%%.*}"
  ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$v -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  (cd "$here/kubernetes" && timed go build -pgo=off -trimpath -ldflags "$ld" -o "$dir/" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
fi

if need minio; then
  log "building MinIO $MINIO_VERSION"
  timed env GOBIN="$dir" go install -pgo=off -trimpath -ldflags "-s -w" "github.com/minio/minio@$MINIO_VERSION"
fi

# A second S3 server whose storage is a key-value store (bbolt), as AWS S3's is: it keeps keys
# such as '../x', '//' or both 'a' and 'a/b', which MinIO's file layout refuses.
if need gofakes3; then
  log "building gofakes3 $GOFAKES3_VERSION"
  timed env GOBIN="$dir" go install -pgo=off -trimpath -ldflags "-s -w" "github.com/johannesboyne/gofakes3/cmd/gofakes3@$GOFAKES3_VERSION"
fi

# The tools the tests check shipped files with (helm, promtool, the health harness): one script
# each in hack/testbin/tools/, each building through tool.sh.
for tool in "$here"/tools/*.sh; do
  [ -e "$tool" ] || continue
  bash "$tool" "$dir"
done

echo "$dir"
