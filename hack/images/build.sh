#!/usr/bin/env bash
# make images: the operator and runner images as OCI layouts in build/images/lifeboat-operator
# and build/images/lifeboat-runner (the repositories' names), tagged with package.json's version, from Debian packages and dist/, without Docker or a registry.
#
# Each image is two layers: the root file system (hack/images/rootfs.sh: Debian trixie minbase
# plus images/<name>/packages, cached in ~/.cache/lifeboat/images under a hash of both, so only
# a change to either runs mmdebstrap again) and the application (/usr/local/bin/node, /app with
# dist/, package.json and the production node_modules). umoci writes the layout and the config
# (user 65532, entry point, environment); hack/images/describe.ts names the references from
# src/contract/images.ts, writes build/images/images.json and prints packages and sizes.
#
# Expects dist/ built (`make images` runs `make build` first). LIFEBOAT_IMAGES="runner" builds
# one image; LIFEBOAT_IMAGES_CACHE moves the cache; LIFEBOAT_MMDEBSTRAP_MODE is rootfs.sh's.
# With LIFEBOAT_IMAGES_STAGE=<dir>, writes each image's file system unpacked into <dir>/<name>
# instead of a layout (what the Dockerfiles copy into a scratch image).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
node=$root/node_modules/.bin/node
[ -x "$node" ] || { echo "node_modules/.bin/node is missing: run make deps" >&2; exit 1; }
read -r -a names <<<"${LIFEBOAT_IMAGES:-operator runner}"
cache=${LIFEBOAT_IMAGES_CACHE:-$HOME/.cache/lifeboat/images}
out=$root/build/images
stage=${LIFEBOAT_IMAGES_STAGE:-}
version=$("$node" hack/images/describe.ts version)
image_source=$("$node" hack/images/describe.ts source)
started=$SECONDS

work=$(mktemp -d "${TMPDIR:-/tmp}/lifeboat-images.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$cache/rootfs" "$cache/node_modules"

# Layer and config times: the last commit's, so that two builds of one commit agree.
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

# What differs between the images besides their packages: the program and its environment.
# images/<name>/Dockerfile says the same (test/integration/images/dockerfile.test.ts compares).
default_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
image_settings() {
  case $1 in
    operator)
      entrypoint=/app/dist/operator/main.js
      env=("PATH=$default_path")
      ;;
    runner)
      # pg_dump and friends of the image's PostgreSQL 17 by full path (src/postgres/tools.ts),
      # not Debian's pg_wrapper in /usr/bin, which is a perl script choosing among versions.
      entrypoint=/app/dist/runner/main.js
      env=("PATH=/usr/lib/postgresql/17/bin:$default_path" "LIFEBOAT_PG_BINDIR=/usr/lib/postgresql/17/bin")
      ;;
    *) echo "unknown image $1 (operator or runner)" >&2; return 1 ;;
  esac
}

# --- root file systems: cached, else mmdebstrap, the images in parallel -------------------------
# Keyed by what builds it, comments aside: a comment edit does not cost a rebuild.
rootfs_of() { echo "$cache/rootfs/$1-$(grep -hv '^[[:space:]]*#' hack/images/rootfs.sh "images/$1/packages" | sha256sum | cut -c1-16)"; }

build_rootfs() {
  local name=$1 base
  base=$(rootfs_of "$name")
  if [ -f "$base.tar" ] && [ -f "$base.packages" ]; then
    echo "$name: root file system cached ($(basename "$base").tar)"
    return 0
  fi
  echo "$name: building the root file system with mmdebstrap (a few minutes; log $work/$name-rootfs.log)"
  local begin=$SECONDS
  # The file times of the root file system: the last change to what it is made of.
  local rootfs_epoch
  rootfs_epoch=$(git log -1 --format=%ct -- hack/images/rootfs.sh "images/$name/packages" 2>/dev/null || true)
  if ! SOURCE_DATE_EPOCH=${rootfs_epoch:-0} bash hack/images/rootfs.sh "images/$name/packages" "$base.tar.partial" "$base.packages.partial" >"$work/$name-rootfs.log" 2>&1; then
    tail -n 30 "$work/$name-rootfs.log" >&2
    rm -f "$base.tar.partial" "$base.packages.partial"
    echo "$name: mmdebstrap failed" >&2
    return 1
  fi
  mv "$base.packages.partial" "$base.packages"
  mv "$base.tar.partial" "$base.tar"
  # Older root file systems of this image are dead weight.
  find "$cache/rootfs" -maxdepth 1 -name "$name-*" ! -name "$(basename "$base").*" -delete
  echo "$name: root file system built in $((SECONDS - begin)) s"
}

pids=()
for name in "${names[@]}"; do
  image_settings "$name" >/dev/null
  build_rootfs "$name" &
  pids+=($!)
done

