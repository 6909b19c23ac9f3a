import { existsSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ValidationError } from '../errors.js';
import type { Block, Include, Inherited, Item, Role } from './model.js';
import { didYouMean } from './suggest.js';
import { BLOCK_KEYS, inherit, loadTaskFile, type TaskLoadCtx } from './tasks.js';
import { errorAt, posOf } from './yaml.js';
import { parseKv } from './kv.js';
import { toBool } from '../vars/filters.js';
import { escapeRegExp } from '../vars/regex.js';

/**
 * import_tasks / import_role are expanded when the playbook loads (their keywords apply to what
 * they bring). include_tasks / include_role become an Include that the engine decides per host;
 * every file it could name (a templated name: each file its fixed parts match) is loaded now,
 * so a mistake in any of them stops the run before a host is touched.
 */

const short = (k: string) => k.replace(/^ansible\.(builtin|legacy)\./, '');
/** Keywords that stay with a dynamic include instead of passing to what it brings. */
const OWN = new Set(['when', 'tags', 'loop', 'loop_control', 'name', 'args']);

function loopOf(m: Record<string, unknown>) {
  const key = Object.keys(m).find((k) => k === 'loop' || k.startsWith('with_'));
  const lc = (m.loop_control ?? {}) as Record<string, unknown>;
  return {
    loop: key ? { kind: key, value: m[key] } : undefined,
    loopControl: { loopVar: String(lc.loop_var ?? 'item'), label: lc.label as string | undefined, indexVar: lc.index_var as string | undefined, pause: lc.pause as number | undefined, extended: Boolean(lc.extended) },
  };
}

/** What a templated name's fixed parts allow (`setup-{{ x }}.yml` -> setup-*.yml), within one path segment per part. */
export function templatePattern(name: string): RegExp {
  const parts = name.split(/\{\{.*?\}\}/s).map(escapeRegExp);
  return new RegExp(`^${parts.join('[^/]*')}$`);
}

/** Files in `dirs` whose names fit a templated name's fixed parts (`setup-{{ x }}.yml` -> setup-*.yml). */
export function matchingFiles(file: string, ...dirs: string[]): string[] {
  const re = templatePattern(file);
  const depth = file.split('/').length;
  const out: string[] = [];
  for (const d of dirs) {
    const walk = (dir: string, rel: string, level: number) => {
      if (!existsSync(dir)) return;
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory() && level < depth) walk(join(dir, e.name), r, level + 1);
        else if (e.isFile() && re.test(r)) out.push(join(d, r));
      }
    };
    walk(d, '', 1);
  }
  return [...new Set(out)];
}

