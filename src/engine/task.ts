import { existsSync } from 'node:fs';
import { checkArgs } from '../config/args.js';
import type { Task } from '../config/model.js';
import { CommandError, HarunError, UnreachableError, formatPos } from '../errors.js';
import { ansibleModule, findModule } from '../modules/index.js';
import type { ModuleContext, ModuleResult } from '../modules/types.js';
import type { HostStatus } from '../report/events.js';
import { resolveBecome, type Become } from '../shell/wrap.js';
import type { Transport } from '../transport/types.js';
import { toBool } from '../vars/filters.js';
import { LazyScope } from '../vars/lazy.js';
import { evalCondition, evaluate, renderString, renderValue, runLookup, scopeCtx, searchCandidates } from '../vars/template.js';
import { runAsync } from './async.js';
import { createContext } from './context.js';
import { dropOmitted, type VarsTask } from './vars.js';

/** What the task runner needs from the play runner. */
export interface TaskEnv {
  check: boolean;
  diff: boolean;
  signal: AbortSignal;
  timeoutMs?: number;
  cliBecome: { become?: boolean; user?: string; password?: string };
  vars(host: string, task: VarsTask, item?: Record<string, unknown>): Record<string, unknown>;
  transport(host: string): Promise<Transport>;
  /** A new connection to the host in place of the old one (see HostRuntime.reconnect). */
  reconnect(host: string, timeoutSec?: number): Promise<Transport>;
  facts(host: string): Promise<Record<string, unknown>>;
  log(level: 1 | 2 | 3, host: string, msg: string): void;
}

export interface Outcome {
  status: HostStatus;
  result: ModuleResult;
  /** Per-item outcomes when the task loops. */
  items?: { label: string; status: HostStatus; result: ModuleResult }[];
  /** The task's ignore_errors, rendered with this host's variables. */
  ignoreErrors?: boolean;
}

export function statusOf(r: ModuleResult): HostStatus {
  if (r.unreachable) return 'unreachable';
  if (r.failed) return 'failed';
  if (r.skipped) return 'skipped';
  return r.changed ? 'changed' : 'ok';
}

export function errorResult(e: unknown, task: Pick<Task, 'src'>): ModuleResult {
  if (e instanceof UnreachableError) return { changed: false, unreachable: true, msg: e.message };
  if (e instanceof CommandError) return { changed: false, failed: true, msg: e.message, cmd: e.cmd, rc: e.rc, stdout: e.stdout, stderr: e.stderr };
  if (e instanceof HarunError) return { changed: false, failed: true, msg: e.source ? e.describe() : `${e.message}${task.src ? ` (task at ${formatPos(task.src)})` : ''}` };
  return { changed: false, failed: true, msg: `internal error: ${(e as Error)?.stack ?? e}` };
}

/** The loop's items, as Ansible's loop / with_<lookup> give them. */
export function loopItems(task: Pick<Task, 'loop' | 'src'> & { module?: string }, vars: Record<string, unknown>): unknown[] {
  const { kind, value } = task.loop as { kind: string; value: unknown };
  if (kind === 'loop') {
    let v = renderValue(value, vars);
    if (typeof v === 'string') v = v.split(',').map((s) => s.trim());
    if (!Array.isArray(v)) throw new HarunError('loop', `loop needs a list, got ${JSON.stringify(v)}`, task.src);
    return v;
  }
  const name = kind.slice('with_'.length);
  // first_found skips candidates whose variables are undefined; the others fail on them
  let terms: unknown;
  if (name === 'first_found' && Array.isArray(value)) terms = value.flatMap((t) => { try { return [renderValue(t, vars)]; } catch { return []; } });
  else terms = renderValue(value, vars);
  if (typeof terms === 'string' && !['items', 'list'].includes(name)) terms = [terms];
  else if (typeof terms === 'string') terms = terms.split(',').map((s) => s.trim());
  const list = Array.isArray(terms) ? terms : [terms];
  // the subdir a with_ loop hands first_found: include_vars searches vars/, template templates/
  const subdir = ['template', 'var', 'file'].find((s) => task.module?.includes(s)) ?? 'file';
  const ctx = scopeCtx(new LazyScope(vars), `${subdir}s`);
  if (name === 'dict' && (list.length !== 1 || !list[0] || typeof list[0] !== 'object')) throw new HarunError('loop', `with_dict needs a mapping, got ${JSON.stringify(terms)}`, task.src);
  return runLookup(name, list, {}, ctx);
}

