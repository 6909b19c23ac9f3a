/**
 * pip: Python packages installed, upgraded or removed by pip, as ansible.builtin.pip does it:
 * the virtualenv made when missing, pip found as Ansible finds it, Ansible's pip command line,
 * its "changed" rules (pip's "Successfully installed/uninstalled", or `pip list` before and
 * after for requirements files and VCS URLs) and its check mode (the requirement tested against
 * `pip list`). pip itself needs Python on the host; the module's own logic is sh.
 *
 * Round trips: state=present with plain requirements (`pkg`, `pkg>=1.0`) lists what is
 * installed first and stops there when every requirement is satisfied (one exec), else runs
 * pip in a second; every other case is one exec (venv, pip, the before/after lists).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { bool, lazySchema, str, strList } from './lib/args.js';
import { shlexSplit } from './lib/shlex.js';
import type { ModuleDef, ModuleResult } from './types.js';

const STATE_MAP = {
  present: ['install'],
  absent: ['uninstall', '-y'],
  latest: ['install', '-U'],
  forcereinstall: ['install', '-U', '--force-reinstall'],
} as const;
type State = keyof typeof STATE_MAP;
const STATES = Object.keys(STATE_MAP) as [State, ...State[]];

// umask: Ansible's str type (a YAML number becomes its decimal text), then int(umask, 8)
const UMASK = /^\s*(0o)?[0-7]+\s*$/i;

const schema = lazySchema(() =>
  z
    .object({
      name: strList().optional(),
      version: str().optional(),
      requirements: str().optional(),
      virtualenv: str().optional(),
      virtualenv_site_packages: bool().default(false),
      virtualenv_command: str().default('virtualenv'),
      virtualenv_python: str().optional(),
      state: z.enum(STATES, { error: `expected one of ${STATES.join(', ')}` }).default('present'),
      extra_args: str().optional(),
      editable: bool().default(false),
      chdir: str().optional(),
      executable: str().optional(),
      umask: str().optional().refine((u) => u === undefined || UMASK.test(u), 'umask must be an octal integer'),
    })
    .strict()
    .superRefine((a, c) => {
      const bad = (path: string, message: string) => c.addIssue({ code: 'custom', path: [path], message });
      if (a.name === undefined && a.requirements === undefined) bad('name', 'one of the following is required: name, requirements');
      if (a.name !== undefined && a.requirements !== undefined) bad('requirements', 'parameters are mutually exclusive: name|requirements');
      if (a.executable !== undefined && a.virtualenv !== undefined) bad('virtualenv', 'parameters are mutually exclusive: executable|virtualenv');
    }),
);
type Args = z.infer<ReturnType<typeof schema>>;

// ---- PEP 440 versions and specifiers (what packaging's SpecifierSet.contains decides) ----

const VERSION_RE =
  /^\s*v?(?:(\d+)!)?(\d+(?:\.\d+)*)(?:[-_.]?(alpha|a|beta|b|preview|pre|c|rc)[-_.]?(\d*))?(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?(?:[-_.]?(dev)[-_.]?(\d*))?(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

interface Version {
  epoch: number;
  release: number[];
  pre?: [number, number];
  post?: number;
  dev?: number;
  local?: (number | string)[];
}

export function parseVersion(s: string): Version | undefined {
  const m = VERSION_RE.exec(s);
  if (!m) return undefined;
  const pl = m[3]?.toLowerCase();
  const preRank = pl === undefined ? undefined : pl.startsWith('a') ? 0 : pl.startsWith('b') ? 1 : 2;
  return {
    epoch: Number(m[1] ?? 0),
    release: m[2].split('.').map(Number),
    pre: preRank === undefined ? undefined : [preRank, Number(m[4] || 0)],
    post: m[5] !== undefined ? Number(m[5]) : m[6] !== undefined ? Number(m[7] || 0) : undefined,
    dev: m[8] !== undefined ? Number(m[9] || 0) : undefined,
    local: m[10]?.toLowerCase().split(/[-_.]/).map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
  };
}

/** packaging's _cmpkey as an array: trailing zeros dropped, a dev release before its pre-releases. */
function cmpKey(v: Version, withLocal: boolean): (number | (number | string)[])[] {
  const rel = [...v.release];
  while (rel.length > 1 && rel[rel.length - 1] === 0) rel.pop();
  const pre = v.pre ? v.pre : v.post === undefined && v.dev !== undefined ? [-Infinity] : [Infinity];
  return [v.epoch, rel, pre, v.post ?? -Infinity, v.dev ?? Infinity, withLocal && v.local ? v.local : [-Infinity]];
}

