#!/usr/bin/env bash
# Shared recipe of the lab hosts' Debian root filesystem (used by the uml and docker images).
# Usage: rootfs.sh DEST   (DEST must not exist; run as root)
# The hosts start bare on purpose: roles install keepalived, ipvsadm and web servers themselves.
# Per-host identity (hostname, address, SSH host keys, authorized_keys, resolv.conf) is NOT baked
# in: harun-seed.service copies it at boot from a small per-host seed disk (uml) or from
# /etc/harun-seed (docker), so one image serves every host of every lab.
set -euo pipefail
dest=$1
mirror=${HARUN_DEBIAN_MIRROR:-http://deb.debian.org/debian}
pkgs=systemd-sysv,openssh-server,iproute2,procps,curl,sudo,kmod,ca-certificates,iputils-ping,e2fsprogs,iptables
[ ! -e "$dest" ] || { echo "rootfs.sh: $dest exists" >&2; exit 1; }
# Downloaded .debs are kept between builds (uml and docker images share them).
cache=${HARUN_CACHE:-$HOME/.cache/harun}/lab/debs
mkdir -p "$cache"
debootstrap --variant=minbase --cache-dir="$cache" --include="$pkgs" bookworm "$dest" "$mirror" >&2

cat >"$dest/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SRC
# No recommends/suggests: roles should get the same minimal installs on every run.
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$dest/etc/apt/apt.conf.d/90harun"
# Lab hosts are throwaway: dpkg need not fsync every file it unpacks (under UML each sync is a
# trapped system call; a host that dies mid-install is booted afresh from the image anyway).
echo force-unsafe-io >"$dest/etc/dpkg/dpkg.cfg.d/harun-unsafe-io"
# and need no documentation or translations: fewer files for dpkg to unpack (each one several
# trapped system calls), no Translation-* indexes for apt to fetch and store.
printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
  'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
  >"$dest/etc/dpkg/dpkg.cfg.d/harun-nodoc"
echo 'Acquire::Languages "none";' >"$dest/etc/apt/apt.conf.d/90harun-nolang"

# The .debs that lab hosts download are kept on the controller and offered to every later host.
install -m 0755 /dev/stdin "$dest/usr/local/sbin/harun-debs" <<'DEBS'
#!/bin/sh
# A controller directory of .debs shared by every lab host, mounted at /var/cache/harun-debs
# (uml: hostfs; docker: a bind mount). apt keeps its own /var/cache/apt/archives, so its lock and
# partial/ stay per host: `link` offers each shared .deb there (apt downloads only what is
# missing), `keep` files this host's new downloads back, each under a temporary name first.
shared=/var/cache/harun-debs archives=/var/cache/apt/archives
mountpoint -q $shared || exit 0
case ${1:-} in
link) for f in $shared/*.deb; do
        [ ! -f "$f" ] || [ -e "$archives/${f##*/}" ] || ln -s "$f" "$archives/"
      done ;;
keep) for f in $archives/*.deb; do
        n=${f##*/} t="$shared/.${f##*/}.$(hostname).$$"
        if [ -f "$f" ] && [ ! -L "$f" ] && [ ! -e "$shared/$n" ]; then cp "$f" "$t" && mv -f "$t" "$shared/$n"; fi
      done ;;
esac
exit 0
DEBS
cat >"$dest/etc/apt/apt.conf.d/91harun-debs" <<'APT'
APT::Update::Post-Invoke { "/usr/local/sbin/harun-debs link"; };
DPkg::Post-Invoke { "/usr/local/sbin/harun-debs keep"; };
APT

cat >"$dest/etc/hosts" <<'HOSTS'
127.0.0.1 localhost
10.222.2.1 lb1
10.222.2.10 lb2
10.222.2.20 client
10.222.2.30 web1
10.222.2.40 web2
HOSTS
echo 'unset' >"$dest/etc/hostname"
: >"$dest/etc/machine-id"   # systemd makes a fresh one per host on first boot
echo '/dev/ubda / ext4 rw,noatime 0 1' >"$dest/etc/fstab"

# Host keys are per host and per lab (known_hosts stays strict): never ship generic ones.
rm -f "$dest"/etc/ssh/ssh_host_*
cat >"$dest/etc/ssh/sshd_config.d/harun.conf" <<'SSHD'
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
MaxSessions 30
MaxStartups 30:30:100
SSHD

install -m 0755 /dev/stdin "$dest/usr/local/sbin/harun-seed" <<'SEED'
#!/bin/sh
# Applies this host's identity from the seed (uml: disk /dev/ubdb; docker: /etc/harun-seed).
set -e
d=/run/harun-seed
if [ -b /dev/ubdb ]; then mkdir -p $d; mount -o ro /dev/ubdb $d
elif [ -d /etc/harun-seed ]; then d=/etc/harun-seed; fi
[ -f $d/env ] || { echo "harun-seed: no seed found" >&2; exit 1; }
. $d/env
hostname "$HOSTNAME"; echo "$HOSTNAME" >/etc/hostname
install -m 0600 $d/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key
install -m 0644 $d/ssh_host_ed25519_key.pub /etc/ssh/ssh_host_ed25519_key.pub
install -d -m 0700 /root/.ssh
install -m 0600 $d/authorized_keys /root/.ssh/authorized_keys
[ ! -f $d/resolv.conf ] || cp $d/resolv.conf /etc/resolv.conf
# The shared .debs (uml: the kernel's hostfs= names the controller directory; docker binds it)
if [ "${APT_ARCHIVES:-}" = hostfs ]; then mkdir -p /var/cache/harun-debs; mount -t hostfs none /var/cache/harun-debs || true; fi
/usr/local/sbin/harun-debs link
if [ -n "${ADDRESS:-}" ]; then
  ip link set lo up
  # Same interface name as in the docker lab, so roles can say eth0 in both.
  if [ -e /sys/class/net/vec0 ]; then ip link set vec0 name eth0; fi
  ip link set eth0 up
  ip addr replace "$ADDRESS" dev eth0
  [ -z "${GATEWAY:-}" ] || ip route replace default via "$GATEWAY"
fi
if mountpoint -q $d && [ -b /dev/ubdb ]; then umount $d; fi
SEED
cat >"$dest/etc/systemd/system/harun-seed.service" <<'UNIT'
[Unit]
Description=harun lab: host identity and network from the seed
DefaultDependencies=no
After=local-fs.target
Before=network.target network-online.target ssh.service
Wants=network.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/harun-seed

[Install]
WantedBy=multi-user.target
UNIT
chroot "$dest" systemctl enable harun-seed.service >&2
# Nothing may read the (absent) console, and nothing may take the dpkg lock behind a role's back.
for u in getty@tty1.service serial-getty@ttyS0.service console-getty.service getty-static.service \
         apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
         systemd-timesyncd.service; do
  chroot "$dest" systemctl mask "$u" >&2
done
chroot "$dest" apt-get clean
rm -rf "$dest"/var/lib/apt/lists/*