function becomeFor(task: Task, vars: Record<string, unknown>, env: TaskEnv): Become | undefined {
  const k = task.inherited;
  return resolveBecome(vars, { become: k.become, user: k.becomeUser === undefined ? undefined : String(k.becomeUser), method: k.becomeMethod }, env.cliBecome);
}

export function localPath(vars: Record<string, unknown>, kind: string, src: string): string {
  const paths = Array.isArray(vars.ansible_search_path) ? vars.ansible_search_path.map(String) : [];
  const candidates = searchCandidates(paths, String(vars.playbook_dir ?? '.'), kind, src);
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

/** The variables one loop item brings: the loop var, index_var, ansible_loop when extended. */
export function loopVars(lc: Task['loopControl'], item: unknown, i: number, n: number): Record<string, unknown> {
  const iv: Record<string, unknown> = { [lc.loopVar]: item, ansible_loop_var: lc.loopVar };
  if (lc.indexVar) iv[lc.indexVar] = i;
  if (lc.extended) iv.ansible_loop = { index: i + 1, index0: i, first: i === 0, last: i === n - 1, length: n, revindex: n - i, revindex0: n - i - 1 };
  return iv;
}

function noLogFor(task: Task, vars: Record<string, unknown>): boolean {
  return task.inherited.noLog !== undefined && toBool(renderValue(task.inherited.noLog, vars));
}

/** Run one task (all its loop items, retries, conditions) on one host. */
export async function runTask(task: Task, host: string, env: TaskEnv, register: (v: unknown) => void, setFacts: (f: Record<string, unknown>) => void = () => {}): Promise<Outcome> {
  const base = env.vars(host, task);
  let ignoreErrors = false;
  try {
    ignoreErrors = task.inherited.ignoreErrors !== undefined && toBool(renderValue(task.inherited.ignoreErrors, base));
  } catch (e) {
    const r = errorResult(e, task);
    return { status: statusOf(r), result: r };
  }
  const out = await runTaskOn(task, host, env, base, register, setFacts);
  return { ...out, ignoreErrors };
}

async function runTaskOn(task: Task, host: string, env: TaskEnv, base: Record<string, unknown>, register: (v: unknown) => void, setFacts: (f: Record<string, unknown>) => void): Promise<Outcome> {
  const facts = (r: ModuleResult) => {
    if (r.facts && !r.failed && !r.skipped) setFacts(r.facts);
  };
  if (!task.loop) {
    if (!cond(task.inherited.when, base)) return { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } };
    const r = await runOnce(task, host, env, undefined, register);
    facts(r);
    return { status: statusOf(r), result: r };
  }
  let list: unknown[];
  try {
    list = loopItems(task, base);
  } catch (e) {
    const r = errorResult(e, task);
    return { status: statusOf(r), result: r };
  }
  const lc = task.loopControl;
  const items: NonNullable<Outcome['items']> = [];
  const results: ModuleResult[] = [];
  for (const [i, item] of list.entries()) {
    const iv = loopVars(lc, item, i, list.length);
    const vars = env.vars(host, task, iv);
    let label: string;
    try {
      label = lc.label !== undefined ? String(renderValue(lc.label, vars)) : typeof item === 'object' ? JSON.stringify(item) : String(item);
    } catch {
      label = String(i);
    }
    let r: ModuleResult;
    if (!cond(task.inherited.when, vars)) r = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
    else r = await runOnce(task, host, env, iv, () => {});
    facts(r);
    r = { ...r, [lc.loopVar]: item, ansible_loop_var: lc.loopVar };
    if (noLogFor(task, vars)) r._no_log = true;
    results.push(r);
    items.push({ label, status: statusOf(r), result: r });
    if (r.unreachable) break;
    if (lc.pause) await new Promise((res) => setTimeout(res, Number(lc.pause) * 1000));
  }
  const agg: ModuleResult = {
    changed: results.some((r) => r.changed),
    failed: results.some((r) => r.failed) || undefined,
    unreachable: results.some((r) => r.unreachable) || undefined,
    skipped: results.length > 0 && results.every((r) => r.skipped) ? true : undefined,
    results,
    msg: results.some((r) => r.failed) ? 'One or more items failed' : 'All items completed',
  };
  if (!results.length) agg.skipped = true;
  if (results.some((r) => r._no_log)) agg._no_log = true;
  register(agg);
  return { status: statusOf(agg), result: agg, items };
}

