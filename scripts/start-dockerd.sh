#!/usr/bin/env bash
# Makes a Docker engine answer on this machine (PID 1 here is not systemd, so no service manager
# starts it): installs Debian's docker.io if missing, starts dockerd in the background if none
# answers, and waits for it. Safe to run again. Log: /var/log/harun-dockerd.log
set -euo pipefail
if docker info >/dev/null 2>&1; then echo "dockerd already answers"; exit 0; fi
if ! command -v dockerd >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends docker.io >/dev/null
fi
# setsid + nohup: dockerd outlives the shell that started it (CI step, test run).
setsid nohup dockerd >/var/log/harun-dockerd.log 2>&1 </dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then echo "dockerd started (pid $(cat /var/run/docker.pid 2>/dev/null))"; exit 0; fi
  sleep 1
done
echo "dockerd did not answer within 60 s; see /var/log/harun-dockerd.log" >&2
tail -20 /var/log/harun-dockerd.log >&2
exit 1
