/**
 * find: the files under paths that match names, age, size, type and content, as ansible-core
 * 2.14's find returns them. One round trip: a sh script runs GNU find (and grep/sha1sum for
 * contains/get_checksum) printing NUL-separated records; Ansible's walk (os.walk top-down, lstat
 * of every entry, its order, depth pruning and examined count) and its filters run here on them.
 */
import { z } from 'zod';
import { joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { globToRegExp } from '../inventory/patterns.js';
import { pyRepr } from '../vars/py.js';
import { bool, lazySchema, num, str, strList, withAliases } from './lib/args.js';
import { NL, pyToEre } from './lib/ere.js';
import { fmtMode } from './lib/mode.js';
import { pyRegex } from '../vars/regex.js';
import type { ModuleDef, ModuleResult } from './types.js';

const AGE = /^(-?\d+)([smhdw])?$/;
const SIZE = /^(-?\d+)([bkmgt])?$/;
const AGE_UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const SIZE_UNIT: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
const amount = (v: string, re: RegExp, units: Record<string, number>) => {
  const m = re.exec(v.toLowerCase())!;
  return Number(m[1]) * (m[2] ? units[m[2]] : 1);
};

const schema = lazySchema(() => withAliases(
  { name: 'paths', path: 'paths', pattern: 'patterns', exclude: 'excludes' },
  z
    .object({
      paths: strList(),
      patterns: strList().default([]),
      excludes: strList().optional(),
      contains: str().optional(),
      read_whole_file: bool().default(false),
      file_type: z.enum(['any', 'directory', 'file', 'link'], { error: 'expected one of any, directory, file, link' }).default('file'),
      // Ansible checks these when the module runs (same messages); here before any host is touched
      age: str().refine((v) => AGE.test(v.toLowerCase()), 'failed to process age').optional(),
      age_stamp: z.enum(['atime', 'ctime', 'mtime'], { error: 'expected one of atime, ctime, mtime' }).default('mtime'),
      size: str().refine((v) => SIZE.test(v.toLowerCase()), 'failed to process size').optional(),
      recurse: bool().default(false),
      hidden: bool().default(false),
      follow: bool().default(false),
      get_checksum: bool().default(false),
      use_regex: bool().default(false),
      depth: num().pipe(z.number().int('expected an integer')).optional(),
    })
    .strict()
    .superRefine((a, c) => {
      const check = (key: string, f: () => unknown) => {
        try {
          f();
        } catch (e) {
          c.addIssue({ code: 'custom', path: [key], message: (e as Error).message });
        }
      };
      if (a.use_regex) for (const key of ['patterns', 'excludes'] as const) for (const p of a[key] ?? []) check(key, () => pyRegex(p));
      if (a.contains !== undefined && a.file_type === 'file') check('contains', () => pyToEre(a.contains!));
    }),
));
export type FindArgs = z.infer<ReturnType<typeof schema>>;

// ---- contains: Python `re` to POSIX ERE (lib/ere.ts), because file contents stay on the host

/**
 * The files (NUL-separated paths on stdin) whose content matches, on stdout NUL-separated. Fast
 * line mode is one grep for them all; else each file is read as the text pyToEre expects.
 */
function contentCmd(pattern: string, whole: boolean): Sh {
  const { re, icase, fast } = pyToEre(pattern);
  const i = icase ? 'i' : '';
  if (!whole && fast) return sh`LC_ALL=C.UTF-8 xargs -0r grep -lZE${raw(i)} -e ${`^(${re.replaceAll(NL, '\r')})`} -- 2>/dev/null`;
  const text = `sed 's/\\r$//' "$f" | tr '\\r\\n' '\\001\\001'${whole ? `; printf '\\0'` : ` | sed 's/\\x01/&\\n/g'`}`;
  const each = `for f; do [ -r "$f" ] && { ${text}; } | LC_ALL=C.UTF-8 grep -q${whole ? 'z' : ''}E${i} -e "$0" && printf '%s\\0' "$f"; done`;
  return sh`xargs -0r sh -c ${each} ${whole ? `(${re})` : `^(${re})`} 2>/dev/null`;
}

// ---- the round trip

// each entry: type, type followed, perm (octal), uid, gid, size, inode, dev, nlink, times, names, path
const E_FMT = 'E\\0%d\\0%y\\0%Y\\0%m\\0%U\\0%G\\0%s\\0%i\\0%D\\0%n\\0%A@\\0%T@\\0%C@\\0%u\\0%g\\0%p\\0%P\\0';
// a symlink's own lstat where find -L reports its target: raw mode in hex instead of type and perm
const S_FMT = 'S\\0%n\\0%f\\0%u\\0%g\\0%s\\0%i\\0%d\\0%h\\0%.9X\\0%.9Y\\0%.9Z\\0%U\\0%G\\0';

// Python's os.path.expandvars ($name, ${name}; unknown names stay) with awk's ENVIRON
const EXPANDVARS =
  'BEGIN { s = ENVIRON["_harun_find_p"]; o = ""; ' +
  'while (match(s, /\\$([A-Za-z0-9_]+|\\{[^}]*\\})/)) { m = substr(s, RSTART, RLENGTH); n = substr(m, 2); ' +
  'if (n ~ /^\\{/) n = substr(n, 2, length(n) - 2); o = o substr(s, 1, RSTART - 1) ((n in ENVIRON) ? ENVIRON[n] : m); ' +
  's = substr(s, RSTART + RLENGTH) } printf "%s", o s }';

/** Whether fnmatch and find's -name agree on a glob: only literal characters and `*`. */
const plainGlob = (g: string) => !/[?[\\]/.test(g);

/** The sh script: for each path, its expansion and state, then find's records (see E_FMT). */
function script(a: FindArgs, maxdepth: (path: string) => number | undefined): Sh {
  const loops = a.paths.map((path) => {
    const md = maxdepth(path);
    const walk = (L: string) => raw(`find ${L} "$s" -mindepth 1${md === undefined ? '' : ` -maxdepth ${md}`}`);
    const cmds: Sh[] = [sh`${walk(a.follow ? '-L' : '-H')} \\( -type d ! -readable -printf 'U\\0%P\\0' , -printf ${E_FMT} \\) 2>/dev/null`];
    // find -L reports what a link points to; Ansible lstats every entry
    if (a.follow) cmds.push(sh`${walk('-L')} -xtype l -print0 2>/dev/null | xargs -0r stat --printf ${S_FMT} -- 2>/dev/null`);
    const content = a.contains !== undefined && a.file_type === 'file';
    const sums = a.get_checksum && (a.file_type === 'file' || a.file_type === 'any');
    if (content || sums) {
      // regular files that may match (a superset: names, age and depth are checked here later)
      const pre: Sh[] = [sh`-type f`];
      if (a.follow) pre.push(sh`! -xtype l`);
      if (a.size !== undefined) {
        const n = amount(a.size, SIZE, SIZE_UNIT);
        pre.push(n >= 0 ? sh`! -size ${`-${n}c`}` : sh`-size ${`-${-n + 1}c`}`);
      }
      if (!a.hidden) pre.push(sh`! -name '.*'`);
      if (!a.use_regex && a.patterns.length && a.patterns.every(plainGlob) && !a.patterns.includes('*')) {
        pre.push(sh`\\( ${raw(a.patterns.map((g) => sh`-name ${g}`).join(' -o '))} \\)`);
      }
      for (const g of a.use_regex ? [] : (a.excludes ?? []).filter(plainGlob)) pre.push(sh`! -name ${g}`);
      let pipe = sh`LC_ALL=C ${walk(a.follow ? '-L' : '-H')} ${raw(pre.join(' '))} -print0 2>/dev/null`;
      if (content) pipe = sh`${raw(pipe)} | ${raw(contentCmd(a.contains!, a.read_whole_file))}`;
      cmds.push(sums ? sh`${raw(pipe)} | xargs -0r sha1sum -z -- 2>/dev/null | xargs -0r printf 'H\\0%s\\0'` : sh`${raw(pipe)} | xargs -0r printf 'G\\0%s\\0'`);
    }
    return sh`p=${path}; ${raw(PATH_STATE)}
s=$p; case $s in -*) s=./$s;; esac
${raw(joinSh(cmds, '\n'))}
done`;
  });
  return sh`${raw(PREAMBLE)}
${raw(joinSh(loops, '\n'))}
true`;
}

const PREAMBLE = `find / -maxdepth 0 -printf '' 2>/dev/null || { echo 'find needs GNU find on the host (its -printf)' >&2; exit 3; }
printf 'T\\0%s\\0' "$(date +%s.%N)"`;

// expanduser(expandvars(p)), then whether it is a directory Python could list; a loop of one
// pass so that `continue` moves on to the next path
const PATH_STATE = `for _ in 1; do
case $p in *'$'*) p=$(_harun_find_p=$p awk '${EXPANDVARS}'; printf .); p=\${p%.};; esac
case $p in '~'|'~/'*) h=\${HOME-$(getent passwd "$(id -un)" | cut -d: -f6)}; p=\${h%/}\${p#'~'};;
'~'*) u=\${p%%/*}; u=\${u#'~'}; h=$(getent passwd "$u" | cut -d: -f6); [ -n "$h" ] && p=\${h%/}\${p#'~'"$u"};; esac
if [ ! -d "$p" ]; then printf 'P\\0%s\\0n\\0' "$p"; continue; fi
if [ ! -r "$p" ]; then printf 'P\\0%s\\0u\\0' "$p"; continue; fi
printf 'P\\0%s\\0d\\0' "$p"`;

// ---- the records, and Ansible's walk over them

interface Info {
  /** find's %y letter: f d l p s c b. */
  type: string;
  perm: number;
  uid: number;
  gid: number;
  size: number;
  inode: number;
  dev: number;
  nlink: number;
  atime: number;
  mtime: number;
  ctime: number;
  pw: string;
  gr: string;
}
interface Entry {
  rel: string;
  /** The path as find printed it (%p), which keys the S, G and H records. */
  key: string;
  /** In os.walk's dirs (a directory, or a link to one), else in its files. */
  dirish: boolean;
  info: Info;
}
interface PathOut {
  npath: string;
  state: string;
  entries: Entry[];
  unreadable: Set<string>;
  lstat: Map<string, Info>;
  content: Set<string>;
  sums: Map<string, string>;
}

/** st_mtime as CPython computes it (sec + nsec * 1e-9), from find's or stat's `sec.fraction`. */
const time = (t: string) => {
  const [s, f = ''] = t.split('.');
  return Number(s) + Number(f.slice(0, 9).padEnd(9, '0')) * 1e-9;
};
const TYPE_BITS: Record<number, string> = { 0o100000: 'f', 0o040000: 'd', 0o120000: 'l', 0o010000: 'p', 0o140000: 's', 0o020000: 'c', 0o060000: 'b' };

function parse(out: string): { now: number; paths: PathOut[] } {
  const t = out.split('\0');
  let now = NaN;
  const paths: PathOut[] = [];
  let cur: PathOut | undefined;
  const info = (type: string, perm: number, f: string[], pw: string, gr: string): Info => {
    const [uid, gid, size, inode, dev, nlink] = f.slice(0, 6).map(Number);
    // find prints the number, stat UNKNOWN, for an id without a name; Python gives ''
    const name = (n: string, id: number) => (n === 'UNKNOWN' || n === String(id) ? '' : n);
    return { type, perm, uid, gid, size, inode, dev, nlink, atime: time(f[6]), mtime: time(f[7]), ctime: time(f[8]), pw: name(pw, uid), gr: name(gr, gid) };
  };
  for (let i = 0; i < t.length - 1; ) {
    const tag = t[i++];
    if (tag === 'T') now = Number(t[i++]);
    else if (tag === 'P') {
      cur = { npath: t[i], state: t[i + 1], entries: [], unreadable: new Set(), lstat: new Map(), content: new Set(), sums: new Map() };
      paths.push(cur);
      i += 2;
    } else if (!cur) throw new Error(`unexpected output of find: ${JSON.stringify(out.slice(0, 200))}`);
    else if (tag === 'E') {
      const f = t.slice(i, i + 17);
      i += 17;
      cur.entries.push({ rel: f[16], key: f[15], dirish: f[2] === 'd', info: info(f[1], parseInt(f[3], 8), f.slice(4, 13), f[13], f[14]) });
    } else if (tag === 'S') {
      const f = t.slice(i, i + 13);
      i += 13;
      const mode = parseInt(f[1], 16);
      cur.lstat.set(f[0], info(TYPE_BITS[mode & 0o170000] ?? '?', mode & 0o7777, f.slice(2, 11), f[11], f[12]));
    } else if (tag === 'U') cur.unreadable.add(t[i++]);
    else if (tag === 'G') cur.content.add(t[i++]);
    else if (tag === 'H') {
      const h = t[i++];
      cur.sums.set(h.slice(42), h.slice(0, 40));
      cur.content.add(h.slice(42));
    } else throw new Error(`unexpected output of find: record ${JSON.stringify(tag)}`);
  }
  return { now, paths };
}

/** Python's posixpath.normpath. */
export function normpath(path: string): string {
  if (path === '') return '.';
  const lead = path.startsWith('//') && !path.startsWith('///') ? 2 : path.startsWith('/') ? 1 : 0;
  const parts: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c !== '..' || (!lead && !parts.length) || parts[parts.length - 1] === '..') parts.push(c);
    else if (parts.length) parts.pop();
  }
  return '/'.repeat(lead) + parts.join('/') || '.';
}
const pjoin = (a: string, b: string) => (a === '' || a.endsWith('/') ? a + b : `${a}/${b}`);
const slashes = (s: string) => s.split('/').length - 1;
const wpathSlashes = (npath: string) => slashes(npath.replace(/\/+$/, '') + '/');

