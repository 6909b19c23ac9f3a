/**
 * yum_repository: one repo section of a `<reposdir>/<file>.repo` INI file, edited as Ansible
 * 2.14's module edits it. Ansible reads the file with Python's configparser.RawConfigParser,
 * replaces (present) or drops (absent) the section, and compares a sorted dump of the sections
 * before and after; only when the dumps differ does it rewrite the file in configparser's own
 * format (comments dropped, keys lower-cased, `key = value`, continuation lines indented by a
 * tab, a blank line after each section, the edited section moved to the end), or delete it when
 * no section is left. The parser and writer below reproduce configparser (Python 3.11) so that
 * harun leaves byte for byte the file Ansible leaves, hand-written files included: one that
 * already says the same is left as it is, whatever its formatting. One exec reads the file; a
 * change is one more (convergeFile's atomic write, or rm).
 */
import { z } from 'zod';
import { MASK } from '../report/mask.js';
import { sh } from '../shell/sh.js';
import { bool, lazySchema, str, withAliases } from './lib/args.js';
import { extraAttrArgs, withExtraAttrs } from './lib/extra-attrs.js';
import { convergeFile, readRemoteFile, sha1 } from './lib/file.js';
import { fileAttrs } from './lineinfile.js';
import type { FileDiff, ModuleDef, ModuleResult } from './types.js';

// the options the module writes into the section, by how their value is written
const BOOLS = ['async', 'enabled', 'enablegroups', 'gpgcheck', 'keepalive', 'module_hotfixes', 'protect', 'repo_gpgcheck', 's3_enabled', 'skip_if_unavailable', 'ssl_check_cert_permissions', 'sslverify'] as const;
const STRS = ['bandwidth', 'cost', 'deltarpm_metadata_percentage', 'deltarpm_percentage', 'gpgcakey', 'include', 'metadata_expire', 'metalink', 'mirrorlist', 'mirrorlist_expire', 'password', 'priority', 'proxy', 'proxy_password', 'proxy_username', 'retries', 'sslcacert', 'sslclientcert', 'sslclientkey', 'throttle', 'timeout', 'ui_repoid_vars', 'username'] as const;
/** Lists joined by a newline (one URL a line) and by a space. */
const NL_LISTS = ['baseurl', 'gpgkey'] as const;
const SPACE_LISTS = ['exclude', 'includepkgs'] as const;
const CHOICES = {
  failovermethod: ['roundrobin', 'priority'],
  http_caching: ['all', 'packages', 'none'],
  ip_resolve: ['4', '6', 'IPv4', 'IPv6', 'whatever'],
  keepcache: ['0', '1'],
  metadata_expire_filter: ['never', 'read-only:past', 'read-only:present', 'read-only:future'],
} as const;

const choice = <T extends readonly [string, ...string[]]>(c: T) => str().pipe(z.enum(c, { error: `expected one of ${c.join(', ')}` }));

/**
 * Ansible's list of str: a string is split on every comma and NOT trimmed (lib/args' strList
 * trims), because the spaces end up in the file as Ansible writes it.
 */
const pyList = () =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',') : typeof v === 'number' ? [String(v)] : Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? String(x) : x)) : v),
    z.array(z.string(), { error: 'expected a list of strings' }),
  );

const schema = lazySchema(() => withAliases(
  { ca_cert: 'sslcacert', client_cert: 'sslclientcert', client_key: 'sslclientkey', validate_certs: 'sslverify', attr: 'attributes' },
  z
    .object({
      name: str(),
      description: str().optional(),
      file: str().optional(),
      reposdir: str().default('/etc/yum.repos.d'),
      state: z.enum(['present', 'absent'], { error: 'expected one of present, absent' }).default('present'),
      // removed in Ansible 2.5; Ansible fails when it is given, with the message below
      params: z.record(z.string(), z.unknown()).optional(),
      ...Object.fromEntries(BOOLS.map((k) => [k, bool().optional()])) as Record<(typeof BOOLS)[number], z.ZodOptional<ReturnType<typeof bool>>>,
      ...Object.fromEntries(STRS.map((k) => [k, str().optional()])) as Record<(typeof STRS)[number], z.ZodOptional<ReturnType<typeof str>>>,
      baseurl: pyList().optional(),
      gpgkey: pyList().optional(),
      exclude: pyList().optional(),
      includepkgs: pyList().optional(),
      failovermethod: choice(CHOICES.failovermethod).optional(),
      http_caching: choice(CHOICES.http_caching).optional(),
      ip_resolve: choice(CHOICES.ip_resolve).optional(),
      keepcache: choice(CHOICES.keepcache).optional(),
      metadata_expire_filter: choice(CHOICES.metadata_expire_filter).optional(),
      ...fileAttrs,
      ...extraAttrArgs(),
    })
    .strict()
    .superRefine((a, c) => {
      const fail = (message: string) => c.addIssue({ code: 'custom', message });
      if (a.params && Object.keys(a.params).length) fail("The params option to yum_repository was removed in Ansible 2.5 since it circumvents Ansible's option handling");
      else if (a.state === 'present') {
        if (a.baseurl === undefined && a.metalink === undefined && a.mirrorlist === undefined) fail("Parameter 'baseurl', 'metalink' or 'mirrorlist' is required.");
        else if (a.description === undefined) fail("Parameter 'description' is required.");
      }
    }),
));
type Args = z.infer<ReturnType<typeof schema>>;

