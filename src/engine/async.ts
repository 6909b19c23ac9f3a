/**
 * A task's `async`/`poll`, as Ansible's task executor has them: the module's work starts as a
 * background job on the host; poll > 0 checks it every `poll` seconds until it finished or
 * `async` seconds of polling passed; poll 0 leaves it running and registers its job id.
 */
import { ansibleModule } from '../modules/index.js';
import { launchJob, readJob, statusResult, type Job } from '../modules/lib/job.js';
import type { ModuleContext, ModuleDef, ModuleResult } from '../modules/types.js';

// Ansible's action plugins that allow async; a module without an action plugin always does
const ASYNC_ACTIONS = new Set(['command', 'shell', 'service', 'uri', 'yum']);
const PACKAGE_MANAGERS = new Set(['apt', 'dnf', 'yum']);

/** The job for the module, or why it cannot run under async. */
async function jobFor(ctx: ModuleContext, mod: ModuleDef, args: Record<string, unknown>): Promise<Job | string> {
  if (mod.job) return mod.job(ctx, args);
  const unsupported = 'async is not supported for this task.';
  if (mod.controller) return unsupported;
  let name = mod.name;
  let a = args;
  if (name === 'package') {
    // Ansible's package action hands the task to the host's package manager module
    const { use, ...rest } = args;
    name = use && use !== 'auto' ? String(use) : String((await ctx.facts()).pkg_mgr ?? 'unknown');
    if (!PACKAGE_MANAGERS.has(name)) return `package: no support for package manager "${name}" under async (harun handles apt, dnf and yum)`;
    a = rest;
  }
  const ansible = ansibleModule(name);
  if (!ansible?.def.job || (ansible.actionPlugin && !ASYNC_ACTIONS.has(name))) return unsupported;
  // harun's native module is a sequence of commands; in the background Ansible's own module runs
  ctx.log(3, `${mod.name} under async runs Ansible's module code (${ansible.def.fallback}) as a background job`);
  return ansible.def.job(ctx, a);
}

const sleep = (s: number, signal: AbortSignal) =>
  new Promise<void>((res) => {
    const t = setTimeout(res, s * 1000);
    signal.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
  });

/** Run the module as an async task: limit = `async` seconds, poll = `poll` seconds (0: fire and forget). */
export async function runAsync(ctx: ModuleContext, mod: ModuleDef, args: Record<string, unknown>, limit: number, poll: number): Promise<ModuleResult> {
  if (ctx.check) return { changed: false, failed: true, msg: 'check mode and async cannot be used on same task.' };
  const job = await jobFor(ctx, mod, args);
  if (typeof job === 'string') return { changed: false, failed: true, msg: job };
  const fired = await launchJob(ctx, job, limit);
  const jid = String(fired.ansible_job_id);
  if (poll <= 0) return fired;
  let last: ModuleResult = statusResult(jid, { state: 'running', file: String(fired.results_file) });
  for (let left = limit; left > 0; left -= poll) {
    await sleep(poll, ctx.signal);
    if (ctx.signal.aborted) break;
    // the job's files go in the same exec that finds it finished (Ansible cleans up after polling)
    const st = await readJob(ctx, jid, true);
    last = statusResult(jid, st);
    if (st.state !== 'running') return last;
    ctx.log(1, `ASYNC POLL: jid=${jid} started=1 finished=0`);
  }
  return { changed: false, failed: true, msg: `async task did not complete within the requested time - ${limit}s`, async_result: last };
}
