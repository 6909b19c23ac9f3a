import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { unvault } from '../vault/files.js';
import type { Lookup, LookupCtx } from './lookups.js';
import { isMapping, isUndef, pyStr, TemplateError } from './py.js';
import { PyRandom } from './pyrandom.js';

/** Lookups that read the controller: files, commands, password files, CSV and INI files. */

/**
 * Where a relative file is looked for, in Ansible's order (path_dwim_relative_stack): for each
 * path of the task's search path (its role, its task file's directory) `<path>/<subdir>/<file>`
 * then `<path>/<file>`, then the same in the playbook's directory.
 */
export function searchCandidates(paths: string[], basedir: string, subdir: string, source: string): string[] {
  if (isAbsolute(source)) return [source];
  const out: string[] = [];
  for (const p of [...paths, basedir]) {
    if (source.split('/')[0] !== subdir) out.push(join(p, subdir, source));
    out.push(join(p, source));
  }
  return [...new Set(out)];
}

function searchPaths(ctx: LookupCtx): [string[], string] {
  const sp = ctx.get('ansible_search_path');
  const base = ctx.get('playbook_dir');
  return [Array.isArray(sp) ? sp.map(String) : [], isUndef(base) ? process.cwd() : String(base)];
}

export function findFile(ctx: LookupCtx, subdir: string, source: string): string | undefined {
  const [paths, base] = searchPaths(ctx);
  return searchCandidates(paths, base, subdir, source).find((p) => existsSync(p));
}

const readText = (p: string) => readFileSync(p, 'utf8');

/** first_found's terms: file names, or mappings of files/paths/skip; names split on , and ;. */
function firstFoundCandidates(terms: unknown[], kw: Record<string, unknown>): { names: string[]; skip: boolean } {
  const split = (v: unknown) => (Array.isArray(v) ? v : [v]).flatMap((x) => pyStr(x).split(/[,;]/)).map((s) => s.trim()).filter(Boolean);
  let skip = Boolean(kw.skip);
  const names: string[] = [];
  const add = (files: string[], paths: string[]) => {
    if (!paths.length) names.push(...files);
    else for (const p of paths) for (const f of files) names.push(join(p, f));
  };
  const plain: string[] = [];
  for (const t of terms.flatMap((x) => (Array.isArray(x) ? x : [x]))) {
    if (isMapping(t)) {
      if (t.skip !== undefined) skip = Boolean(t.skip);
      add(split(t.files ?? t.file ?? []), t.paths === undefined && t.path === undefined ? [] : split(t.paths ?? t.path));
    } else if (!isUndef(t)) plain.push(pyStr(t));
  }
  add([...plain, ...(kw.files !== undefined ? split(kw.files) : [])], kw.paths !== undefined ? split(kw.paths) : []);
  return { names, skip };
}