# --- production node_modules, cached by the lock file and the script -----------------------------
modules=$cache/node_modules/$(cat package.json package-lock.json hack/images/node-modules.sh | sha256sum | cut -c1-16)
if [ ! -d "$modules/node_modules" ]; then
  echo "installing production node_modules (npm ci --omit=dev)"
  rm -rf "$modules.partial"
  bash hack/images/node-modules.sh "$modules.partial"
  find "$cache/node_modules" -mindepth 1 -maxdepth 1 ! -name "$(basename "$modules").partial" -exec rm -rf {} +
  mv "$modules.partial" "$modules"
fi

# --- the application layer, shared by both images ------------------------------------------------
app=$work/app
mkdir -p "$app/app/dist" "$app/usr/local/bin"
# The compiled program, minus tests, test fixtures and source maps: the .js of each source file.
missing=0
while IFS= read -r source; do
  js=${source%.ts}.js
  if [ ! -f "dist/$js" ]; then echo "dist/$js is missing: run make build" >&2; missing=1; continue; fi
  [ "dist/$js" -nt "src/$source" ] || echo "warning: dist/$js is older than src/$source (make images builds first)" >&2
  mkdir -p "$app/app/dist/$(dirname "$js")"
  cp "dist/$js" "$app/app/dist/$js"
done < <(cd src && find . -name '*.ts' ! -name '*.test.ts' ! -path '*/testing/*' | sed 's|^\./||' | sort)
[ "$missing" -eq 0 ] || exit 1
cp package.json "$app/app/package.json"
cp -a "$modules/node_modules" "$app/app/node_modules"
# Node's debug symbols and symbol table are 18 MB of the 126 MB binary, and nothing at run time
# reads them (native addons link against the dynamic symbols, which stay).
strip --strip-all -o "$app/usr/local/bin/node" node_modules/node/bin/node
"$app/usr/local/bin/node" -e 'if (!process.version.startsWith("v24.")) process.exit(1)' || { echo "the stripped node does not run" >&2; exit 1; }
chmod -R u=rwX,go=rX "$app"
tar --create --file "$work/app.tar" --directory "$app" --sort=name --format=pax \
  --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  usr/local/bin/node app

status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
[ "$status" -eq 0 ] || exit 1

# --- unpacked file systems for the Dockerfiles ----------------------------------------------------
if [ -n "$stage" ]; then
  for name in "${names[@]}"; do
    rm -rf "${stage:?}/$name" && mkdir -p "$stage/$name"
    tar --extract --file "$(rootfs_of "$name").tar" --directory "$stage/$name" --numeric-owner --same-permissions
    tar --extract --file "$work/app.tar" --directory "$stage/$name" --numeric-owner --same-permissions
    cp "$(rootfs_of "$name").packages" "$stage/$name.packages"
  done
  echo "file systems of ${names[*]} in $stage"
  exit 0
fi

# --- OCI layouts ----------------------------------------------------------------------------------
mkdir -p "$out"
for name in "${names[@]}"; do
  image_settings "$name"
  # The layout's directory is the repository's name, as the references' last path segment.
  repository=$("$node" hack/images/describe.ts repository "$name")
  layout=$work/layout-$name
  image=$layout:$version
  umoci init --layout "$layout"
  umoci new --image "$image"
  umoci raw add-layer --image "$image" --history.created "$created" \
    --history.created_by "hack/images/rootfs.sh images/$name/packages (Debian trixie minbase)" "$(rootfs_of "$name").tar"
  umoci raw add-layer --image "$image" --history.created "$created" \
    --history.created_by "hack/images/build.sh: /usr/local/bin/node, /app" "$work/app.tar"
  config=(--config.user 65532:65532 --config.workingdir /app
    --config.entrypoint /usr/local/bin/node --config.entrypoint "$entrypoint"
    --config.label "org.opencontainers.image.version=$version"
    --config.label "org.opencontainers.image.source=$image_source"
    --config.label "org.opencontainers.image.title=$repository")
  for variable in "${env[@]}"; do config+=(--config.env "$variable"); done
  umoci config --image "$image" --created "$created" --history.created "$created" \
    --history.created_by "hack/images/build.sh: user, entry point, environment" "${config[@]}"
  umoci gc --layout "$layout"
  # Readers of build/images/<name> see the old layout or the new one, never half of one.
  rm -rf "$out/$repository.old"
  [ ! -e "$out/$repository" ] || mv "$out/$repository" "$out/$repository.old"
  mv "$layout" "$out/$repository"
  rm -rf "$out/$repository.old"
  cp "$(rootfs_of "$name").packages" "$out/$repository.packages"
done

"$node" hack/images/describe.ts summary "$version" "${names[@]}"

# Where a Docker daemon answers, the images go into it too (docker run, kind load docker-image).
if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  for name in "${names[@]}"; do
    reference=$("$node" hack/images/describe.ts reference "$name" "$version")
    if skopeo copy --quiet "oci:$out/$("$node" hack/images/describe.ts repository "$name"):$version" "docker-daemon:$reference"; then
      echo "loaded $reference into Docker"
    else
      echo "warning: could not load $reference into Docker (the OCI layout is built)" >&2
    fi
  done
fi
echo "images built in $((SECONDS - started)) s"
