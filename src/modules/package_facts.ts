/**
 * package_facts: the installed packages as the fact `packages` (name -> list of installed
 * versions), with the fields Ansible's apt and rpm managers report. Read-only, one round trip,
 * no Python on the target: dpkg-query and apt's own list files instead of python-apt,
 * `rpm -qa --qf` instead of the rpm Python bindings.
 */
import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { lazySchema, strList } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

/** Ansible's package managers; harun reads the first two natively. */
const NATIVE = ['apt', 'rpm'];
const OTHERS = ['pacman', 'pkg', 'portage', 'apk', 'pkg_info'];

const schema = lazySchema(() =>
  z
    .object({
      manager: strList().default(['auto']),
      strategy: z.enum(['first', 'all'], { error: 'expected one of first, all' }).default('first'),
    })
    .strict(),
);

type Args = z.infer<ReturnType<typeof schema>>;

/**
 * python-apt's view of the installed packages, from files: dpkg's database says what is
 * installed (apt's "current version": any state but not-installed and config-files); a version
 * that one of apt's package lists also carries takes its Section from the first such list and
 * its origin from that list's Release file (Ansible's `origins[0].origin`); a version that only
 * dpkg knows has dpkg's Section and origin ''. Input: dpkg-query's lines, `@@lists`, then
 * `@@R <Release file>\t<Origin>` lines and `@@F <list file>` followed by the list's stanzas.
 * Output: pretty name (":arch" for a foreign architecture, as apt names them), version, arch,
 * section, origin; tab-separated.
 */
const APT_AWK = `
function flush(k) {
  k = p SUBSEP a SUBSEP v
  if (p != "" && (k in want) && want[k] == 1) { want[k] = 2; if (s != "") sec[k] = s; org[k] = cur }
  p = ""; v = ""; a = ""; s = ""
}
BEGIN { FS = "\\t"; dpkg = 1 }
dpkg {
  if ($0 == "@@lists") { dpkg = 0; next }
  if ($0 ~ /^@@fail /) { print; next }
  if ($1 == "not-installed" || $1 == "config-files" || $2 == "") next
  k = $2 SUBSEP $3 SUBSEP $4
  n++; key[n] = k; pkg[n] = $2; arch[n] = $3; ver[n] = $4; sec[k] = $5; org[k] = ""; want[k] = 1
  next
}
/^@@R / { r = substr($1, 5); sub(/(In)?Release$/, "", r); rel[r] = $2; next }
/^@@F / {
  flush(); f = substr($0, 5); cur = ""; best = 0
  for (r in rel) if (length(r) > best && substr(f, 1, length(r)) == r) { best = length(r); cur = rel[r] }
  next
}
/^$/ { flush(); next }
/^Package: / { p = substr($0, 10); next }
/^Version: / { v = substr($0, 10); next }
/^Architecture: / { a = substr($0, 15); next }
/^Section: / { s = substr($0, 10); next }
END {
  flush()
  for (i = 1; i <= n; i++) {
    k = key[i]; name = pkg[i]
    if (arch[i] != na && arch[i] != "all") name = name ":" arch[i]
    print name "\\t" ver[i] "\\t" arch[i] "\\t" sec[k] "\\t" org[k]
  }
}`;

/**
 * The managers in order; each usable one prints `@@<manager>` and its packages, until one has
 * (strategy first) or all have. A manager of Ansible's that harun does not read prints
 * `@@unsupported <manager> <command>` when its command is there (Ansible would use it). `$L` is
 * apt's list directory, `$na` dpkg's native architecture.
 */
const SCRIPT = `LC_ALL=C; export LC_ALL; found=0
for m in $managers; do
  if [ "$found" = 1 ] && [ "$strategy" = first ]; then break; fi
  case $m in
  apt)
    command -v dpkg-query >/dev/null 2>&1 || continue
    echo @@apt
    L=/var/lib/apt/lists/
    if command -v apt-config >/dev/null 2>&1; then eval "$(apt-config shell L Dir::State::lists/d)"; fi
    na=$(dpkg --print-architecture 2>/dev/null)
    {
      dpkg-query -W -f '\${db:Status-Status}\\t\${Package}\\t\${Architecture}\\t\${Version}\\t\${Section}\\n' || echo "@@fail dpkg-query exited with $?"
      echo @@lists
      for f in "$L"*_InRelease "$L"*_Release; do
        [ -f "$f" ] && printf '@@R %s\\t%s\\n' "\${f##*/}" "$(sed -n 's/^Origin: *//p' "$f" | head -n 1)"
      done
      for f in "$L"*_Packages "$L"*_Packages.*; do
        case $f in *.diff_Index|*.IndexDiff) continue;; esac
        [ -f "$f" ] || continue
        printf '@@F %s\\n' "\${f##*/}"
        if [ -x /usr/lib/apt/apt-helper ]; then /usr/lib/apt/apt-helper cat-file "$f"; else case $f in *_Packages) cat "$f";; esac; fi
        echo
      done
    } | awk -v na="$na" "$prog"
    ;;
  rpm)
    command -v rpm >/dev/null 2>&1 || continue
    echo @@rpm
    rpm -qa --qf '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\n' || echo "@@fail rpm exited with $?"
    ;;
  *)
    c=$m; [ "$m" = portage ] && c=qlist
    command -v "$c" >/dev/null 2>&1 || continue
    echo "@@unsupported $m $c"; exit 0
    ;;
  esac
  found=1
done`;