export function loadInclude(m: Record<string, unknown>, key: string, ctx: TaskLoadCtx, inh: Inherited): Block | Include {
  const kind = short(key) === 'include' ? 'include_tasks' : short(key);
  const dynamic = kind.startsWith('include');
  const keywords = Object.fromEntries(Object.entries(m).filter(([k]) => k !== key && k !== 'name'));
  for (const k of Object.keys(keywords)) {
    const allowed = BLOCK_KEYS.has(k) || k === 'args' || (dynamic && (k === 'loop' || k === 'loop_control' || k.startsWith('with_')));
    if (!allowed) throw errorAt(m, k, `'${k}' is not supported on ${kind}${didYouMean(k, BLOCK_KEYS)}${k === 'loop' ? ` (${kind} is static: use include_${kind.slice(7)} to loop)` : ''}`);
  }
  let spec = m[key];
  if (typeof spec === 'string') spec = kind.endsWith('role') ? parseKv(spec).args : { file: parseKv(spec).free || spec };
  const { apply, public: _public, ...args } = { ...(m.args as object), ...(spec as Record<string, unknown>) } as Record<string, unknown>;
  if (apply !== undefined && (!dynamic || typeof apply !== 'object' || Array.isArray(apply))) throw errorAt(m, key, `'apply' takes a mapping of task keywords, and only on include_tasks/include_role`);
  const passed = dynamic ? Object.fromEntries(Object.entries(keywords).filter(([k]) => !OWN.has(k) && !k.startsWith('with_'))) : keywords;
  const child = inherit(inherit(inh, passed), (apply ?? {}) as Record<string, unknown>);
  const name = m.name !== undefined ? String(m.name) : kind;
  const wrap = (items: Item[]): Block => ({ kind: 'block', name: m.name as string | undefined, src: posOf(m), block: items, rescue: [], always: [] });
  if (kind.endsWith('role')) {
    if (!args.name) throw errorAt(m, key, `${kind} needs 'name'`);
    const roleName = String(args.name);
    // include_role keeps the role's defaults and vars to its own tasks; `public: true` shares them
    // with the play's later tasks on the hosts that ran it
    const loaded = new Map<string, { role: Role; items: Item[] }>();
    const load = (n: string) => {
      let r = loaded.get(n);
      if (!r) {
        const { handlers, ...rest } = ctx.roles.load({ ...args, name: n }, m, key, ctx.dir, child, false, !dynamic);
        ctx.handlers.push(...handlers);
        loaded.set(n, (r = rest));
      }
      return r;
    };
    const templated = dynamic && roleName.includes('{{');
    // a templated name: every role it could name is loaded (and validated) now
    if (templated) {
      const names = ctx.roles.matching(roleName, ctx.dir);
      for (const n of names) load(n);
      const pos = posOf(m);
      if (!names.length) ctx.warnings.push(`${pos ? `${pos.file}:${pos.line}` : ctx.dir}: ${kind}: no role on the search path fits ${roleName}; it fails only on a host that reaches it`);
    } else load(roleName);
    if (!dynamic) return wrap(load(roleName).items);
    const isPublic = toBool(_public);
    const pick = (rendered: string) => load(templated ? rendered : roleName);
    return {
      kind: 'include', action: 'include_role', name, src: posOf(m), raw: m, inherited: inherit(inh, keywords), ...loopOf(m),
      file: templated ? roleName : undefined, resolve: (rendered) => pick(rendered).items,
      publicRole: isPublic ? (rendered) => pick(rendered).role : undefined,
    };
  }
  const file = String(args.file ?? args._raw_params ?? '');
  if (!file) throw errorAt(m, key, `${kind} needs a file name`);
  const dirs = [ctx.dir, ...(inh.role ? [join(inh.role.path, 'tasks')] : [])];
  const candidates = (f: string) => (isAbsolute(f) ? [f] : dirs.map((d) => join(d, f)));
  const templated = file.includes('{{');
  if (!dynamic) {
    if (templated) throw errorAt(m, key, `${kind}: a templated file name needs include_tasks (import_tasks is resolved when loading)`);
    const path = candidates(file).find((p) => existsSync(p));
    if (!path) throw errorAt(m, key, `${kind}: no such file: ${file} (looked in ${candidates(file).join(', ')})`);
    return wrap(loadTaskFile(path, ctx, child));
  }
  const loaded = new Map<string, Item[]>();
  const load = (path: string) => {
    let items = loaded.get(path);
    if (!items) loaded.set(path, (items = loadTaskFile(path, { ...ctx, lenient: true }, child)));
    return items;
  };
  // every file the include can name is validated now; a file already being loaded (an include
  // of itself) is loaded when a host reaches it
  const possible = templated ? (isAbsolute(file) ? [] : matchingFiles(file, ...dirs)) : candidates(file).filter((p) => existsSync(p)).slice(0, 1);
  if (!templated && !possible.length) {
    // Ansible opens an include_tasks file when a host reaches it, so a branch for another OS may
    // name a file that is not there: warned now, and a failure only on a host that includes it
    const pos = posOf(m);
    ctx.warnings.push(`${pos ? `${pos.file}:${pos.line}` : ctx.dir}: ${kind}: no such file: ${file} (looked in ${candidates(file).join(', ')}); it fails only on a host that reaches it`);
  }
  for (const p of possible) if (!ctx.stack.includes(p)) load(p);
  return {
    kind: 'include', action: 'include_tasks', name, src: posOf(m), raw: m, inherited: inherit(inh, keywords), file, ...loopOf(m),
    resolve(rendered: string) {
      const path = candidates(rendered).find((p) => existsSync(p));
      if (!path) throw new ValidationError('include', `${kind}: could not find or access '${rendered}' (looked in ${candidates(rendered).join(', ')})`, posOf(m));
      return load(path);
    },
  };
}
