#!/usr/bin/env bash
# Builds (once) the ext4 root image of the uml lab hosts and prints its path on the last line.
# Cached under ${HARUN_CACHE:-~/.cache/harun}/lab, keyed by a hash of the recipe (this script,
# rootfs.sh and the UML kernel version): rebuilt only when one of them changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${HARUN_CACHE:-$HOME/.cache/harun}/lab
command -v linux.uml >/dev/null || { echo "linux.uml missing: apt-get install user-mode-linux" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install debootstrap" >&2; exit 1; }
kver=$(linux.uml --version)
hash=$(cat "$here/build-uml-image.sh" "$here/rootfs.sh" <(echo "$kver" "${HARUN_DEBIAN_MIRROR:-}") | sha256sum | cut -c1-16)
img=$cache/uml-$hash.img
if [ -f "$img" ]; then echo "$img"; exit 0; fi
mkdir -p "$cache"
exec 9>"$cache/.uml-build.lock"; flock 9          # two labs building at once share one build
if [ -f "$img" ]; then echo "$img"; exit 0; fi
start=$(date +%s)
work=$(mktemp -d "$cache/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
bash "$here/rootfs.sh" "$work/root"
mkdir -p "$work/root/lib/modules"
cp -a "/usr/lib/uml/modules/$kver" "$work/root/lib/modules/$kver"
# Sparse 4 GiB: room for the build of keepalived from source; costs only what is written.
mkfs.ext4 -q -F -L harun-root -d "$work/root" "$work/img" 4G
mv "$work/img" "$img"
# Older recipes' images are dead weight once a new one exists.
find "$cache" -maxdepth 1 -name 'uml-*.img' ! -name "uml-$hash.img" -delete
echo "built $img in $(( $(date +%s) - start )) s" >&2
echo "$img"