function cmpParts(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const c = cmpParts(a[i], b[i]);
      if (c) return c;
    }
    return a.length - b.length;
  }
  // a local segment: numbers sort after words
  if (typeof a !== typeof b) return typeof a === 'number' ? 1 : -1;
  return a === b ? 0 : (a as number) < (b as number) ? -1 : 1;
}

const cmp = (a: Version, b: Version, local = true) => cmpParts(cmpKey(a, local), cmpKey(b, local));
const base = (v: Version): Version => ({ epoch: v.epoch, release: v.release });
const isPre = (v: Version) => v.pre !== undefined || v.dev !== undefined;

/** One specifier (`>=1.0`, `==1.*`, `~=2.2`) against an installed version, pre-releases allowed. */
function specMatches(op: string, spec: string, have: Version, haveText: string): boolean {
  if (op === '===') return haveText.trim().toLowerCase() === spec.toLowerCase();
  if ((op === '==' || op === '!=') && spec.endsWith('.*')) {
    const want = parseVersion(spec.slice(0, -2));
    if (!want) return false;
    const rel = [...have.release];
    while (rel.length < want.release.length) rel.push(0);
    const same = want.epoch === have.epoch && want.release.every((n, i) => rel[i] === n);
    return op === '==' ? same : !same;
  }
  const want = parseVersion(spec);
  if (!want) return false;
  switch (op) {
    case '==':
    case '!=': {
      const eq = cmp(have, want, want.local !== undefined) === 0;
      return op === '==' ? eq : !eq;
    }
    case '~=': {
      const prefix = want.release.slice(0, -1).join('.');
      return cmp(have, want, false) >= 0 && specMatches('==', `${want.epoch ? `${want.epoch}!` : ''}${prefix}.*`, have, haveText);
    }
    case '<=': return cmp(have, want, false) <= 0;
    case '>=': return cmp(have, want, false) >= 0;
    case '<':
      return cmp(have, want, false) < 0 && !(!isPre(want) && isPre(have) && cmp(base(have), base(want)) === 0);
    case '>':
      return cmp(have, want, false) > 0 &&
        !(want.post === undefined && have.post !== undefined && cmp(base(have), base(want)) === 0) &&
        !(have.local !== undefined && cmp(base(have), base(want)) === 0);
  }
  return false;
}

// ---- requirements as Ansible's Package class reads them (pkg_resources.Requirement) ----

const REQ_RE = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*?)\s*$/;
const SPEC_RE = /^\s*(~=|===|==|!=|<=|>=|<|>)\s*([^\s,;]+)\s*$/;

interface Req {
  /** What goes on pip's command line (str(Package)). */
  text: string;
  /** PEP 503 name; undefined when Requirement.parse fails (a path, a URL): never "present". */
  name?: string;
  specs: [string, string][];
  /** Extras, a marker or a URL: pip may do more than the listed versions show. */
  complex: boolean;
}

const canonical = (n: string) => n.replace(/[-_.]+/g, '-').toLowerCase();