/** rpm's `(none)` for a tag the package lacks is Python's None in Ansible's rpm manager. */
const none = (v: string) => (v === '(none)' ? null : v);

function detailsOf(mgr: string, line: string): Record<string, unknown> {
  const f = line.split('\t');
  if (mgr === 'rpm') {
    const epoch = none(f[3]);
    return { name: f[0], version: f[1], release: f[2], epoch: epoch === null ? null : Number(epoch), arch: none(f[4]), source: 'rpm' };
  }
  return { name: f[0], version: f[1], arch: f[2], category: f[3], origin: f[4], source: 'apt' };
}

const pyList = (l: string[]) => `[${l.map((x) => `'${x}'`).join(', ')}]`;

export const packageFacts: ModuleDef<Args> = {
  name: 'package_facts',
  get schema() {
    return schema();
  },
  checkMode: true,
  hostFacts: true,
  async run(ctx, a): Promise<ModuleResult> {
    const asked = a.manager.map((m) => m.toLowerCase());
    // Ansible's order: the managers named, then (auto) all of them; each tried once
    const managers = [...new Set([...asked.filter((m) => m !== 'auto'), ...(asked.includes('auto') ? [...NATIVE, ...OTHERS] : [])])];
    const unknown = managers.filter((m) => !NATIVE.includes(m) && !OTHERS.includes(m));
    if (unknown.length) {
      const msg = asked.includes('auto') ? 'Could not auto detect a usable package manager, check warnings for details.' : `Unsupported package managers requested: ${unknown.join(', ')}`;
      return { changed: false, failed: true, msg };
    }
    const r = await ctx.run(sh`managers=${managers.join(' ')}; strategy=${a.strategy}; prog=${APT_AWK}; ${raw(SCRIPT)}`);
    const packages: Record<string, Record<string, unknown>[]> = {};
    const warnings: string[] = [];
    let found = 0;
    let mgr = '';
    let own: Record<string, Record<string, unknown>[]> = {};
    let broken = false;
    const done = () => {
      if (mgr && !broken) Object.assign(packages, own);
    };
    for (const line of r.stdout.split('\n')) {
      if (line === '') continue;
      const m = /^@@(apt|rpm|unsupported (\S+) (\S+)|fail (.*))$/.exec(line);
      if (m?.[2]) {
        return { changed: false, failed: true, msg: `package_facts: the host has ${m[3]}, the command of Ansible's ${m[2]} manager, which harun does not read (it reads apt and rpm natively): give manager: apt or rpm` };
      } else if (m?.[4] !== undefined) {
        // Ansible: a manager that fails while listing counts as found but adds no packages, with a warning if it was asked for
        broken = true;
        if (asked.includes(mgr)) warnings.push(`Requested package manager ${mgr} was not usable by this module: ${m[4]}`);
      } else if (m) {
        done();
        mgr = m[1];
        own = {};
        broken = false;
        found++;
      } else if (mgr) {
        const d = detailsOf(mgr, line);
        (own[d.name as string] ??= []).push(d);
      }
    }
    done();
    if (r.code !== 0 && !found) return { changed: false, failed: true, msg: `package_facts: listing the packages failed (exit ${r.code}): ${r.stderr.trim()}` };
    if (!found) {
      return { changed: false, failed: true, msg: `Could not detect a supported package manager from the following list: ${pyList(managers)}, or the required Python library is not installed. Check warnings for details.` };
    }
    const facts = { packages };
    return { changed: false, facts, ansible_facts: facts, ...(warnings.length ? { warnings } : {}) };
  },
};