export function cond(when: unknown[], vars: Record<string, unknown>): boolean {
  return when.every((w) => evalCondition(w as string | boolean, vars));
}

/** The task's no_log; true when no_log itself cannot be rendered (err on the side of hiding). */
function secretTask(task: Task, vars: Record<string, unknown>): boolean {
  try {
    return noLogFor(task, vars);
  } catch {
    return true;
  }
}

async function runOnce(task: Task, host: string, env: TaskEnv, item: Record<string, unknown> | undefined, register: (v: unknown) => void): Promise<ModuleResult> {
  const mod = findModule(task.module)!;
  let vars = env.vars(host, task, item);
  let result: ModuleResult;
  const retries = task.until !== undefined ? Number(renderValue(task.retries ?? 3, vars)) : 0;
  const delay = Number(renderValue(task.delay ?? 5, vars));
  for (let attempt = 0; ; attempt++) {
    try {
      result = await invoke(task, mod, host, env, vars);
    } catch (e) {
      result = errorResult(e, task);
      // a failure before the module ran (a template error) is as secret as its result
      if (secretTask(task, vars)) result._no_log = true;
    }
    if (result.unreachable) return result;
    try {
      // the registered name points at `result` itself: changed_when/failed_when update it in place
      if (task.register) vars = { ...vars, [task.register]: result };
      // as Ansible: a skipped result (a command in check mode) is not judged by changed_when/failed_when
      if (task.changedWhen !== undefined && !result.skipped) result.changed = evalCondition(task.changedWhen as string, vars);
      if (task.failedWhen !== undefined && !result.skipped) result.failed = evalCondition(task.failedWhen as string, vars);
      if (task.until === undefined || evalCondition(task.until as string, vars) || attempt >= retries) {
        if (task.until !== undefined) result.attempts = attempt + 1;
        if (task.until !== undefined && attempt >= retries && !evalCondition(task.until as string, vars)) {
          result.failed = true;
          result.msg = `${result.msg ? result.msg + '; ' : ''}retries exhausted (${retries}): until condition never held`;
        }
        break;
      }
    } catch (e) {
      // a condition that cannot be judged on a failed result: say why the module failed too
      const failedWith = result.failed && !result._no_log ? result.msg : undefined;
      result = errorResult(e, task);
      if (failedWith && !secretTask(task, vars)) result.msg = `${result.msg}; the module had failed: ${failedWith}`;
      break;
    }
    env.log(1, host, `FAILED - RETRYING: ${task.name} (${retries - attempt} retries left)`);
    await new Promise((res) => setTimeout(res, delay * 1000));
  }
  register(result);
  return result;
}

/**
 * The module a task runs: the native one, or Ansible's own module code where the variable
 * `harun_fallback` asks for it (true: every module it reaches; a list: the modules named), the
 * way out when a native module's behaviour differs from what a play relies on.
 */
