/**
 * Facts roles often read that need no Python to gather: ansible_lsb, ansible_mounts,
 * ansible_selinux, and ansible_python (when the host has python3: the interpreter the module
 * fallback would use). Parsers of the facts script's sections, shaped as Ansible's are.
 */

/** `lsb_release -a` (when installed) or /etc/lsb-release, as Ansible's LSB collector reads them. */
export function parseLsb(text: string): Record<string, unknown> {
  const [file = '', cmd = ''] = text.split(/^#cmd$/m);
  const lsb: Record<string, string> = {};
  const fromCmd: Record<string, string> = { 'Distributor ID': 'id', Description: 'description', Release: 'release', Codename: 'codename' };
  for (const line of cmd.split('\n')) {
    const m = /^([^:]+):\s*(.*)$/.exec(line.trim());
    if (m && fromCmd[m[1]]) lsb[fromCmd[m[1]]] = m[2].trim();
  }
  if (!Object.keys(lsb).length) {
    const fromFile: Record<string, string> = { DISTRIB_ID: 'id', DISTRIB_RELEASE: 'release', DISTRIB_DESCRIPTION: 'description', DISTRIB_CODENAME: 'codename' };
    for (const line of file.split('\n')) {
      const m = /^(\w+)=(.*)$/.exec(line.trim());
      if (m && fromFile[m[1]]) lsb[fromFile[m[1]]] = m[2].replace(/^"(.*)"$/, '$1');
    }
  }
  if (lsb.release) lsb.major_release = lsb.release.split('.')[0];
  return { lsb };
}

/**
 * /proc/mounts with df's figures: GNU df's `--output=source,size,used,avail,itotal,iused,iavail,target`
 * after `#dfo`, or (other df) `df -P -B1` after `#df` and `df -P -i` after `#dfi`. Like Ansible,
 * only mounts of a device (a path, a network `host:/path`) or of fstype none (bind mounts) are
 * listed.
 */
export function parseMounts(text: string): Record<string, unknown> {
  const part = (name: string) => new RegExp(`^#${name}\n([^]*?)(?=^#df|(?![^]))`, 'm').exec(text)?.[1] ?? '';
  const mounts = text.split(/^#df/m)[0];
  // each data line of a df table: the figures from column `from`, the mount point from column `at` on
  const table = (t: string, from: number, at: number) => {
    const m = new Map<string, number[]>();
    for (const line of t.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > at) m.set(f.slice(at).join(' '), f.slice(from, from + 3).map(Number));
    }
    return m;
  };
  const both = part('dfo');
  const blocks = both ? table(both, 1, 7) : table(part('df'), 1, 5);
  const inodes = both ? table(both, 4, 7) : table(part('dfi'), 1, 5);
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  const out: Record<string, unknown>[] = [];
  for (const line of mounts.split('\n')) {
    const [device, mount, fstype, options] = line.trim().split(/\s+/).map(unescape);
    if (!mount || !(device.startsWith('/') || device.includes(':/') || fstype === 'none')) continue;
    const b = blocks.get(mount);
    const i = inodes.get(mount);
    const bs = 4096;
    out.push({
      mount, device, fstype, options,
      ...(b ? { size_total: b[0], size_available: b[2], block_size: bs, block_total: Math.floor(b[0] / bs), block_available: Math.floor(b[2] / bs), block_used: Math.floor(b[1] / bs) } : {}),
      ...(i ? { inode_total: i[0], inode_used: i[1], inode_available: i[2] } : {}),
    });
  }
  return { mounts: out };
}

/** SELinux from /sys/fs/selinux and /etc/selinux/config (Ansible reads the same through libselinux). */
export function parseSelinux(text: string): Record<string, unknown> {
  const v = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)?.[1]?.trim();
  if (v('enforce') === undefined) return { selinux: { status: 'disabled' } };
  const mode = (m?: string) => (m === '1' ? 'enforcing' : m === '0' ? 'permissive' : m?.toLowerCase() ?? 'unknown');
  return {
    selinux: {
      status: 'enabled',
      mode: mode(v('enforce')),
      config_mode: mode(v('SELINUX')),
      type: v('SELINUXTYPE') ?? 'unknown',
      policyvers: Number(v('policyvers')) || 'unknown',
    },
  };
}

/** The python3 the fallback would run, as Ansible's ansible_python reports its interpreter. */
export function parsePython(text: string): Record<string, unknown> {
  const [exe, major, minor, micro, level, serial, impl, ssl, selinux] = text.trim().split('\n');
  if (!exe || !major) return {};
  const version = { major: Number(major), minor: Number(minor), micro: Number(micro), releaselevel: level, serial: Number(serial) };
  return {
    python: { executable: exe, has_sslcontext: ssl === '1', type: impl, version, version_info: [version.major, version.minor, version.micro, level, version.serial] },
    python_version: `${major}.${minor}.${micro}`,
    // whether the python bindings of libselinux are there (Ansible's file modules need them on SELinux hosts)
    selinux_python_present: selinux === '1',
  };
}