/** The section's options as Ansible sets them: sorted by key, booleans 1/0, lists joined, description as `name`. */
export function repoOptions(a: Args): [string, string][] {
  const opts: [string, string][] = [];
  for (const k of BOOLS) if (a[k] !== undefined) opts.push([k, a[k] ? '1' : '0']);
  for (const k of STRS) if (a[k] !== undefined) opts.push([k, a[k]]);
  for (const k of NL_LISTS) if (a[k] !== undefined) opts.push([k, a[k].join('\n')]);
  for (const k of SPACE_LISTS) if (a[k] !== undefined) opts.push([k, a[k].join(' ')]);
  for (const k of Object.keys(CHOICES) as (keyof typeof CHOICES)[]) if (a[k] !== undefined) opts.push([k, a[k]]);
  if (a.description !== undefined) opts.push(['name', a.description]);
  return opts.sort(([x], [y]) => byCodePoint(x, y));
}

/** Python's sort order of str: by code point (JS compares UTF-16 units). */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d) return d;
  }
  return x.length - y.length;
}

// ---- configparser.RawConfigParser (Python 3.11), default settings -------------------------

/** Python's str.isspace() characters (JS \s differs: it has U+FEFF and lacks U+001C-U+001F, U+0085). */
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const STRIP = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');
const RSTRIP = new RegExp(`[${WS}]+$`);
const LEAD = new RegExp(`^[${WS}]*`);
const SECTCRE = /^\[([^\n]+)\]/;
const OPTCRE = new RegExp(`^([^\\n]*?)[${WS}]*([=:])[${WS}]*([^\\n]*)$`);
const strip = (s: string) => s.replace(STRIP, '');

/** A parsed file: the [DEFAULT] options and the other sections, in file order. */
export interface Ini {
  defaults: Map<string, string>;
  sections: Map<string, Map<string, string>>;
}

/** RawConfigParser.read: throws configparser's errors (Ansible's module dies on them with a traceback). */
export function parseIni(text: string, path: string): Ini {
  const raw = { defaults: new Map<string, string[]>(), sections: new Map<string, Map<string, string[]>>() };
  const added = new Set<string>();
  const errors: string[] = [];
  let cur: Map<string, string[]> | undefined;
  let sect = '';
  let opt: string | undefined;
  let indent = 0;
  // text mode: universal newlines
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const where = (n: number) => `While reading from '${path}' [line ${String(n).padStart(2)}]`;
  lines.forEach((line, i) => {
    const s = strip(line);
    const comment = s.startsWith('#') || s.startsWith(';');
    const value = comment ? '' : s;
    if (!value) {
      // a blank line belongs to the value being read (trailing ones are dropped at the join)
      if (!comment && cur && opt !== undefined) cur.get(opt)!.push('');
      return;
    }
    const level = LEAD.exec(line)![0].length;
    if (cur && opt !== undefined && level > indent) {
      cur.get(opt)!.push(value);
      return;
    }
    indent = level;
    const m = SECTCRE.exec(value);
    if (m) {
      sect = m[1];
      if (raw.sections.has(sect)) throw new Error(`${where(i + 1)}: section '${sect}' already exists`);
      if (sect === 'DEFAULT') cur = raw.defaults;
      else raw.sections.set(sect, (cur = new Map()));
      opt = undefined;
      return;
    }
    if (!cur) throw new Error(`File contains no section headers.\nfile: '${path}', line: ${i + 1}\n${JSON.stringify(line + '\n')}`);
    const o = OPTCRE.exec(value);
    if (!o) return void errors.push(`\t[line ${String(i + 1).padStart(2)}]: ${JSON.stringify(line + '\n')}`);
    if (!o[1]) errors.push(`\t[line ${String(i + 1).padStart(2)}]: ${JSON.stringify(line + '\n')}`);
    opt = o[1].replace(RSTRIP, '').toLowerCase();
    if (added.has(`${sect}\n${opt}`)) throw new Error(`${where(i + 1)}: option '${opt}' in section '${sect}' already exists`);
    added.add(`${sect}\n${opt}`);
    cur.set(opt, [strip(o[3])]);
  });
  if (errors.length) throw new Error(`Source contains parsing errors: '${path}'\n${errors.join('\n')}`);
  const join = (m: Map<string, string[]>) => new Map([...m].map(([k, v]) => [k, v.join('\n').replace(RSTRIP, '')]));
  return { defaults: join(raw.defaults), sections: new Map([...raw.sections].map(([k, v]) => [k, join(v)])) };
}