function moduleFor(task: Task, mod: NonNullable<ReturnType<typeof findModule>>, vars: Record<string, unknown>) {
  if (mod.fallback || mod.controller || vars.harun_fallback === undefined) return mod;
  const want = renderValue(vars.harun_fallback, vars);
  const names = Array.isArray(want) ? want.map(String) : undefined;
  if (names ? !names.some((n) => n === mod.name || findModule(n) === mod) : !toBool(want)) return mod;
  const theirs = ansibleModule(task.module);
  if (!theirs || theirs.actionPlugin) {
    throw new HarunError('harun_fallback', `harun_fallback: ${task.module} cannot run through Ansible's module code (${theirs ? 'Ansible runs it through an action plugin on the controller' : 'no Ansible installation on the controller has it'})`, task.src);
  }
  return theirs.def;
}

async function invoke(task: Task, native: NonNullable<ReturnType<typeof findModule>>, host: string, env: TaskEnv, vars: Record<string, unknown>): Promise<ModuleResult> {
  const mod = moduleFor(task, native, vars);
  // module_defaults first, outermost first; the task's own arguments win
  const defaults = task.defaults.map((d) => renderValue(d, vars));
  const bad = defaults.findIndex((d) => !d || typeof d !== 'object' || Array.isArray(d));
  if (bad >= 0) throw new HarunError('module_defaults', `module_defaults for '${mod.name}' must give a mapping of arguments, got ${JSON.stringify(defaults[bad])}`, task.src);
  const given = dropOmitted(Object.assign({}, ...defaults, renderValue(task.args, vars))) as Record<string, unknown>;
  const args = checkArgs(mod, given, { task: task.raw, atLoad: false });
  const check = task.inherited.checkMode ?? env.check;
  if (check && !mod.checkMode) return { changed: false, skipped: true, msg: `${mod.name} does not support check mode` };
  const delegate = task.inherited.delegateTo ? String(renderValue(task.inherited.delegateTo, vars)) : undefined;
  const execHost = delegate ?? host;
  const environment: Record<string, string> = {};
  for (const e of task.inherited.environment) {
    for (const [k, v] of Object.entries(renderValue(e, vars) as Record<string, unknown>)) environment[k] = String(v);
  }
  const noLog = noLogFor(task, vars);
  env.log(3, execHost, mod.fallback ? `${task.name}: ${mod.name} through the fallback (Ansible's module code, ${mod.fallback})` : `${task.name}: ${mod.name} runs natively`);
  const ctx: ModuleContext = createContext({
    host,
    // a module that logs in itself gets no transport when the host cannot be reached yet
    transport: mod.controller ? (null as unknown as Transport) : mod.reconnects ? await env.transport(execHost).catch(() => null as unknown as Transport) : await env.transport(execHost),
    vars,
    check,
    diff: env.diff,
    noLog,
    signal: env.signal,
    timeoutMs: env.timeoutMs,
    wrapping: { become: becomeFor(task, delegate ? env.vars(execHost, task) : vars, env), environment },
    facts: () => env.facts(execHost),
    reconnect: (timeoutSec) => env.reconnect(execHost, timeoutSec),
    findLocal: (kind, src) => localPath(vars, kind, src),
    render: (t, extra) => renderString(t, vars, extra),
    evaluate: (e, extra) => evaluate(e, vars, extra),
    // no_log: the commands a module sends carry its arguments, so none is shown (ansible-playbook
    // sends them on stdin and shows only the censored notice)
    log: (level, msg) => (noLog ? undefined : env.log(level, execHost, msg)),
  });
  const limit = task.async === undefined ? 0 : Number(renderValue(task.async, vars));
  const poll = task.poll === undefined ? 15 : Number(renderValue(task.poll, vars));
  if (Number.isNaN(limit) || Number.isNaN(poll)) throw new HarunError('async', `async and poll need numbers of seconds, got ${JSON.stringify([task.async, task.poll])}`, task.src);
  const r = limit > 0 ? await runAsync(ctx, mod, args, limit, poll) : await mod.run(ctx, args);
  if (noLog) r._no_log = true;
  return r;
}
