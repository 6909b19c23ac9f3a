/**
 * The one remote command that gathers every fact in a single round trip. Each probe prints a
 * marker line `@@harun:NAME@@` and then its raw output; parsers.ts turns each section into facts.
 * POSIX sh only: it must run under dash and busybox sh, without Python on the target.
 */
import { asShell } from '../shell/sh.js';

export const FACTS_SCRIPT = asShell([
  `m() { printf '\\n@@harun:%s@@\\n' "$1"; }`,
  // a small text file printed by the shell's own read (no cat); the caller checks that it is readable
  `rf() { while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < "$1"; }`,
  // what Linux keeps in /proc is read by the shell itself (read, a builtin): no process per line
  `m uname; if { read -r s < /proc/sys/kernel/ostype && read -r r < /proc/sys/kernel/osrelease && read -r n < /proc/sys/kernel/hostname &&` +
    ` read -r v < /proc/sys/kernel/version; } 2>/dev/null; then echo "$s"; echo "$r"; a=; { read -r a < /proc/sys/kernel/arch; } 2>/dev/null || a=$(uname -m); echo "$a"; echo "$n"; echo "$v";` +
    ` else uname -s; uname -r; uname -m; n=$(uname -n); echo "$n"; uname -v; fi`,
  `m hostname; echo "$n"`,
  `m fqdn; hostname -f 2>/dev/null`,
  `m os_release; if [ -r /etc/os-release ]; then rf /etc/os-release; elif [ -r /usr/lib/os-release ]; then rf /usr/lib/os-release; fi`,
  `m redhat_release; [ -r /etc/redhat-release ] && cat /etc/redhat-release`,
  // old iproute2 (CentOS 7) has no -j: fall back to the one-line text format, plus links for MACs
  `m ip_addr; ip -j addr 2>/dev/null || { echo '#text'; ip -o addr 2>/dev/null; echo '#link'; ip -o link 2>/dev/null; }`,
  `m ip_route; ip -j route show default 2>/dev/null || { echo '#text'; ip route show default 2>/dev/null; }`,
  // the four figures parsed, up to SwapFree: not the whole file
  `m meminfo; if [ -r /proc/meminfo ]; then while read -r k x u; do case $k in MemTotal:|MemFree:|SwapTotal:) echo "$k $x $u";; SwapFree:) echo "$k $x $u"; break;; esac; done < /proc/meminfo; fi`,
  // the shell's own status: its uid and gid (for the user section) and the CPUs it may run on
  // (Ansible's processor_nproc is the size of that affinity set); nproc only without /proc
  `m nproc; uid=; gid=; cpus=; if [ -r /proc/self/status ]; then while read -r k x _; do case $k in Uid:) uid=$x;; Gid:) gid=$x;;` +
    ` Cpus_allowed_list:) cpus=$x; break;; esac; done < /proc/self/status; fi; if [ -n "$cpus" ]; then echo "list=$cpus"; else nproc 2>/dev/null || grep -c '^processor' /proc/cpuinfo 2>/dev/null; fi`,
  `m pkg_mgr; for p in apt-get dnf yum zypper apk pacman; do command -v $p >/dev/null 2>&1 && echo $p; done`,
  `m service_mgr; c=; read -r c < /proc/1/comm 2>/dev/null; echo "pid1=$c"; test -d /run/systemd/system && echo systemd_booted;` +
    ` test -x /sbin/openrc && echo openrc; test -d /etc/init.d && echo initd; command -v systemctl >/dev/null 2>&1 && echo systemctl`,
  // the user name as Python's getpass.getuser() finds it (Ansible's user_id): LOGNAME, USER, then the password database
  `m user; if [ -n "$LOGNAME" ]; then echo "$LOGNAME"; elif [ -n "$USER" ]; then echo "$USER"; else id -un; fi;` +
    ` if [ -n "$uid" ]; then echo "$uid"; else id -u; fi; if [ -n "$gid" ]; then echo "$gid"; else id -g; fi; echo "$HOME"; echo "$SHELL"`,
  `m date; date '+%Y-%m-%d %H:%M:%S %z %s %A %w %W %j %B %Z'`,
  // the shell's exported variables, as the environment a command gets: `export -p` is a builtin
  `m env; export -p`,
  `m lsb; [ -r /etc/lsb-release ] && cat /etc/lsb-release; echo '#cmd'; command -v lsb_release >/dev/null 2>&1 && lsb_release -a 2>/dev/null`,
  // GNU df gives blocks and inodes in one run (a table even when some mount cannot be read);
  // other df (busybox) in two
  `m mounts; [ -r /proc/mounts ] && rf /proc/mounts; o=$(timeout 5 df -B1 --output=source,size,used,avail,itotal,iused,iavail,target 2>/dev/null);` +
    ` if [ -n "$o" ]; then echo '#dfo'; printf '%s\\n' "$o"; else echo '#df'; timeout 5 df -P -B1 2>/dev/null; echo '#dfi'; timeout 5 df -P -i 2>/dev/null; fi`,
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
