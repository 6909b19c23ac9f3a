/** Pure parsers for the non-network fact sections: one section's text in, facts out. */

export function parseUname(text: string): Record<string, string> {
  const [system = '', kernel = '', machine = '', nodename = '', version = ''] = text.split('\n');
  return { system, kernel, kernel_version: version, architecture: machine, machine, nodename };
}

/** /etc/os-release is sh-style KEY=value with optional quotes. */
export function parseOsReleaseFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2];
    if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    else if (/^'.*'$/.test(v)) v = v.slice(1, -1);
    out[m[1]] = v;
  }
  return out;
}

// Ansible's distribution names for os-release IDs, and the family each belongs to.
const DISTRIBUTION: Record<string, string> = {
  debian: 'Debian', ubuntu: 'Ubuntu', centos: 'CentOS', rhel: 'RedHat', rocky: 'Rocky',
  almalinux: 'AlmaLinux', fedora: 'Fedora', ol: 'OracleLinux', amzn: 'Amazon', alpine: 'Alpine',
  arch: 'Archlinux', opensuse: 'openSUSE', 'opensuse-leap': 'openSUSE Leap', sles: 'SLES',
  linuxmint: 'Linux Mint', raspbian: 'Debian', kali: 'Kali', devuan: 'Devuan',
};
const FAMILY: Record<string, string> = {
  Debian: 'Debian', Ubuntu: 'Debian', 'Linux Mint': 'Debian', Kali: 'Debian', Devuan: 'Debian',
  CentOS: 'RedHat', RedHat: 'RedHat', Rocky: 'RedHat', AlmaLinux: 'RedHat', Fedora: 'RedHat',
  OracleLinux: 'RedHat', Amazon: 'RedHat', Alpine: 'Alpine', Archlinux: 'Archlinux',
  openSUSE: 'Suse', 'openSUSE Leap': 'Suse', SLES: 'Suse',
};

/**
 * distribution facts from os-release, refined by /etc/redhat-release where present: CentOS 7's
 * os-release says VERSION_ID="7" but Ansible reports the full "7.9.2009" from redhat-release.
 */
export function parseDistribution(osRelease: string, redhatRelease = ''): Record<string, string> {
  const os = parseOsReleaseFile(osRelease);
  const id = (os.ID ?? '').toLowerCase();
  const distribution = DISTRIBUTION[id] ?? (os.NAME ? os.NAME.split(' ')[0] : 'Unknown');
  let version = os.VERSION_ID ?? '';
  const rh = /release ([\d.]+)/.exec(redhatRelease);
  if (rh && rh[1].startsWith(version)) version = rh[1];
  // Debian's point release lives in /etc/debian_version, which Ansible reads; VERSION_ID suffices here.
  return {
    distribution,
    distribution_version: version,
    distribution_major_version: version.split('.')[0] ?? '',
    distribution_release: os.VERSION_CODENAME ?? (/\(([^)]+)\)/.exec(os.VERSION ?? '')?.[1] ?? ''),
    os_family: FAMILY[distribution] ?? distribution,
  };
}

export function parseMeminfo(text: string): Record<string, number> {
  const kb: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (m) kb[m[1]] = Number(m[2]);
  }
  const mb = (k: string) => Math.floor((kb[k] ?? 0) / 1024);
  return {
    memtotal_mb: mb('MemTotal'),
    memfree_mb: mb('MemFree'),
    swaptotal_mb: mb('SwapTotal'),
    swapfree_mb: mb('SwapFree'),
  };
}

/** `list=0-3,6` (the shell's Cpus_allowed_list: count the CPUs in it), else nproc's number. */
export function parseNproc(text: string): Record<string, number> {
  const list = /^list=([\d,-]+)$/.exec(text.trim())?.[1];
  const n = list
    ? list.split(',').reduce((sum, r) => {
        const [a, b = a] = r.split('-').map(Number);
        return sum + (b - a + 1);
      }, 0)
    : Number.parseInt(text.trim(), 10);
  return { processor_vcpus: Number.isFinite(n) ? n : 1, processor_nproc: Number.isFinite(n) ? n : 1 };
}

const PKG: Record<string, string> = { 'apt-get': 'apt', dnf: 'dnf', yum: 'yum', zypper: 'zypper', apk: 'apk', pacman: 'pacman' };

/** The first package manager found, in Ansible's preference order (dnf before yum). */
export function parsePkgMgr(text: string): Record<string, string> {
  const found = text.split('\n').map((l) => l.trim()).filter((l) => PKG[l]);
  return { pkg_mgr: found.length ? PKG[found[0]] : 'unknown' };
}

/** Like Ansible: systemd when booted with it, else PID 1's name, else what the host offers. */
export function parseServiceMgr(text: string): Record<string, string> {
  const lines = text.split('\n').map((l) => l.trim());
  const pid1 = (lines.find((l) => l.startsWith('pid1=')) ?? '').slice(5);
  const has = (k: string) => lines.includes(k);
  let mgr: string;
  if (has('systemd_booted') || pid1 === 'systemd') mgr = 'systemd';
  else if (['upstart', 'openrc', 'runit', 'runsvdir', 's6-svscan'].includes(pid1)) mgr = pid1 === 'runsvdir' ? 'runit' : pid1;
  else if (has('openrc')) mgr = 'openrc';
  else if (has('initd') || pid1 === 'init') mgr = 'sysvinit';
  else mgr = 'service';
  return { service_mgr: mgr };
}

