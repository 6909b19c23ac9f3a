import { dirname } from 'node:path';
import { ValidationError } from '../errors.js';
import { findModule, isModule, moduleSuggestions } from '../modules/index.js';
import { notFound } from '../modules/fallback/paths.js';
import { checkArgs, normalizeArgs } from './args.js';
import type { Block, Inherited, Item, Role, Task } from './model.js';
import { didYouMean } from './suggest.js';
import { errorAt, loadYamlFile, posOf } from './yaml.js';
import { loadInclude } from './includes.js';
import { defaultsFor, loadModuleDefaults } from './module-defaults.js';
import { isLookup, lookupNames } from '../vars/template.js';

const TASK_KEYS = new Set([
  'name', 'when', 'loop', 'loop_control',
  'register', 'notify', 'tags', 'become', 'become_user', 'become_method', 'become_flags', 'ignore_errors',
  'ignore_unreachable', 'changed_when', 'failed_when', 'until', 'retries', 'delay', 'delegate_to',
  'delegate_facts', 'run_once', 'environment', 'no_log', 'check_mode', 'diff', 'vars', 'args', 'action',
  'local_action', 'listen', 'any_errors_fatal', 'throttle', 'timeout', 'collections', 'debugger',
  'connection', 'module_defaults', 'async', 'poll',
]);
export const BLOCK_KEYS = new Set([
  'name', 'block', 'rescue', 'always', 'when', 'tags', 'become', 'become_user', 'become_method', 'vars',
  'environment', 'ignore_errors', 'no_log', 'check_mode', 'delegate_to', 'run_once', 'any_errors_fatal',
  'collections', 'diff', 'timeout', 'module_defaults', 'debugger', 'ignore_unreachable', 'throttle', 'notify', 'delegate_facts',
]);
const INCLUDES = new Set(['include_tasks', 'import_tasks', 'include_role', 'import_role', 'include']);

/** Loads roles on demand (include_role); given by the playbook loader. */
export interface RoleLoader {
  load(ref: unknown, node: unknown, key: string | undefined, from: string, inh: Inherited, dedupe?: boolean, exposed?: boolean): { role: Role; items: Item[]; handlers: Task[] };
  /** The roles a templated name could give (`web-{{ x }}`: every role web-* on the search path). */
  matching(name: string, from: string): string[];
}

export interface TaskLoadCtx {
  /** Directory relative task files are resolved against. */
  dir: string;
  roles: RoleLoader;
  /** Handlers found in included roles, collected for the play. */
  handlers: Task[];
  /** Stack of files being included, to catch include loops. */
  stack: string[];
  /** Load-time warnings for the play (see lenient). */
  warnings: string[];
  /**
   * Loading a file only a dynamic include reaches: a task naming a module harun lacks is a
   * warning now and fails only on a host that gets there (the FreeBSD branch of a role).
   */
  lenient?: boolean;
}

const isMeta = (k: string) => k.replace(/^ansible\.(builtin|legacy)\./, '') === 'meta';
const toList = (v: unknown): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.map(String) : String(v).split(',').map((s) => s.trim()).filter(Boolean));

/** What a block or task hands down to what it contains. */
export function inherit(parent: Inherited, m: Record<string, unknown>, role?: Role): Inherited {
  const out: Inherited = { ...parent, when: [...parent.when], tags: [...parent.tags], environment: [...parent.environment], vars: [...parent.vars], moduleDefaults: [...parent.moduleDefaults, ...loadModuleDefaults(m)] };
  if (m.when !== undefined) out.when.push(...(Array.isArray(m.when) ? m.when : [m.when]) as (string | boolean)[]);
  out.tags.push(...toList(m.tags));
  if (m.become !== undefined) out.become = m.become as boolean;
  if (m.become_user !== undefined) out.becomeUser = String(m.become_user);
  if (m.become_method !== undefined) out.becomeMethod = m.become_method as 'sudo' | 'su';
  if (m.environment && typeof m.environment === 'object') out.environment.push(m.environment as Record<string, unknown>);
  if (m.vars && typeof m.vars === 'object') out.vars.push(m.vars as Record<string, unknown>);
  if (m.ignore_errors !== undefined) out.ignoreErrors = m.ignore_errors as boolean;
  if (m.no_log !== undefined) out.noLog = m.no_log as boolean;
  if (m.check_mode !== undefined) out.checkMode = m.check_mode as boolean;
  if (m.delegate_to !== undefined) out.delegateTo = String(m.delegate_to);
  if (m.run_once !== undefined) out.runOnce = Boolean(m.run_once);
  if (m.any_errors_fatal !== undefined) out.anyErrorsFatal = Boolean(m.any_errors_fatal);
  if (m.notify !== undefined) out.notify = toList(m.notify);
  if (role) out.role = role;
  return out;
}