export function parseReq(s: string): Req {
  const notPlain: Req = { text: s, specs: [], complex: true };
  const m = REQ_RE.exec(s);
  if (!m) return notPlain;
  let [, name, extras, rest] = m;
  let marker = '';
  let url = '';
  const semi = rest.indexOf(';');
  if (semi >= 0) [rest, marker] = [rest.slice(0, semi).trim(), rest.slice(semi + 1).trim()];
  if (rest.startsWith('@')) [rest, url] = ['', rest.slice(1).trim()];
  const body = rest.replace(/^\((.*)\)$/, '$1').trim();
  const specs: [string, string][] = [];
  for (const part of body === '' ? [] : body.split(',')) {
    const sm = SPEC_RE.exec(part);
    // packaging refuses a specifier whose version is not PEP 440 (=== takes any text)
    const wild = sm && (sm[1] === '==' || sm[1] === '!=') && sm[2].endsWith('.*');
    const v = sm && sm[1] !== '===' ? parseVersion(wild ? sm[2].slice(0, -2) : sm[2]) : undefined;
    if (!sm || (sm[1] !== '===' && (!v || (sm[1] === '~=' && v.release.length < 2)))) return notPlain;
    specs.push([sm[1], sm[2]]);
  }
  if (url && !url.includes('://') && !url.startsWith('file:')) return notPlain;
  const ex = extras?.split(',').map((e) => e.trim()).filter(Boolean).sort() ?? [];
  // packaging's str(): name, sorted extras, sorted specifiers, @ url, ; marker
  let text = name + (ex.length ? `[${ex.join(',')}]` : '') + specs.map(([o, v]) => o + v).sort().join(',');
  if (url) text += `@ ${url}${marker ? ' ' : ''}`;
  // packaging's str(Marker): `python_version > "3"`, single spaces
  if (marker) text += `; ${marker.replace(/(\w+)\s*(===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)\s*(["'])(.*?)\3/g, '$1 $2 "$4"').replace(/\s+/g, ' ')}`;
  return { text, name: canonical(name), specs, complex: ex.length > 0 || marker !== '' || url !== '' };
}

/** Ansible's _recover_package_name: `['a>1', '<2', 'b']` -> `['a>1,<2', 'b']`. */
export function recoverNames(names: string[]): string[] {
  const ops = ['>=', '<=', '>', '<', '==', '!=', '~='];
  const out: string[] = [];
  let parts: string[] = [];
  let inBrackets = false;
  for (const n of names.flatMap((x) => x.split(','))) {
    if (!ops.some((o) => n.trimStart().startsWith(o)) && !inBrackets) {
      if (parts.length) out.push(parts.join(','));
      parts = [];
    }
    if (n.includes('[')) inBrackets = true;
    if (inBrackets && n.includes(']')) inBrackets = false;
    parts.push(n);
  }
  out.push(parts.join(','));
  return out;
}

/** Ansible's _is_present: a `name==version` line of pip's list satisfies the requirement. */
export function isPresent(req: Req, listing: string): boolean {
  if (req.name === undefined) return false;
  for (const line of listing.split('\n')) {
    if (!line.includes('==')) continue;
    const [n, v] = line.split('==');
    const have = parseVersion(v ?? '');
    if (canonical(n) === req.name && have && req.specs.every(([o, s]) => specMatches(o, s, have, v))) return true;
  }
  return false;
}

// ---- the host side: one sh program, run in one of three modes ----

/*
 * Inputs are the shell variables set before it and two functions: vcall (mkvenv with the words
 * of virtualenv_command) and pact (pip with Ansible's arguments). Every command's output is a
 * record: `N key rc`, its stdout, `N -`, its stderr, `N .`; other news are `N @word text` lines.
 * mode: find (check mode that Ansible answers without pip: stop once pip is found), probe (list
 * what is installed and stop, unless the venv was just made), act (run pip).
 * hx is the ~ expansion of Ansible's path type; bp is Ansible's get_bin_path (PATH, then sbin).
 */
