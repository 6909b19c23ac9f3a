/**
 * The one remote command that gathers every fact in a single round trip. Each probe prints a
 * marker line `@@harun:NAME@@` and then its raw output; parsers.ts turns each section into facts.
 * POSIX sh only: it must run under dash and busybox sh, without Python on the target.
 */
import { asShell } from '../shell/sh.js';

export const FACTS_SCRIPT = asShell([
  `m() { printf '\\n@@harun:%s@@\\n' "$1"; }`,
  // what Linux keeps in /proc is read by the shell itself (read, a builtin): no process per line
  `m uname; if { read -r s < /proc/sys/kernel/ostype && read -r r < /proc/sys/kernel/osrelease && read -r n < /proc/sys/kernel/hostname &&` +
    ` read -r v < /proc/sys/kernel/version; } 2>/dev/null; then echo "$s"; echo "$r"; uname -m; echo "$n"; echo "$v";` +
    ` else uname -s; uname -r; uname -m; n=$(uname -n); echo "$n"; uname -v; fi`,
  `m hostname; echo "$n"`,
  `m fqdn; hostname -f 2>/dev/null`,
  `m os_release; cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null`,
  `m redhat_release; [ -r /etc/redhat-release ] && cat /etc/redhat-release`,
  // old iproute2 (CentOS 7) has no -j: fall back to the one-line text format, plus links for MACs
  `m ip_addr; ip -j addr 2>/dev/null || { echo '#text'; ip -o addr 2>/dev/null; echo '#link'; ip -o link 2>/dev/null; }`,
  `m ip_route; ip -j route show default 2>/dev/null || { echo '#text'; ip route show default 2>/dev/null; }`,
  `m meminfo; cat /proc/meminfo 2>/dev/null`,
  `m nproc; nproc 2>/dev/null || grep -c '^processor' /proc/cpuinfo 2>/dev/null`,
  `m pkg_mgr; for p in apt-get dnf yum zypper apk pacman; do command -v $p >/dev/null 2>&1 && echo $p; done`,
  `m service_mgr; c=; read -r c < /proc/1/comm 2>/dev/null; echo "pid1=$c"; test -d /run/systemd/system && echo systemd_booted;` +
    ` test -x /sbin/openrc && echo openrc; test -d /etc/init.d && echo initd; command -v systemctl >/dev/null 2>&1 && echo systemctl`,
  `m user; id -un; id -u; id -g; echo "$HOME"; echo "$SHELL"`,
  `m date; date '+%Y-%m-%d %H:%M:%S %z %s %A %w %W %j %B %Z'`,
  `m env; env`,
  `m lsb; [ -r /etc/lsb-release ] && cat /etc/lsb-release; echo '#cmd'; command -v lsb_release >/dev/null 2>&1 && lsb_release -a 2>/dev/null`,
  `m mounts; cat /proc/mounts 2>/dev/null; echo '#df'; timeout 5 df -P -B1 2>/dev/null; echo '#dfi'; timeout 5 df -P -i 2>/dev/null`,
  `m selinux; if [ -r /sys/fs/selinux/enforce ]; then echo "enforce=$(cat /sys/fs/selinux/enforce)"; echo "policyvers=$(cat /sys/fs/selinux/policyvers 2>/dev/null)";` +
    ` grep -E '^SELINUX(TYPE)?=' /etc/selinux/config 2>/dev/null; fi`,
  // one short python3 start (no site import) when there is one: the interpreter the module fallback uses
  `m python; for p in /usr/bin/python3 python3; do if command -v $p >/dev/null 2>&1; then $p -S -c 'import sys
v = sys.version_info
print(sys.executable); print(v.major); print(v.minor); print(v.micro); print(v.releaselevel); print(v.serial); print(sys.implementation.name)
try:
    import ssl; print(1 if hasattr(ssl, "SSLContext") else 0)
except Exception:
    print(0)
sys.path.extend(["/usr/lib/python3/dist-packages", "/usr/lib64/python%d.%d/site-packages" % v[:2]])
try:
    import selinux; print(1)
except Exception:
    print(0)' 2>/dev/null; break; fi; done`,
  `m end`,
].join('\n'));

/** Split the script's output into its sections by marker line. */
export function splitSections(out: string): Record<string, string> {
  const sections: Record<string, string> = {};
  const re = /^@@harun:(\w+)@@$/gm;
  let last: { name: string; start: number } | undefined;
  for (let m = re.exec(out); m; m = re.exec(out)) {
    if (last) sections[last.name] = out.slice(last.start, m.index).replace(/^\n/, '').replace(/\n$/, '');
    last = { name: m[1], start: m.index + m[0].length };
  }
  if (last && last.name !== 'end') sections[last.name] = out.slice(last.start).replace(/^\n/, '').replace(/\n$/, '');
  return sections;
}