export function loadTaskFile(file: string, ctx: TaskLoadCtx, inh: Inherited): Item[] {
  if (ctx.stack.includes(file)) throw new ValidationError('include', `include loop: ${[...ctx.stack, file].join(' -> ')}`);
  const data = loadYamlFile(file);
  if (data === null) return [];
  if (!Array.isArray(data)) throw errorAt(data, undefined, `a task file must be a list of tasks, got ${typeof data}`);
  return loadItems(data, { ...ctx, dir: dirname(file), stack: [...ctx.stack, file] }, inh);
}

export function loadItems(list: unknown, ctx: TaskLoadCtx, inh: Inherited, owner?: unknown, key?: string): Item[] {
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) throw errorAt(owner, key, `'${key}' must be a list of tasks`);
  const out: Item[] = [];
  list.forEach((raw, i) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw errorAt(list, i, `a task must be a mapping, got ${JSON.stringify(raw)}`);
    out.push(...loadItem(raw as Record<string, unknown>, ctx, inh));
  });
  return out;
}

function loadItem(m: Record<string, unknown>, ctx: TaskLoadCtx, inh: Inherited): Item[] {
  if ('block' in m) return [loadBlock(m, ctx, inh)];
  const actionKey = Object.keys(m).find((k) => INCLUDES.has(k.replace(/^ansible\.(builtin|legacy)\./, '')));
  if (actionKey) return [loadInclude(m, actionKey, ctx, inh)];
  try {
    return [loadTask(m, inh)];
  } catch (e) {
    const key = ctx.lenient ? unknownModule(m) : undefined;
    if (!key) throw e;
    const pos = posOf(m);
    const where = pos ? `${pos.file}:${pos.line}` : ctx.dir;
    ctx.warnings.push(`${where}: module '${key}' is not available to harun; it fails only on a host that reaches it (an include decides at run time)`);
    const msg = `harun cannot run module '${key}' (${where}): ${(e as Error).message}`;
    return [loadTask({ name: m.name ?? key, fail: { msg }, ...Object.fromEntries(Object.entries(m).filter(([k]) => TASK_KEYS.has(k) && k !== 'args')) }, inh)];
  }
}

/** The action key of a task whose only non-keyword key names no module harun has. */
function unknownModule(m: Record<string, unknown>): string | undefined {
  const keys = Object.keys(m).filter((k) => !TASK_KEYS.has(k) && !k.startsWith('with_'));
  return keys.length === 1 && !isModule(keys[0]) && !isMeta(keys[0]) ? keys[0] : undefined;
}

function loadBlock(m: Record<string, unknown>, ctx: TaskLoadCtx, inh: Inherited): Block {
  for (const k of Object.keys(m)) {
    if (!BLOCK_KEYS.has(k)) throw errorAt(m, k, `'${k}' is not a valid keyword for a block${didYouMean(k, BLOCK_KEYS)}`);
  }
  const child = inherit(inh, m);
  return {
    kind: 'block',
    name: m.name as string | undefined,
    src: posOf(m),
    block: loadItems(m.block, ctx, child, m, 'block'),
    rescue: loadItems(m.rescue, ctx, child, m, 'rescue'),
    always: loadItems(m.always, ctx, child, m, 'always'),
  };
}