/** k=v options after a term (`key file=x.csv delimiter=,`); the first word is the term itself. */
function termOptions(t: unknown, defaults: Record<string, string>, kw: Record<string, unknown>): [string, Record<string, string>] {
  const s = pyStr(t);
  const o: Record<string, string> = { ...defaults, ...Object.fromEntries(Object.entries(kw).map(([k, v]) => [k, pyStr(v)])) };
  const parts = s.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
  const key: string[] = [];
  for (const p of parts) {
    const m = /^(\w+)=(.*)$/.exec(p);
    if (m && m[1] in defaults) o[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
    else key.push(p);
  }
  return [key.join(' '), o];
}

const CHARSETS: Record<string, string> = {
  ascii_letters: 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  ascii_lowercase: 'abcdefghijklmnopqrstuvwxyz',
  ascii_uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  digits: '0123456789',
  hexdigits: '0123456789abcdefABCDEF',
  octdigits: '01234567',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
};

function password(term: unknown, kw: Record<string, unknown>, ctx: LookupCtx): string {
  const [path, o] = termOptions(term, { length: '20', chars: 'ascii_letters,digits,.,:-_', encrypt: '', seed: '' }, kw);
  const [, base] = searchPaths(ctx);
  const file = path === '/dev/null' || isAbsolute(path) ? path : join(base, path);
  if (file !== '/dev/null' && existsSync(file)) return readText(file).split('\n')[0].replace(/ salt=\S*$/, '');
  if (o.encrypt) throw new TemplateError('lookup password: encrypt= is not supported by harun; hash the password with password_hash');
  const chars = o.chars.split(/,(?!,)/).map((c) => CHARSETS[c] ?? c).join('');
  const rnd = new PyRandom(o.seed || undefined);
  const pw = Array.from({ length: Number(o.length) }, () => chars[rnd.below(chars.length)]).join('');
  if (file !== '/dev/null') {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${pw}\n`, { mode: 0o600 });
  }
  return pw;
}

function csvfile(term: unknown, kw: Record<string, unknown>, ctx: LookupCtx): unknown {
  const [key, o] = termOptions(term, { file: 'ansible.csv', delimiter: 'TAB', col: '1', default: '', encoding: 'utf-8' }, kw);
  const path = findFile(ctx, 'files', o.file);
  if (!path) throw new TemplateError(`csvfile: could not find file ${o.file}`);
  const delim = o.delimiter === 'TAB' || o.delimiter === '\\t' ? '\t' : o.delimiter;
  for (const line of readText(path).split(/\r?\n/)) {
    const row = line.split(delim);
    if (row[0] === key) return row[Number(o.col)] ?? o.default;
  }
  return o.default;
}

function ini(term: unknown, kw: Record<string, unknown>, ctx: LookupCtx): unknown {
  const [key, o] = termOptions(term, { file: 'ansible.ini', section: 'global', re: 'False', default: '', type: 'ini' }, kw);
  const path = findFile(ctx, 'files', o.file);
  if (!path) throw new TemplateError(`ini: could not find file ${o.file}`);
  let section = o.type === 'properties' ? 'java_properties' : '';
  const found: string[] = [];
  const re = /^true$/i.test(o.re) ? new RegExp(key) : undefined;
  for (const line of readText(path).split(/\r?\n/)) {
    const sec = /^\s*\[(.+)\]\s*$/.exec(line);
    if (sec) section = sec[1];
    const kv = /^\s*([^=:#;\s][^=:]*?)\s*[=:]\s*(.*)$/.exec(line);
    if (!kv || section !== (o.type === 'properties' ? 'java_properties' : o.section)) continue;
    if (re ? re.test(kv[1]) : kv[1] === key) found.push(kv[2]);
  }
  return re ? found : found.length ? found[found.length - 1] : o.default;
}

export const FILE_LOOKUPS: Record<string, Lookup> = {
  file: (terms, kw, ctx) => terms.map((t) => {
    const p = findFile(ctx, 'files', pyStr(t));
    if (!p) throw new TemplateError(`could not locate file in lookup: ${pyStr(t)}`);
    // a vaulted file is opened, as Ansible's file lookup does
    let s = unvault(p);
    if (kw.rstrip !== false) s = s.trimEnd();
    if (kw.lstrip === true) s = s.trimStart();
    return s;
  }),
  unvault: (terms, _kw, ctx) => terms.map((t) => {
    const p = findFile(ctx, 'files', pyStr(t));
    if (!p) throw new TemplateError(`could not locate file in lookup: ${pyStr(t)}`);
    return unvault(p);
  }),
  fileglob: (terms, _kw, ctx) => terms.flatMap((t) => {
    const term = pyStr(t);
    const [paths, base] = searchPaths(ctx);
    const dirs = isAbsolute(term) ? [dirname(term)] : searchCandidates(paths, base, 'files', dirname(term)).filter((d) => existsSync(d));
    const glob = new RegExp(`^${basename(term).replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    for (const d of dirs) {
      const hits = existsSync(d) ? readdirSync(d).filter((f) => glob.test(f)).sort().map((f) => join(d, f)) : [];
      if (hits.length) return hits;
    }
    return [];
  }),
  first_found: (terms, kw, ctx) => {
    const { names, skip } = firstFoundCandidates(terms, kw);
    for (const n of names) {
      let name: string;
      try {
        name = ctx.render(n);
      } catch {
        continue; // an undefined variable in a candidate skips it, as Ansible does
      }
      const p = findFile(ctx, ctx.subdir ?? 'files', name);
      if (p) return [p];
    }
    if (skip) return [];
    throw new TemplateError(`No file was found when using first_found (tried: ${names.join(', ')})`);
  },
  template: (terms, kw, ctx) => terms.map((t) => {
    const p = findFile(ctx, 'templates', pyStr(t));
    if (!p) throw new TemplateError(`the template file ${pyStr(t)} could not be found for the lookup`);
    return ctx.render(readText(p), (kw.template_vars ?? {}) as Record<string, unknown>);
  }),
  pipe: (terms) => terms.map((t) => execSync(pyStr(t), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trimEnd()),
  lines: (terms) => terms.flatMap((t) => execSync(pyStr(t), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n').filter((l, i, a) => l !== '' || i < a.length - 1)),
  password: (terms, kw, ctx) => terms.map((t) => password(t, kw, ctx)),
  csvfile: (terms, kw, ctx) => terms.map((t) => csvfile(t, kw, ctx)),
  ini: (terms, kw, ctx) => terms.flatMap((t) => { const v = ini(t, kw, ctx); return Array.isArray(v) ? v : [v]; }),
};
