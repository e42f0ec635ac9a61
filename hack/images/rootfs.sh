#!/usr/bin/env bash
# The root file system of one image: Debian trixie minbase plus the packages that
# images/<name>/packages lists, as a tar file that is the image's base layer, and the installed
# packages ("name version" lines, from the root file system's own dpkg database).
#
#   rootfs.sh <packages-file> <rootfs.tar> <packages.txt>
#
# hack/images/build.sh caches the result under a hash of this file and the package list (their
# comments aside), so a change here rebuilds every root file system. LIFEBOAT_MMDEBSTRAP_MODE
# picks mmdebstrap's mode (default auto: root mode as root). The Dockerfiles' build stage runs
# root mode too: without CAP_SYS_ADMIN, as in a build container, mmdebstrap skips mounting /proc,
# /sys and /dev and only chroots. Chrootless mode gives another file system (no CA bundle, no
# /etc/hosts, dpkg's path excludes not applied), so it is not used.
set -euo pipefail

packages_file=$1 out_tar=$2 out_list=$3
suite=trixie
mirror=http://deb.debian.org/debian

packages=$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$packages_file" | grep -v '^$' | paste -sd, -)
[ -n "$packages" ] || { echo "$packages_file lists no package" >&2; exit 1; }

# The same time on every file whatever the day of the build (mmdebstrap honours it).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-0}
# mmdebstrap runs its helpers (mmtarfilter: python3) once per package: the system's python,
# not a version manager's shim that costs a shell start-up each time.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

list_tmp=$out_list.partial
hooks=(
  # The image's user (65532, as in distroless): a name for libpq and Node's os.userInfo().
  --customize-hook='echo "lifeboat:x:65532:65532:lifeboat:/nonexistent:/usr/sbin/nologin" >> "$1/etc/passwd"'
  --customize-hook='echo "lifeboat:x:65532:" >> "$1/etc/group"'
  # The build host's DNS and name are no part of an image (the container runtime sets them).
  --customize-hook='rm -f "$1/etc/resolv.conf" "$1/etc/hostname"'
  # apt's lists and caches, dpkg's backups and logs: written by the build, read by nothing.
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/cache/debconf/*-old "$1"/var/lib/dpkg/*-old "$1"/var/log/*'
  --customize-hook="dpkg-query --admindir=\"\$1/var/lib/dpkg\" --show --showformat='\${Package} \${Version}\\n' > $(printf %q "$list_tmp")"
)

mmdebstrap \
  --mode="${LIFEBOAT_MMDEBSTRAP_MODE:-auto}" \
  --variant=minbase \
  --format=tar \
  --skip=output/dev \
  --include="$packages" \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  "${hooks[@]}" \
  "$suite" "$out_tar" \
  "deb $mirror $suite main" \
  "deb $mirror $suite-updates main" \
  "deb http://deb.debian.org/debian-security $suite-security main"

sort "$list_tmp" > "$out_list"
rm -f "$list_tmp"