export function parseUser(text: string): Record<string, string | number> {
  const [name = '', uid = '', gid = '', home = '', shell = ''] = text.split('\n');
  return { user_id: name, user_uid: Number(uid), user_gid: Number(gid), user_dir: home, user_shell: shell };
}

/**
 * The environment from the shell's `export -p`: dash and busybox print `export K='v'` (a quote
 * inside as '"'"' or '\\''), bash `declare -x K="v"` or `declare -x K=$'v'`, bash in POSIX mode
 * `export K="v"`. Exported names without a value are left out, as env leaves them out. Output
 * that is not of that shape is read as `env`'s.
 */
export function parseEnv(text: string): Record<string, string> {
  if (/^(export|declare) /.test(text)) return parseExportP(text);
  const env: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) {
      env[m[1]] = m[2];
      last = m[1];
    } else if (last) env[last] += `\n${line}`;
  }
  return env;
}

const C_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', e: '\x1b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function parseExportP(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  const head = /(?:export|declare(?: -[A-Za-z]+)*) ([A-Za-z_][A-Za-z0-9_]*)(=?)/y;
  let i = 0;
  while (i < text.length) {
    while (text[i] === '\n' || text[i] === ' ') i++;
    head.lastIndex = i;
    const h = head.exec(text);
    if (!h) {
      // a line of another shape: skip it
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl + 1;
      continue;
    }
    i = head.lastIndex;
    if (!h[2]) continue;
    let v = '';
    while (i < text.length && text[i] !== '\n' && text[i] !== ' ') {
      if (text[i] === "'") {
        const end = text.indexOf("'", i + 1);
        v += text.slice(i + 1, end < 0 ? undefined : end);
        i = end < 0 ? text.length : end + 1;
      } else if (text[i] === '"') {
        for (i++; i < text.length && text[i] !== '"'; i++) {
          if (text[i] === '\\' && '"\\$`\n'.includes(text[i + 1])) i++;
          v += text[i];
        }
        i++;
      } else if (text.startsWith("$'", i)) {
        // bash's ANSI-C quoting: octal and hex escapes are bytes (of UTF-8 text outside the C locale)
        const bytes: number[] = [];
        for (i += 2; i < text.length && text[i] !== "'"; i++) {
          if (text[i] !== '\\') {
            // a whole character (an emoji is two UTF-16 units)
            const ch = String.fromCodePoint(text.codePointAt(i)!);
            bytes.push(...Buffer.from(ch));
            i += ch.length - 1;
            continue;
          }
          const c = text[++i];
          const oct = /^[0-7]{1,3}/.exec(text.slice(i));
          const hex = c === 'x' ? /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 1)) : null;
          if (oct) {
            bytes.push(parseInt(oct[0], 8));
            i += oct[0].length - 1;
          } else if (hex) {
            bytes.push(parseInt(hex[0], 16));
            i += hex[0].length;
          } else bytes.push(...Buffer.from(C_ESCAPES[c] ?? c));
        }
        v += Buffer.from(bytes).toString('utf8');
        i++;
      } else if (text[i] === '\\') {
        v += text[i + 1] ?? '';
        i += 2;
      } else v += text[i++];
    }
    env[h[1]] = v;
  }
  return env;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `date '+%Y-%m-%d %H:%M:%S %z %s %A %w %W %j %B %Z'` into Ansible's ansible_date_time. */
export function parseDate(text: string): Record<string, unknown> {
  const [date = '', time = '', tzOffset = '', epoch = '', weekday = '', wnum = '', week = '', , month = '', tz = ''] =
    text.trim().split(/\s+/);
  const [year = '', mon = '', day = ''] = date.split('-');
  const [hour = '', minute = '', second = ''] = time.split(':');
  const e = Number(epoch);
  const u = new Date(e * 1000);
  const utc = `${u.getUTCFullYear()}-${pad(u.getUTCMonth() + 1)}-${pad(u.getUTCDate())}T${pad(u.getUTCHours())}:${pad(u.getUTCMinutes())}:${pad(u.getUTCSeconds())}`;
  return {
    date_time: {
      year, month: mon, day, hour, minute, second, date, time,
      epoch, epoch_int: epoch, weekday, weekday_number: wnum, weeknumber: week, monthname: month,
      tz, tz_offset: tzOffset, tz_dst: tz,
      iso8601: `${utc}Z`,
      iso8601_micro: `${utc}.000000Z`,
      iso8601_basic: `${year}${mon}${day}T${hour}${minute}${second}000000`,
      iso8601_basic_short: `${year}${mon}${day}T${hour}${minute}${second}`,
    },
  };
}