const PIP_SCRIPT = `
w=$(mktemp -d) || exit 1; trap 'rm -rf "$w"' EXIT
say() { printf '%s %s\\n' "$N" "$*"; }
die() { say "@fail $*"; exit 0; }
rec() { k=$1; shift; "$@" >"$w/o" 2>"$w/e"; rc=$?; say "$k $rc"; cat "$w/o"; printf '\\n%s -\\n' "$N"; cat "$w/e"; printf '\\n%s .\\n' "$N"; return $rc; }
hx() { case $1 in "~") printf %s "$HOME";; "~/"*) printf %s "$HOME/\${1#??}";; *) printf %s "$1";; esac; }
bp() {
  found=; bpp=$PATH
  for d in /sbin /usr/sbin /usr/local/sbin; do case ":$bpp:" in *":$d:"*) ;; *) [ ! -e "$d" ] || bpp=$bpp:$d;; esac; done
  set -f; oifs=$IFS; IFS=:
  for d in $bpp; do [ -n "$d" ] && [ -f "$d/$1" ] && [ -x "$d/$1" ] && { found=$d/$1; break; }; done
  IFS=$oifs; set +f; [ -n "$found" ]
}
mkvenv() {
  v0=$(hx "$1"); shift
  case $v0 in */*) ;; *) bp "$v0" || die "Failed to find required executable \\"$v0\\" in paths: $bpp"; v0=$found;; esac
  set -- "$v0" "$@"
  if [ "$site" = 1 ]; then set -- "$@" --system-site-packages
  else
    "$v0" --help >"$w/o" 2>"$w/e" || die "Could not get output from $v0 --help: $(cat "$w/o" "$w/e")"
    ! tr -s ' \\t' '\\n\\n' <"$w/o" | grep -qxF -- --no-site-packages || set -- "$@" --no-site-packages
  fi
  if [ "$venvish" = 0 ]; then
    if [ -n "$vpy" ]; then set -- "$@" "-p$vpy"; elif bp python3; then set -- "$@" "-p$found"; fi
  elif [ -n "$vpy" ]; then die 'virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command'; fi
  set -- "$@" "$env"
  for x in "$@"; do say "@vw $x"; done
  rec venv "$@" || { say '@failcmd venv'; exit 0; }
}
[ -z "$um" ] || umask "$um" || exit 1
env=$(hx "$env"); exe=$(hx "$exe")
[ -z "$env" ] || say "@env $env"
# a relative virtualenv (no chdir) is the login directory's, where Ansible's module starts
case $env in ""|/*) ;; *) env=$PWD/$env;; esac
# Ansible's default chdir is the temp dir; a missing chdir is ignored, as run_command does
cd "$(hx "\${wd:-\${TMPDIR:-/tmp}}")" 2>/dev/null
if [ -n "$env" ] && [ ! -e "$env/bin/activate" ]; then
  [ "$check" = 0 ] || { say @venvmissing; exit 0; }
  vcall; say @made; mode=act
fi
pip=; pym=
if [ -n "$exe" ]; then
  case $exe in /*) pip=$exe;; *) bp "$exe" || die "Unable to find any of $exe to use.  pip needs to be installed."; pip=$found;; esac
elif [ -n "$env" ]; then
  for b in pip3 pip; do [ -e "$env/bin/$b" ] && [ -x "$env/bin/$b" ] && { pip=$env/bin/$b; break; }; done
  [ -n "$pip" ] || die "Unable to find pip in the virtualenv, $env, under any of these names: pip3, pip. Make sure pip is present in the virtualenv."
elif bp pip3 || bp pip; then pip=$found
elif bp python3 && "$found" -c 'import pip' >/dev/null 2>&1; then pym=$found
else die 'Unable to find any of pip3, pip, python3 -m pip to use.  pip needs to be installed.'; fi
say "@pip $pip"; say "@pym $pym"
p() { if [ -n "$pym" ]; then "$pym" -m pip "$@"; else "$pip" "$@"; fi; }
plist() { ( LANG=C; LC_ALL=C; LC_MESSAGES=C; export LANG LC_ALL LC_MESSAGES; p list --format=freeze ); }
lst() { rec "$1" plist || rec "$1f" p freeze || { say "@failcmd $1f"; exit 0; }; }
case $mode in find) exit 0;; probe) lst list; exit 0;; esac
[ "$frz" = 0 ] || lst before
[ -z "$env" ] || PATH="$env/bin:$PATH"
rec act pact
[ "$frz" = 0 ] || lst after
`;

interface Rec { rc: number; out: string; err: string }

