import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import { TemplatedVarsFile, type Inherited, type Item, type Play, type Task } from './model.js';
import { Roles } from './roles.js';
import { didYouMean } from './suggest.js';
import { inherit, loadItems, type TaskLoadCtx } from './tasks.js';
import { errorAt, loadVarsFile, loadYamlFile, posOf } from './yaml.js';
import { matchingFiles } from './includes.js';

const PLAY_KEYS = new Set([
  'name', 'hosts', 'gather_facts', 'gather_subset', 'become', 'become_user', 'become_method', 'vars', 'vars_files',
  'roles', 'pre_tasks', 'tasks', 'post_tasks', 'handlers', 'serial', 'max_fail_percentage', 'any_errors_fatal',
  'tags', 'environment', 'remote_user', 'ignore_errors', 'no_log', 'check_mode', 'force_handlers', 'strategy',
  'collections', 'module_defaults', 'connection', 'order', 'timeout', 'diff', 'run_once', 'ignore_unreachable',
  'throttle', 'debugger', 'fact_path', 'port', 'vars_prompt',
]);

export interface LoadOptions {
  /** Extra role search paths (config roles_path), searched before the playbook's roles/. */
  rolesPath?: string[];
  /** collections_path(s); Ansible's defaults and the playbook's collections/ are added. */
  collectionsPath?: string[];
}

/** Ansible's default collections paths, and where Debian's `ansible` package puts collections. */
const DEFAULT_COLLECTIONS = [join(homedir(), '.ansible/collections'), '/usr/share/ansible/collections', '/usr/lib/python3/dist-packages'];

export const emptyInherited = (): Inherited => ({ when: [], tags: [], environment: [], vars: [], moduleDefaults: [] });

/** Load a playbook (and the playbooks it imports) into plays, validating everything. */
export function loadPlaybook(file: string, opts: LoadOptions = {}, stack: string[] = []): Play[] {
  const path = resolve(file);
  if (!existsSync(path)) throw new ValidationError('playbook', `playbook not found: ${file}`);
  if (stack.includes(path)) throw new ValidationError('playbook', `import_playbook loop: ${[...stack, path].join(' -> ')}`);
  const data = loadYamlFile(path);
  if (!Array.isArray(data)) throw errorAt(data, undefined, `a playbook must be a list of plays`);
  const plays: Play[] = [];
  data.forEach((raw, i) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw errorAt(data, i, `a play must be a mapping`);
    const m = raw as Record<string, unknown>;
    const imp = m.import_playbook ?? m['ansible.builtin.import_playbook'];
    if (imp !== undefined) {
      const target = String(imp);
      plays.push(...loadPlaybook(isAbsolute(target) ? target : join(dirname(path), target), opts, [...stack, path]));
      return;
    }
    plays.push(loadPlay(m, dirname(path), opts));
  });
  return plays;
}

function loadPlay(m: Record<string, unknown>, dir: string, opts: LoadOptions): Play {
  for (const k of Object.keys(m)) {
    if (!PLAY_KEYS.has(k)) {
      const hint = didYouMean(k, PLAY_KEYS);
      throw errorAt(m, k, `'${k}' is not a valid play keyword${hint}`);
    }
  }
  if (m.hosts === undefined || m.hosts === null || m.hosts === '') throw errorAt(m, undefined, `a play needs 'hosts'`);
  if (m.strategy !== undefined && m.strategy !== 'linear') throw errorAt(m, 'strategy', `strategy '${m.strategy}' is not supported: harun runs the linear strategy`);
  // vars: a mapping, or (as Ansible also takes it) a list of mappings merged in order
  const vars = Array.isArray(m.vars) ? Object.assign({}, ...m.vars.map((v, i) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw errorAt(m.vars, i, `each entry of a 'vars' list must be a mapping`);
    return v;
  })) : m.vars;
  if (vars !== undefined && vars !== null && typeof vars !== 'object') throw errorAt(m, 'vars', `'vars' must be a mapping (or a list of mappings)`);
  // vars_prompt: harun runs unattended, so a prompt takes its default or the -e value (checked before the run)
  const prompts = toArray(m.vars_prompt).map((p, i) => {
    if (!p || typeof p !== 'object' || !(p as Record<string, unknown>).name) throw errorAt(m.vars_prompt, i, `a vars_prompt entry needs 'name'`);
    const e = p as Record<string, unknown>;
    return { name: String(e.name), default: e.default, src: posOf(e) };
  });
  const handlers: Task[] = [];
  const warnings: string[] = [];
  const collections = {
    paths: [join(dir, 'collections'), ...(opts.collectionsPath ?? DEFAULT_COLLECTIONS)],
    names: toArray(m.collections).map(String),
  };
  const roles = new Roles([...(opts.rolesPath ?? []), join(dir, 'roles'), resolve('roles')], handlers, warnings, collections);
  const playInh = inherit(emptyInherited(), { ...m, vars: undefined, when: undefined, become: m.become, delegate_to: undefined, run_once: m.run_once });
  const ctx: TaskLoadCtx = { dir, roles, handlers, stack: [], warnings };
  const varsFiles = toArray(m.vars_files).map((f, i) => {
    const names = (Array.isArray(f) ? f : [f]).map(String);
    const where = m.vars_files ?? m;
    const at = Array.isArray(m.vars_files) ? i : 'vars_files';
    if (Array.isArray(f) || names[0].includes('{{')) {
      // validated now: every file the names could match; chosen per host at run time
      for (const n of names) if (!isAbsolute(n)) for (const p of matchingFiles(n, dir)) loadVarsFile(p);
      return new TemplatedVarsFile(names, dir);
    }
    const p = isAbsolute(names[0]) ? names[0] : join(dir, names[0]);
    if (!existsSync(p)) throw errorAt(where, at, `vars file not found: ${p}`);
    return loadVarsFile(p);
  });
  const pre = loadItems(m.pre_tasks, ctx, playInh, m, 'pre_tasks');
  const roleItems: Item[] = [];
  toArray(m.roles).forEach((r, i) => {
    const { items, handlers: hs } = roles.load(r, m.roles, undefined, dir, playInh, true);
    void i;
    roleItems.push(...items);
    handlers.push(...hs);
  });
  const tasks = loadItems(m.tasks, ctx, playInh, m, 'tasks');
  const post = loadItems(m.post_tasks, ctx, playInh, m, 'post_tasks');
  for (const h of loadItems(m.handlers, ctx, playInh, m, 'handlers')) {
    if (h.kind !== 'task') throw errorAt(m, 'handlers', `handlers must be tasks, not blocks`);
    handlers.push(h);
  }
  const serial = m.serial === undefined ? undefined : toArray(m.serial) as (number | string)[];
  return {
    name: m.name !== undefined ? String(m.name) : String(m.hosts),
    hosts: Array.isArray(m.hosts) ? m.hosts.join(',') : String(m.hosts),
    src: posOf(m),
    raw: m,
    gatherFacts: m.gather_facts === undefined ? true : Boolean(m.gather_facts),
    vars: { ...Object.fromEntries(prompts.filter((p) => p.default !== undefined).map((p) => [p.name, p.default])), ...(vars ?? {}) } as Record<string, unknown>,
    prompts,
    varsFiles,
    roles: roles.loaded,
    sections: [pre, roleItems, tasks, post],
    handlers,
    serial,
    maxFailPercentage: m.max_fail_percentage as number | undefined,
    anyErrorsFatal: Boolean(m.any_errors_fatal),
    forceHandlers: Boolean(m.force_handlers),
    dir,
    warnings,
  };
}

function toArray(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}
