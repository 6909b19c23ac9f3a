#!/usr/bin/env bash
# Builds (once) the docker lab image from the shared rootfs recipe and prints its name on the
# last line. No registry is reachable here: debootstrap + `docker import`. The tag is a hash of
# the recipe, so the image is rebuilt only when rootfs.sh or this script changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
docker info >/dev/null 2>&1 || { echo "no Docker engine answers: bash scripts/start-dockerd.sh" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install debootstrap" >&2; exit 1; }
hash=$(cat "$here/build-docker-image.sh" "$here/rootfs.sh" <(echo "${HARUN_DEBIAN_MIRROR:-}") | sha256sum | cut -c1-16)
name=harun-lab:$hash
if docker image inspect "$name" >/dev/null 2>&1; then echo "$name"; exit 0; fi
cache=${HARUN_CACHE:-$HOME/.cache/harun}/lab
mkdir -p "$cache"
exec 9>"$cache/.docker-build.lock"; flock 9
if docker image inspect "$name" >/dev/null 2>&1; then echo "$name"; exit 0; fi
start=$(date +%s)
work=$(mktemp -d "$cache/.dbuild-XXXXXX")
trap 'rm -rf "$work"' EXIT
bash "$here/rootfs.sh" "$work/root"
# Docker provides the root filesystem, /etc/hosts, /etc/resolv.conf and the network address.
: >"$work/root/etc/fstab"
for u in systemd-remount-fs.service systemd-udevd.service systemd-udev-trigger.service \
         systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount; do
  chroot "$work/root" systemctl mask "$u" >&2
done
tar -C "$work/root" -c . | docker import \
  -c 'ENV container=docker' -c 'CMD ["/sbin/init"]' - "$name" >&2
# Older recipes' images are dead weight once a new one exists.
docker image ls --format '{{.Repository}}:{{.Tag}}' harun-lab | grep -vx "$name" | xargs -r docker image rm >&2 || true
echo "built $name in $(( $(date +%s) - start )) s" >&2
echo "$name"