/** The records and news of one run of PIP_SCRIPT. */
function parseOutput(stdout: string, n: string) {
  const recs = new Map<string, Rec>();
  const re = new RegExp(`^${n} ([a-z]\\w*) (\\d+)\\n([\\s\\S]*?)\\n${n} -\\n([\\s\\S]*?)\\n${n} \\.$`, 'gm');
  const rest = stdout.replace(re, (_m, k: string, rc: string, out: string, err: string) => {
    recs.set(k, { rc: Number(rc), out, err });
    return '';
  });
  const news = new Map<string, string[]>();
  for (const line of rest.split('\n')) {
    const m = line.startsWith(`${n} @`) ? /^(\S+)(?: (.*))?$/.exec(line.slice(n.length + 2)) : null;
    if (m) news.set(m[1], [...(news.get(m[1]) ?? []), m[2] ?? '']);
  }
  return { recs, news, one: (k: string) => news.get(k)?.[0] };
}

/** Ansible's _fail(): the message from a failed command's output. */
function failMsg(out: string, err: string): string {
  return (out ? `stdout: ${out}` : '') + (err ? `\n:stderr: ${err}` : '');
}

// options that make pip do more than the listed versions tell (upgrade, reinstall, elsewhere)
const NOT_BY_LIST = /^(-[UIert]|--(upgrade|force-reinstall|ignore-installed|editable|requirement|target|prefix|root)\b)/;

export const pip: ModuleDef<Args> = {
  name: 'pip',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const fail = (msg: string, extra: Record<string, unknown> = {}): ModuleResult => ({ changed: false, failed: true, msg, ...extra });
    if (a.state === 'latest' && a.version !== undefined) return fail('version is incompatible with state=latest');
    if (a.name?.length === 0 && a.requirements === undefined) return { changed: false, warnings: ['No valid name or requirements file found.'] };
    const pkgs = a.name ? recoverNames(a.name).map(parseReq) : undefined;
    if (pkgs && a.version !== undefined) {
      if (pkgs.length > 1) {
        return fail("'version' argument is ambiguous when installing multiple package distributions. Please specify version restrictions next to each package in 'name' argument.");
      }
      if (pkgs[0].name && pkgs[0].specs.length) {
        return fail("The 'version' argument conflicts with any version specifier provided along with a package name. Please keep the version specifier, but remove the 'version' argument.");
      }
      const v = a.version.trimStart();
      pkgs[0] = parseReq(pkgs[0].text + (/^\d/.test(v) ? '==' : ' ') + v);
    }
    let extra = a.extra_args;
    if (a.editable) {
      const l = extra ? extra.split(' ') : [];
      if (!l.includes('-e')) extra = [...l, '-e'].join(' ');
    }
    const extraWords = extra ? shlexSplit(extra) : [];
    const words = [...STATE_MAP[a.state], ...extraWords, ...(pkgs ? pkgs.map((p) => p.text) : ['-r', a.requirements!])];
    const hasVcs = (a.name ?? []).some((n) => /^(svn|git|hg|bzr)\+/.test(n));
    const vcmd = shlexSplit(a.virtualenv_command);
    const env = a.virtualenv && a.chdir && !/^[~/]/.test(a.virtualenv) ? `${a.chdir.replace(/\/$/, '')}/${a.virtualenv}` : a.virtualenv;

    // Ansible's check mode answers changed=true without pip for these
    const checkBlind = Boolean(extra || a.requirements || a.state === 'latest' || !pkgs);
    // state=present is decided by the list when pip cannot do more than the versions tell
    const byList = a.state === 'present' && pkgs !== undefined && pkgs.every((p) => p.name && !p.complex) &&
      !hasVcs && !extraWords.some((w) => NOT_BY_LIST.test(w));
    const exec = async (mode: 'find' | 'probe' | 'act') => {
      const n = `@@pip-${randomBytes(6).toString('hex')}`;
      const r = await ctx.run(sh`N=${n}; env=${env ?? ''}; wd=${a.chdir ?? ''}; um=${a.umask ? parseInt(a.umask.trim().replace(/^0o/i, ''), 8).toString(8) : ''}; exe=${a.executable ?? ''}; mode=${mode}; check=${ctx.check ? 1 : 0}; site=${a.virtualenv_site_packages ? 1 : 0}; vpy=${a.virtualenv_python ?? ''}; venvish=${/pyvenv|-m venv/.test(a.virtualenv_command) ? 1 : 0}; frz=${a.requirements !== undefined || hasVcs ? 1 : 0}
vcall() { mkvenv ${vcmd}; }
pact() { p ${words}; }
${raw(PIP_SCRIPT)}`);
      const o = parseOutput(r.stdout, n);
      if (r.code !== 0) o.news.set('fail', [`pip: the module's sh program failed (rc ${r.code ?? r.signal}): ${r.stderr.trim()}`]);
      return o;
    };
    let o = await exec(ctx.check ? (checkBlind ? 'find' : 'probe') : byList ? 'probe' : 'act');
    // state=present by the list: pip runs (a second exec) only when a requirement is not met
    const listed = listing(o);
    if (!ctx.check && listed && !o.news.has('fail') && !o.news.has('failcmd') && !pkgs!.every((p) => isPresent(p, listed.out))) {
      o = await exec('act');
    }
    return result(ctx.check, a, o, pkgs, words, env);
  },
};