/** RawConfigParser.write: [DEFAULT] first when it has options, `key = value`, a blank line after each section. */
export function writeIni(ini: Ini): string {
  const section = (name: string, opts: Map<string, string>) =>
    `[${name}]\n${[...opts].map(([k, v]) => `${k} = ${v.replace(/\n/g, '\n\t')}\n`).join('')}\n`;
  return (ini.defaults.size ? section('DEFAULT', ini.defaults) : '') + [...ini.sections].map(([n, o]) => section(n, o)).join('');
}

/** The module's YumRepo.dump: sections and their items (defaults merged in) sorted; what Ansible compares and diffs. */
export function dumpIni(ini: Ini): string {
  return [...ini.sections.keys()]
    .sort(byCodePoint)
    .map((name) => {
      const items = [...new Map([...ini.defaults, ...ini.sections.get(name)!])].sort(([x], [y]) => byCodePoint(x, y));
      return `[${name}]\n${items.map(([k, v]) => `${k} = ${v}\n`).join('')}\n`;
    })
    .join('');
}

// ---- the module --------------------------------------------------------------------------

/** os.path.join(reposdir, name): an absolute name wins, nothing is normalised. */
const pyJoin = (dir: string, name: string) => (name.startsWith('/') || dir === '' ? name : dir.endsWith('/') ? dir + name : `${dir}/${name}`);
const destOf = (a: Args) => pyJoin(a.reposdir, `${a.file ?? a.name}.repo`);

/** AnsibleModule's remove_values over the result: no_log values (password, proxy_password) masked. */
function hider(a: Args): (s: string) => string {
  const secrets = [a.password, a.proxy_password].filter((s): s is string => !!s);
  return (s) => (secrets.includes(s) ? 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' : secrets.reduce((t, x) => t.split(x).join(MASK), s));
}

const yumRepositoryNative: ModuleDef<Args> = {
  name: 'yum_repository',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const dest = destOf(a);
    const fail = (msg: string, extra: Record<string, unknown> = {}): ModuleResult => ({ changed: false, failed: true, msg, ...extra });
    const cur = await readRemoteFile(ctx, dest);
    if (!cur.exists && !cur.parentExists) return fail(`Repo directory '${a.reposdir}' does not exist.`);
    // os.path.isfile: what is not a regular file is not read (and cannot be written)
    const isFile = cur.exists && cur.stat?.type === 'file';
    // Python reads the file as UTF-8 and dies on what is not
    if (isFile && cur.content.includes('\uFFFD') && sha1(cur.content) !== cur.checksum) return fail(`${dest} is not valid UTF-8`);
    let ini: Ini;
    try {
      ini = isFile ? parseIni(cur.content, dest) : { defaults: new Map(), sections: new Map() };
    } catch (e) {
      return fail((e as Error).message);
    }
    const before = dumpIni(ini);
    if (a.state === 'present') {
      if (a.name === 'DEFAULT') return fail("Invalid section name: 'DEFAULT'");
      // removed and added again: a changed section moves to the end of the file, as in Ansible
      ini.sections.delete(a.name);
      ini.sections.set(a.name, new Map(repoOptions(a)));
    } else ini.sections.delete(a.name);
    const after = dumpIni(ini);
    const changed = before !== after;
    const hide = hider(a);
    const diff: FileDiff[] = [{ path: hide(dest), before: hide(before), after: hide(after), beforeHeader: hide(dest), afterHeader: hide(dest) }];
    const result: ModuleResult = { changed, repo: hide(a.name), state: a.state, diff };
    // the file's attributes are converged whenever it exists afterwards (even for absent)
    const attrs = { dest, mode: a.mode, owner: a.owner, group: a.group, current: cur };
    if (!changed) {
      if (!isFile) return result;
      const r = await convergeFile(ctx, { ...attrs, content: cur.content });
      return r.failed ? { ...fail(String(r.msg)), diff } : { ...result, changed: r.changed };
    }
    if (ctx.check) return result;
    if (cur.exists && !isFile) return fail(`Problems handling file ${dest}.`, { details: `[Errno 21] Is a directory: '${dest}'` });
    if (!ini.sections.size) {
      const r = await ctx.run(sh`rm -f -- ${dest}`);
      return r.code === 0 ? result : fail(`Cannot remove empty repo file ${dest}.`, { details: r.stderr.trim() });
    }
    const r = await convergeFile(ctx, { ...attrs, content: writeIni(ini) });
    return r.failed ? fail(`Problems handling file ${dest}.`, { details: r.msg, diff }) : result;
  },
};

/**
 * yum_repository, with SELinux context and chattr attributes applied by Ansible's file module
 * when given, to the file when it is still there (a non-empty dump after the change).
 */
export const yum_repository = withExtraAttrs(yumRepositoryNative, (a, r) => ((r.diff as FileDiff[] | undefined)?.[0]?.after ? destOf(a) : undefined));