export function loadTask(m: Record<string, unknown>, inh: Inherited): Task {
  let moduleKey: string | undefined;
  let value: unknown;
  let argsNode: unknown;
  const unknown: string[] = [];
  for (const k of Object.keys(m)) {
    if (TASK_KEYS.has(k)) continue;
    if (k.startsWith('with_')) {
      if (!isLookup(k.slice(5))) throw errorAt(m, k, `'${k}': no lookup plugin named '${k.slice(5)}'${didYouMean(k.slice(5), lookupNames())}`);
      continue;
    }
    unknown.push(k);
  }
  if (m.action !== undefined || m.local_action !== undefined) {
    const a = (m.action ?? m.local_action) as unknown;
    const akey = m.action !== undefined ? 'action' : 'local_action';
    if (typeof a === 'string') {
      const [name, ...rest] = a.trim().split(/\s+/);
      moduleKey = name;
      value = rest.join(' ');
    } else if (a && typeof a === 'object') {
      const { module, ...rest } = a as Record<string, unknown>;
      moduleKey = String(module);
      value = rest;
      argsNode = a;
    }
    if (!moduleKey) throw errorAt(m, akey, `'${akey}' needs a module name`);
    if (unknown.length) throw errorAt(m, unknown[0], `'${unknown[0]}' is not a valid task keyword${didYouMean(unknown[0], TASK_KEYS)}`);
  } else {
    const mods = unknown.filter((k) => isModule(k) || isMeta(k));
    const bad = unknown.filter((k) => !isModule(k) && !isMeta(k));
    if (bad.length) {
      const k = bad[0];
      const hint = didYouMean(k, [...TASK_KEYS, ...moduleSuggestions(k), 'meta']);
      const what = mods.length || unknown.length > 1 ? 'a valid task keyword or module' : 'a known module';
      throw errorAt(m, k, `'${k}' is not ${what}${hint}; ${notFound()}`);
    }
    if (mods.length > 1) throw errorAt(m, mods[1], `conflicting action statements: ${mods.join(', ')} (one module per task)`);
    if (!mods.length) throw errorAt(m, undefined, `no module given in this task (keys: ${Object.keys(m).join(', ')})`);
    moduleKey = mods[0];
    value = m[moduleKey];
    argsNode = value;
  }
  const short = moduleKey.replace(/^ansible\.(builtin|legacy)\./, '');
  let mod: ReturnType<typeof findModule>;
  try {
    mod = short === 'meta' ? undefined : findModule(short);
  } catch (e) {
    throw errorAt(m, moduleKey, (e as Error).message);
  }
  let args: Record<string, unknown>;
  let module: string;
  let defaults: unknown[] = [];
  if (short === 'meta') {
    module = 'meta';
    const action = typeof value === 'string' ? value.trim() : String((value as any)?.free_form ?? '');
    const known = ['flush_handlers', 'noop', 'end_play', 'end_host', 'clear_facts', 'refresh_inventory', 'reset_connection', 'clear_host_errors'];
    if (!known.includes(action)) throw errorAt(m, moduleKey, `meta: unknown action '${action}'${didYouMean(action, known)}`);
    args = { action };
  } else {
    if (!mod) throw errorAt(m, moduleKey, `'${moduleKey}' is not a known module${didYouMean(moduleKey, moduleSuggestions(moduleKey))}; ${notFound()}`);
    module = mod.name;
    try {
      args = normalizeArgs(mod, value, m.args);
    } catch (e) {
      throw errorAt(m, moduleKey, (e as Error).message);
    }
    // the task's arguments are checked with the module_defaults that apply; a default given as a
    // template is known only at run time, and so are the arguments then
    const levels = defaultsFor(mod.name, [...inh.moduleDefaults, ...loadModuleDefaults(m)]);
    if (levels.every((d) => typeof d === 'object')) checkArgs(mod, Object.assign({}, ...levels, args), { task: m, argsNode, atLoad: true });
    defaults = levels;
  }
  const loops = Object.keys(m).filter((k) => k === 'loop' || k.startsWith('with_'));
  if (loops.length > 1) throw errorAt(m, loops[1], `only one loop per task: ${loops.join(', ')}`);
  const loopKey = loops[0];
  let loop: unknown;
  if (loopKey) loop = { kind: loopKey, value: m[loopKey] };
  const lc = (m.loop_control ?? {}) as Record<string, unknown>;
  if (m.local_action !== undefined) inh = { ...inh, delegateTo: 'localhost' };
  const task: Task = {
    kind: 'task',
    name: m.name !== undefined ? String(m.name) : `${module}${module === 'meta' ? ': ' + args.action : ''}`,
    module,
    args,
    src: posOf(m),
    raw: m,
    inherited: inherit(inh, m),
    loop,
    loopControl: { loopVar: String(lc.loop_var ?? 'item'), label: lc.label as string | undefined, indexVar: lc.index_var as string | undefined, pause: lc.pause as number | undefined, extended: Boolean(lc.extended) },
    register: m.register as string | undefined,
    // a task without notify takes its block's (Ansible's notify is an inherited block keyword)
    notify: m.notify !== undefined ? toList(m.notify) : inh.notify ?? [],
    changedWhen: m.changed_when,
    failedWhen: m.failed_when,
    until: m.until,
    retries: m.retries as number | undefined,
    delay: m.delay as number | undefined,
    defaults,
    async: m.async as number | string | undefined,
    poll: m.poll as number | string | undefined,
    listen: toList(m.listen),
  };
  return task;
}