/** Ansible's statinfo(), keys in its order. */
function statinfo(s: Info): Record<string, unknown> {
  const bit = (b: number) => (s.perm & b) !== 0;
  return {
    mode: fmtMode(s.perm),
    isdir: s.type === 'd', ischr: s.type === 'c', isblk: s.type === 'b', isreg: s.type === 'f',
    isfifo: s.type === 'p', islnk: s.type === 'l', issock: s.type === 's',
    uid: s.uid, gid: s.gid, size: s.size, inode: s.inode, dev: s.dev, nlink: s.nlink,
    atime: s.atime, mtime: s.mtime, ctime: s.ctime, gr_name: s.gr, pw_name: s.pw,
    wusr: bit(0o200), rusr: bit(0o400), xusr: bit(0o100),
    wgrp: bit(0o020), rgrp: bit(0o040), xgrp: bit(0o010),
    woth: bit(0o002), roth: bit(0o004), xoth: bit(0o001),
    isuid: bit(0o4000), isgid: bit(0o2000),
  };
}

/** os.walk's error for a directory it cannot list, as Python prints it. */
class WalkError extends Error {}

export const find: ModuleDef<FindArgs> = {
  name: 'find',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const maxdepth = (path: string) => {
      if (!a.recurse) return 1;
      if (!a.depth) return undefined;
      // os.walk lists the entries of directories down to depth (and prunes below): one level
      // more than depth; how Ansible counts depth depends on how the path is written
      const off = slashes(normpath(pjoin(path, 'x'))) - wpathSlashes(path);
      return Math.max(1, a.depth + 1 - off + (/^~|\$/.test(path) ? 4 : 0));
    };
    const r = await ctx.run(script(a, maxdepth));
    if (r.code !== 0 || !r.stdout.startsWith('T\0')) {
      return { changed: false, failed: true, msg: r.stderr.trim() || `find failed (exit ${r.code})` };
    }
    const { now, paths } = parse(r.stdout);
    const patterns = a.patterns.length ? a.patterns : [a.use_regex ? '.*' : '*'];
    const matcher = (p: string) => {
      if (!a.use_regex) return globToRegExp(p);
      const re = pyRegex(p, { sticky: true }); // re.match: anchored at the start only
      return { test: (s: string) => ((re.lastIndex = 0), re.test(s)) };
    };
    const pats = patterns.map(matcher);
    const excl = (a.excludes ?? []).map(matcher);
    const pfilter = (name: string) => pats.some((re) => re.test(name)) && !excl.some((re) => re.test(name));
    const age = a.age === undefined ? undefined : amount(a.age, AGE, AGE_UNIT);
    const ageOk = (s: Info) => age === undefined || (age >= 0 ? now - s[a.age_stamp] >= age : now - s[a.age_stamp] <= -age);
    const size = a.size === undefined ? undefined : amount(a.size, SIZE, SIZE_UNIT);
    const sizeOk = (s: Info) => size === undefined || (size >= 0 ? s.size >= size : s.size <= -size);

    const files: Record<string, unknown>[] = [];
    const skipped: Record<string, string> = {};
    const warnings: string[] = [];
    let looked = 0;
    for (const po of paths) {
      const { npath } = po;
      const children = new Map<string, Entry[]>();
      for (const e of po.entries) {
        const dir = e.rel.slice(0, Math.max(0, e.rel.lastIndexOf('/')));
        const l = children.get(dir);
        if (l) l.push(e);
        else children.set(dir, [e]);
      }
      const visit = (dir: string) => {
        if (dir !== '' && po.unreadable.has(dir)) throw new WalkError(pjoin(npath, dir));
        const list = children.get(dir) ?? [];
        looked += list.length;
        const dirs = list.filter((e) => e.dirish);
        let prune = false;
        for (const e of [...list.filter((e) => !e.dirish), ...dirs]) {
          const fsname = normpath(pjoin(npath, e.rel));
          if (a.depth && slashes(fsname) - wpathSlashes(npath) + 1 > a.depth) {
            prune = true;
            continue;
          }
          const name = e.rel.slice(e.rel.lastIndexOf('/') + 1);
          if (name.startsWith('.') && !a.hidden) continue;
          const s = po.lstat.get(e.key) ?? e.info;
          const want =
            pfilter(name) && ageOk(s) &&
            (a.file_type === 'any' ? s.type !== 'f' || sizeOk(s)
              : a.file_type === 'file' ? s.type === 'f' && sizeOk(s) && (a.contains === undefined || po.content.has(e.key))
                : s.type === (a.file_type === 'directory' ? 'd' : 'l'));
          if (!want) continue;
          const f: Record<string, unknown> = { path: fsname, ...statinfo(s) };
          const sum = po.sums.get(e.key);
          if (a.get_checksum && s.type === 'f' && sum) f.checksum = sum;
          files.push(f);
        }
        if (!a.recurse || prune) return;
        for (const d of dirs) if (a.follow || (po.lstat.get(d.key) ?? d.info).type !== 'l') visit(d.rel);
      };
      let why: string | undefined;
      if (po.state === 'n') why = `'${npath}' is not a directory`;
      else {
        try {
          if (po.state === 'u') throw new WalkError(npath);
          visit('');
        } catch (e) {
          if (!(e instanceof WalkError)) throw e;
          why = `[Errno 13] Permission denied: ${pyRepr(e.message)}`;
        }
      }
      if (why !== undefined) {
        skipped[npath] = why;
        warnings.push(`Skipped '${npath}' path due to this access issue: ${why}\n`);
      }
    }
    const res: ModuleResult = {
      changed: false,
      files,
      msg: warnings.length ? 'Not all paths examined, check warnings for details' : 'All paths examined',
      matched: files.length,
      examined: looked,
      skipped_paths: skipped,
    };
    if (warnings.length) res.warnings = warnings;
    return res;
  },
};
