#!/usr/bin/env bash
# Installs everything harun's tests and lab need on a fresh Debian machine (run as root):
# Debian packages, a running Docker engine, the lab images (cached, rebuilt only when their
# recipe changes), the npm dependencies and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=$(grep -v '^\s*#' scripts/apt-packages.txt | tr '\n' ' ')
missing=$(for p in $pkgs; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || echo "$p"; done)
if [ -n "$missing" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends $missing >/dev/null
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run -s build
bash scripts/start-dockerd.sh
echo "uml lab image: $(bash scripts/lab/build-uml-image.sh | tail -1)"
echo "docker lab image: $(bash scripts/lab/build-docker-image.sh | tail -1)"