type Output = ReturnType<typeof parseOutput>;

/** What `pip list --format=freeze` (or `pip freeze` where list failed) printed. */
const listing = (o: Output) => o.recs.get('listf') ?? o.recs.get('list');

/** The module's answer from the script's output: Ansible's keys, messages and changed rules. */
function result(check: boolean, a: Args, o: Output, pkgs: Req[] | undefined, words: string[], givenEnv?: string): ModuleResult {
  const msg = o.one('fail');
  if (msg !== undefined) return { changed: false, failed: true, msg };
  if (o.news.has('venvmissing')) return { changed: true };
  const pipWords = o.one('pym') ? [o.one('pym')!, '-m', 'pip'] : [o.one('pip')!];
  const venv = o.recs.get('venv');
  let out = venv?.out ?? '';
  let err = venv?.err ?? '';
  const failed = o.one('failcmd');
  if (failed === 'venv') return { changed: false, failed: true, cmd: o.news.get('vw'), msg: failMsg(out, err) };
  if (failed) return { changed: false, failed: true, cmd: [...pipWords, 'freeze'], msg: failMsg(o.recs.get(failed)?.out ?? '', o.recs.get(failed)?.err ?? '') };
  const env = o.one('env') ?? givenEnv ?? null;
  const keys = { name: a.name ?? null, version: a.version ?? null, state: a.state, requirements: a.requirements ?? null, virtualenv: env };
  const listed = listing(o);
  if (check) {
    if (!listed) return { changed: true };
    const present = pkgs!.map((p) => isPresent(p, listed.out));
    const changed = a.state === 'present' ? present.includes(false) : a.state === 'absent' && present.includes(true);
    const pkgCmd = [...pipWords, ...(o.recs.has('listf') ? ['freeze'] : ['list', '--format=freeze'])].join(' ');
    return { changed, cmd: pkgCmd, stdout: listed.out, stderr: listed.err };
  }
  const cmd = [...pipWords, ...words];
  // state=present decided by the list, every requirement met: pip did not run
  if (listed) return { changed: false, cmd, ...keys, stdout: '', stderr: '' };
  const act = o.recs.get('act')!;
  out += act.out;
  err += act.err;
  if (act.rc !== 0 && !(act.rc === 1 && a.state === 'absent' && (act.out.includes('not installed') || act.err.includes('not installed')))) {
    return { changed: false, failed: true, cmd, msg: failMsg(out, err) };
  }
  let changed: boolean;
  if (a.state === 'absent') changed = act.out.includes('Successfully uninstalled');
  else if (o.recs.has('before')) changed = (o.recs.get('beforef') ?? o.recs.get('before'))!.out !== (o.recs.get('afterf') ?? o.recs.get('after'))!.out;
  else changed = act.out.includes('Successfully installed');
  return { changed: changed || o.news.has('made'), cmd, ...keys, stdout: out, stderr: err };
}
