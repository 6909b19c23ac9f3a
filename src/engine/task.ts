import { isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import { checkArgs } from '../config/args.js';
import type { Task } from '../config/model.js';
import { CommandError, HarunError, UnreachableError, formatPos } from '../errors.js';
import { findModule } from '../modules/index.js';
import type { ModuleContext, ModuleResult } from '../modules/types.js';
import type { HostStatus } from '../report/events.js';
import type { Become } from '../shell/wrap.js';
import type { Transport } from '../transport/types.js';
import { evalCondition, evaluate, renderString, renderValue } from '../vars/template.js';
import { createContext } from './context.js';
import { dropOmitted } from './vars.js';

/** What the task runner needs from the play runner. */
export interface TaskEnv {
  check: boolean;
  diff: boolean;
  signal: AbortSignal;
  timeoutMs?: number;
  cliBecome: { become?: boolean; user?: string; password?: string };
  vars(host: string, task: Task, item?: Record<string, unknown>): Record<string, unknown>;
  transport(host: string): Promise<Transport>;
  facts(host: string): Promise<Record<string, unknown>>;
  log(level: 1 | 2 | 3, host: string, msg: string): void;
}

export interface Outcome {
  status: HostStatus;
  result: ModuleResult;
  /** Per-item outcomes when the task loops. */
  items?: { label: string; status: HostStatus; result: ModuleResult }[];
}

const truthy = (v: unknown) => v === true || ['yes', 'true', 'on', '1', 'y'].includes(String(v).toLowerCase());

function statusOf(r: ModuleResult): HostStatus {
  if (r.unreachable) return 'unreachable';
  if (r.failed) return 'failed';
  if (r.skipped) return 'skipped';
  return r.changed ? 'changed' : 'ok';
}

function errorResult(e: unknown, task: Task): ModuleResult {
  if (e instanceof UnreachableError) return { changed: false, unreachable: true, msg: e.message };
  if (e instanceof CommandError) return { changed: false, failed: true, msg: e.message, cmd: e.cmd, rc: e.rc, stdout: e.stdout, stderr: e.stderr };
  if (e instanceof HarunError) return { changed: false, failed: true, msg: e.source ? e.describe() : `${e.message}${task.src ? ` (task at ${formatPos(task.src)})` : ''}` };
  return { changed: false, failed: true, msg: `internal error: ${(e as Error)?.stack ?? e}` };
}

/** The loop's items, as Ansible's loop / with_* give them. */
function loopItems(task: Task, vars: Record<string, unknown>): unknown[] {
  const { kind, value } = task.loop as { kind: string; value: unknown };
  let v = renderValue(value, vars);
  if (typeof v === 'string') v = v.split(',').map((s) => s.trim());
  if (kind === 'with_dict') {
    if (!v || typeof v !== 'object') throw new HarunError('loop', `with_dict needs a mapping, got ${JSON.stringify(v)}`, task.src);
    return Object.entries(v).map(([key, value]) => ({ key, value }));
  }
  if (!Array.isArray(v)) throw new HarunError('loop', `${kind} needs a list, got ${JSON.stringify(v)}`, task.src);
  if (kind === 'with_items') return v.flatMap((x) => (Array.isArray(x) ? x : [x]));
  if (kind === 'with_indexed_items') return v.map((x, i) => [i, x]);
  return v;
}

function becomeFor(task: Task, vars: Record<string, unknown>, env: TaskEnv): Become | undefined {
  const on = task.inherited.become ?? (vars.ansible_become !== undefined ? truthy(vars.ansible_become) : undefined) ?? env.cliBecome.become ?? false;
  if (!on) return undefined;
  const user = String(task.inherited.becomeUser ?? vars.ansible_become_user ?? env.cliBecome.user ?? 'root');
  const method = (task.inherited.becomeMethod ?? vars.ansible_become_method ?? 'sudo') as 'sudo' | 'su';
  const pw = vars.ansible_become_password ?? vars.ansible_become_pass ?? env.cliBecome.password;
  return { become: true, user, method, password: pw === undefined ? undefined : String(pw) };
}

export function localPath(task: Task, vars: Record<string, unknown>, kind: string, src: string): string {
  if (isAbsolute(src)) return src;
  const role = task.inherited.role;
  const candidates = [
    ...(role ? [join(role.path, kind, src), join(role.path, src)] : []),
    ...(task.src ? [join(task.src.file, '..', kind, src), join(task.src.file, '..', src)] : []),
    join(String(vars.playbook_dir ?? '.'), kind, src),
    join(String(vars.playbook_dir ?? '.'), src),
  ];
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

function noLogFor(task: Task, vars: Record<string, unknown>): boolean {
  return task.inherited.noLog !== undefined && truthy(renderValue(task.inherited.noLog, vars));
}

/** Run one task (all its loop items, retries, conditions) on one host. */
export async function runTask(task: Task, host: string, env: TaskEnv, register: (v: unknown) => void): Promise<Outcome> {
  const base = env.vars(host, task);
  if (!task.loop) {
    if (!cond(task.inherited.when, base)) return { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } };
    const r = await runOnce(task, host, env, undefined, register);
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
    const iv: Record<string, unknown> = { [lc.loopVar]: item, ansible_loop_var: lc.loopVar };
    if (lc.indexVar) iv[lc.indexVar] = i;
    if (lc.extended) iv.ansible_loop = { index: i + 1, index0: i, first: i === 0, last: i === list.length - 1, length: list.length, revindex: list.length - i, revindex0: list.length - i - 1 };
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

function cond(when: unknown[], vars: Record<string, unknown>): boolean {
  return when.every((w) => evalCondition(w as string | boolean, vars));
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
      try {
        if (noLogFor(task, vars)) result._no_log = true;
      } catch {
        result._no_log = true; // no_log itself could not be rendered: err on the side of hiding
      }
    }
    if (result.unreachable) return result;
    try {
      // the registered name points at `result` itself: changed_when/failed_when update it in place
      if (task.register) vars = { ...vars, [task.register]: result };
      if (task.changedWhen !== undefined) result.changed = evalCondition(task.changedWhen as string, vars);
      if (task.failedWhen !== undefined) result.failed = evalCondition(task.failedWhen as string, vars);
      if (task.until === undefined || evalCondition(task.until as string, vars) || attempt >= retries) {
        if (task.until !== undefined) result.attempts = attempt + 1;
        if (task.until !== undefined && attempt >= retries && !evalCondition(task.until as string, vars)) {
          result.failed = true;
          result.msg = `${result.msg ? result.msg + '; ' : ''}retries exhausted (${retries}): until condition never held`;
        }
        break;
      }
    } catch (e) {
      result = errorResult(e, task);
      break;
    }
    env.log(1, host, `FAILED - RETRYING: ${task.name} (${retries - attempt} retries left)`);
    await new Promise((res) => setTimeout(res, delay * 1000));
  }
  register(result);
  return result;
}

async function invoke(task: Task, mod: NonNullable<ReturnType<typeof findModule>>, host: string, env: TaskEnv, vars: Record<string, unknown>): Promise<ModuleResult> {
  const args = checkArgs(mod, dropOmitted(renderValue(task.args, vars)) as Record<string, unknown>, { task: task.raw, atLoad: false });
  const check = task.inherited.checkMode ?? env.check;
  if (check && !mod.checkMode) return { changed: false, skipped: true, msg: `${mod.name} does not support check mode` };
  const delegate = task.inherited.delegateTo ? String(renderValue(task.inherited.delegateTo, vars)) : undefined;
  const execHost = delegate ?? host;
  const environment: Record<string, string> = {};
  for (const e of task.inherited.environment) {
    for (const [k, v] of Object.entries(renderValue(e, vars) as Record<string, unknown>)) environment[k] = String(v);
  }
  const noLog = noLogFor(task, vars);
  const ctx: ModuleContext = createContext({
    host,
    transport: mod.controller ? (null as unknown as Transport) : await env.transport(execHost),
    vars,
    check,
    diff: env.diff,
    signal: env.signal,
    timeoutMs: env.timeoutMs,
    wrapping: { become: becomeFor(task, delegate ? env.vars(execHost, task) : vars, env), environment },
    facts: () => env.facts(execHost),
    findLocal: (kind, src) => localPath(task, vars, kind, src),
    render: (t, extra) => renderString(t, vars, extra),
    evaluate: (e, extra) => evaluate(e, vars, extra),
    // no_log: the commands a module sends carry its arguments, so none is shown (ansible-playbook
    // sends them on stdin and shows only the censored notice)
    log: (level, msg) => (noLog ? undefined : env.log(level, execHost, msg)),
  });
  const r = await mod.run(ctx, args);
  if (noLog) r._no_log = true;
  return r;
}
