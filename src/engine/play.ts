import type { Block, Include, Item, Play, Task } from '../config/model.js';
import { expandInclude, type IncludeGroup } from './include.js';
import { applyInventoryResults } from './inventory-results.js';
import { UnreachableError, ValidationError } from '../errors.js';
import type { Inventory } from '../inventory/index.js';
import type { Emit } from '../report/events.js';
import type { CliSsh } from '../transport/target.js';
import { evalCondition, hasTemplate, noTemplate, renderString, renderValue } from '../vars/template.js';
import { fileDiffText } from '../modules/lib/diff.js';
import { findModule } from '../modules/index.js';
import type { FileDiff } from '../modules/types.js';
import { HostRuntime } from './runtime.js';
import { selected, type TagFilter } from './select.js';
import { runTask, type Outcome, type TaskEnv } from './task.js';
import { hostVars, type VarsEnv } from './vars.js';

export interface RunOptions extends TagFilter {
  inventory: Inventory;
  extraVars: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  forks: number;
  limit?: string;
  startAtTask?: string;
  forceHandlers: boolean;
  become: { become?: boolean; user?: string; password?: string };
  remoteUser?: string;
  ssh: CliSsh;
  timeoutMs?: number;
  verbosity: number;
  emit: Emit;
  signal: AbortSignal;
}

/** Runs plays with the linear strategy: each task on all hosts (at most `forks` at once), then the next. */
export class Runner {
  readonly hosts = new Map<string, HostRuntime>();
  private startAt?: string;
  private endPlay = false;
  /** The play ended on failures (any_errors_fatal, max_fail_percentage, a whole batch failed). */
  private failedPlay = false;

  constructor(private o: RunOptions) {
    this.startAt = o.startAtTask;
  }

  rt(host: string): HostRuntime {
    let r = this.hosts.get(host);
    if (!r) this.hosts.set(host, (r = new HostRuntime(host)));
    return r;
  }

  /** Hosts a play targets, after --limit, in inventory order. */
  playHosts(play: Play): string[] {
    let hosts = this.o.inventory.select(String(renderValue(play.hosts, this.o.extraVars)));
    if (this.o.limit) {
      const lim = new Set(this.o.inventory.select(this.o.limit));
      hosts = hosts.filter((h) => lim.has(h));
    }
    return hosts;
  }

  /**
   * Runs one play; false when the playbook stops here, as Ansible's does: a batch whose hosts all
   * failed, or a play ended by any_errors_fatal or max_fail_percentage (the rest of a rollout
   * must not run after its first bad batch).
   */
  async runPlay(play: Play): Promise<boolean> {
    const all = this.playHosts(play);
    this.o.emit({ kind: 'play_start', name: play.name, hosts: all, check: this.o.check });
    if (!all.length) {
      this.o.emit({ kind: 'warning', message: `no hosts matched '${play.hosts}'${this.o.limit ? ` with --limit ${this.o.limit}` : ''}: skipping play '${play.name}'`, source: play.src });
      return true;
    }
    this.endPlay = false;
    this.failedPlay = false;
    for (const batch of batches(all, play.serial)) {
      if (this.o.signal.aborted) return false;
      const alive = batch.filter((h) => this.active(h));
      if (!alive.length) continue;
      await this.runBatch(play, all, alive);
      if (alive.every((h) => this.rt(h).failed || this.rt(h).unreachable)) this.failedPlay = true;
      if (this.endPlay || this.failedPlay) break;
    }
    return !this.failedPlay;
  }

  private active(h: string): boolean {
    const r = this.rt(h);
    return !r.failed && !r.unreachable && !r.ended;
  }

  /** The variables' environment of a play's hosts (before the run: no facts, no set_fact). */
  varsEnv(play: Play, all = this.playHosts(play), batch = all): VarsEnv {
    return {
      inventory: this.o.inventory,
      play,
      extraVars: this.o.extraVars,
      rt: (h) => this.rt(h),
      playHosts: () => all,
      batch: () => batch,
      check: this.o.check,
      diff: this.o.diff,
      verbosity: this.o.verbosity,
    };
  }

  private async runBatch(play: Play, all: string[], batch: string[]): Promise<void> {
    const venv = this.varsEnv(play, all, batch);
    const connVars = (h: string) => {
      const v = hostVars(venv, h);
      if (v.ansible_user === undefined && play.raw.remote_user !== undefined) v.ansible_user = play.raw.remote_user;
      if (v.ansible_user === undefined && this.o.remoteUser) v.ansible_user = this.o.remoteUser;
      const conn: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (k.startsWith('ansible_')) conn[k] = renderValue(x, v);
      return conn;
    };
    const tenv: TaskEnv = {
      check: this.o.check,
      diff: this.o.diff,
      signal: this.o.signal,
      timeoutMs: this.o.timeoutMs,
      cliBecome: this.o.become,
      vars: (h, task, item) => hostVars(venv, h, task, item),
      transport: (h) => this.rt(h).transport(() => connVars(h), this.o.ssh, (m) => tenv.log(3, h, m)),
      reconnect: (h, timeoutSec) => this.rt(h).reconnect(() => connVars(h), this.o.ssh, (m) => tenv.log(3, h, m), timeoutSec),
      facts: (h) => this.rt(h).gather(() => tenv.transport(h)),
      log: (level, host, message) => level <= this.o.verbosity && this.o.emit({ kind: 'verbose', level, host, message }),
    };
    if (play.gatherFacts) {
      await this.onHosts('Gathering Facts', undefined, batch, async (h) => {
        try {
          await tenv.facts(h);
          return { status: 'ok', result: { changed: false } };
        } catch (e) {
          return { status: e instanceof UnreachableError ? 'unreachable' : 'failed', result: { changed: false, failed: true, msg: (e as Error).message } };
        }
      });
    }
    const flushAfter = [true, false, true, true];
    for (const [i, section] of play.sections.entries()) {
      await this.runItems(section, batch, play, tenv);
      if (flushAfter[i] && !this.endPlay) await this.flush(play, batch, tenv);
      if (this.endPlay || this.o.signal.aborted) break;
    }
  }

  private async runItems(items: Item[], hosts: string[], play: Play, env: TaskEnv): Promise<void> {
    for (const it of items) {
      if (this.endPlay || this.o.signal.aborted) return;
      if (it.kind === 'block') await this.runBlock(it, hosts, play, env);
      else if (it.kind === 'include') await this.runInclude(it, hosts, play, env);
      else await this.runTaskOn(it, hosts, play, env);
    }
  }

  private async runInclude(inc: Include, hosts: string[], play: Play, env: TaskEnv): Promise<void> {
    if (!selected(inc, this.o)) return;
    const targets = hosts.filter((h) => this.active(h));
    if (!targets.length) return;
    const groups: IncludeGroup[] = [];
    await this.onHosts(inc.name, undefined, targets, async (h) => {
      const out = expandInclude(inc, h, env, groups);
      // Ansible counts each file a looped include_tasks brought in as one ok, and an include_role as none
      if (out.status === 'ok') this.rt(h).stats.ok += inc.action === 'include_role' ? -1 : Number(out.result.included) - 1;
      return out;
    });
    for (const g of groups) {
      const on = g.hosts.filter((h) => this.active(h));
      const pub = inc.publicRole?.(g.name);
      if (pub) for (const h of on) if (!this.rt(h).publicRoles.includes(pub)) this.rt(h).publicRoles.push(pub);
      for (const h of on) this.rt(h).includeVars.push(g.vars);
      try {
        await this.runItems(g.items, on, play, env);
      } finally {
        for (const h of on) this.rt(h).includeVars.pop();
      }
      if (this.endPlay || this.o.signal.aborted) return;
    }
  }

  private async runBlock(b: Block, hosts: string[], play: Play, env: TaskEnv): Promise<void> {
    const start = hosts.filter((h) => this.active(h));
    if (!start.length) return;
    await this.runItems(b.block, start, play, env);
    const failed = start.filter((h) => this.rt(h).failed && !this.rt(h).unreachable);
    if (b.rescue.length && failed.length) {
      for (const h of failed) {
        const r = this.rt(h);
        if (r.lastFailure) Object.assign(r.vars, { ansible_failed_task: { name: r.lastFailure.task }, ansible_failed_result: r.lastFailure.result });
        r.failed = false;
        r.stats.failed = Math.max(0, r.stats.failed - 1);
        r.stats.rescued++;
      }
      await this.runItems(b.rescue, failed, play, env);
    }
    if (b.always.length) {
      const stillFailed = start.filter((h) => this.rt(h).failed && !this.rt(h).unreachable);
      for (const h of stillFailed) this.rt(h).failed = false;
      await this.runItems(b.always, start.filter((h) => this.active(h)), play, env);
      for (const h of stillFailed) this.rt(h).failed = true;
    }
  }

  private async runTaskOn(task: Task, hosts: string[], play: Play, env: TaskEnv, handler = false): Promise<void> {
    if (!handler) {
      if (this.startAt !== undefined) {
        if (task.name !== this.startAt && !task.name.includes(this.startAt)) return;
        this.startAt = undefined;
      }
      if (!selected(task, this.o)) return;
    }
    let targets = hosts.filter((h) => this.active(h));
    if (!targets.length) return;
    if (task.module === 'meta') return this.meta(task, targets, play, env);
    // add_host bypasses the host loop as in Ansible: it runs once, for the first host
    const runOnce = task.inherited.runOnce || task.module === 'add_host';
    const runOn = runOnce ? targets.slice(0, 1) : targets;
    await this.onHosts(this.nameOn(task.name, runOn[0], task, env), task, runOn, async (h) => {
      const out = await runTask(task, h, env, (v) => {
        if (!task.register) return;
        // a result is data: braces in a command's output must never be templated later
        for (const x of runOnce ? targets : [h]) this.rt(x).vars[task.register] = v && typeof v === 'object' ? noTemplate(v) : v;
      }, (facts) => {
        const hostFacts = findModule(task.module)?.hostFacts;
        // set as each item finishes: the next item of a loop sees them, as in Ansible
        for (const x of runOnce ? targets : [h]) {
          const r = this.rt(x);
          if (!hostFacts) {
            Object.assign(r.vars, facts);
            continue;
          }
          r.facts = { ...(r.facts ?? {}), ...Object.fromEntries(Object.entries(facts).filter(([k]) => k !== 'ansible_facts').map(([k, v]) => [k.replace(/^ansible_/, ''), v])) };
          // Ansible injects a module's facts by their own names too (service_facts: `services`)
          Object.assign(r.vars, Object.fromEntries(Object.entries(facts).filter(([k]) => !k.startsWith('ansible_'))));
        }
      });
      applyInventoryResults(this.o.inventory, h, out);
      if (out.status === 'changed' || out.items?.some((i) => i.status === 'changed')) {
        for (const x of runOnce ? targets : [h]) for (const n of task.notify) this.rt(x).notified.add(String(renderValue(n, env.vars(h, task))));
      }
      return out;
    }, handler);
    const failedNow = targets.filter((h) => this.rt(h).failed);
    targets = runOn;
    if (failedNow.length && (task.inherited.anyErrorsFatal || play.anyErrorsFatal)) this.endPlay = this.failedPlay = true;
    if (play.maxFailPercentage !== undefined) {
      const n = hosts.length;
      if ((hosts.filter((h) => this.rt(h).failed).length / n) * 100 > play.maxFailPercentage) this.endPlay = this.failedPlay = true;
    }
  }

  /** Run fn on hosts, at most `forks` at once; record and report each outcome. */
  private async onHosts(name: string, task: Task | undefined, hosts: string[], fn: (h: string) => Promise<Outcome>, handler = false): Promise<void> {
    this.o.emit({ kind: 'task_start', name, source: task?.src, handler, hosts });
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < hosts.length && !this.o.signal.aborted) {
        const h = hosts[next++];
        const t0 = Date.now();
        const out = await fn(h);
        this.record(name, task, h, out, Date.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.forks, hosts.length) }, worker));
    this.o.emit({ kind: 'task_end', name, source: task?.src, handler, hosts: hosts.length, ms: Date.now() - started });
  }

  private record(name: string, task: Task | undefined, h: string, out: Outcome, ms: number): void {
    const r = this.rt(h);
    r.processed = true;
    const noLog = Boolean(out.result._no_log);
    const censor = <T>(x: T) => (noLog ? { censored: "the output has been hidden due to the fact that 'no_log: true' was specified for this result" } : x);
    for (const it of out.items ?? []) {
      // a no_log loop shows its items as Ansible does: (item=None)
      this.o.emit({ kind: 'host_result', task: name, module: task?.module, host: h, status: it.status, item: noLog ? 'None' : it.label, result: censor(it.result), ms });
    }
    const status = out.status;
    const ignored = status === 'failed' && Boolean(out.ignoreErrors);
    this.o.emit({ kind: 'host_result', task: name, module: task?.module, host: h, status, result: censor(out.result), ms, ignored, ...(out.items ? { item: undefined } : {}) });
    if (status === 'unreachable') {
      r.unreachable = true;
      r.stats.unreachable++;
    } else if (status === 'failed') {
      // Ansible counts an ignored failure as ok too (and changed when it changed)
      if (ignored) {
        r.stats.ignored++;
        r.stats.ok++;
        if (out.result.changed) r.stats.changed++;
      } else {
        r.failed = true;
        r.stats.failed++;
        r.lastFailure = { task: name, result: out.result };
      }
    } else if (status === 'skipped') r.stats.skipped++;
    else {
      r.stats.ok++;
      if (status === 'changed') r.stats.changed++;
    }
    const results = [out.result, ...(out.items ?? []).map((i) => i.result)];
    const diffs = results.flatMap((r) => (r.diff as FileDiff[] | undefined) ?? []);
    for (const d of diffs) {
      if (!this.o.diff || noLog) continue;
      if (d.prepared || d.before !== d.after) this.o.emit({ kind: 'diff', host: h, task: name, path: d.path, text: fileDiffText(d) });
    }
    // what a module warns about (Ansible's modules: warnings, deprecations) is shown as Ansible shows it
    for (const res of noLog ? [] : results) {
      for (const w of (res.warnings as unknown[] | undefined) ?? []) this.o.emit({ kind: 'warning', message: `${h}: ${name}: ${String(w)}`, source: task?.src });
      for (const d of (res.deprecations as { msg?: string; version?: string; date?: string }[] | undefined) ?? []) {
        const when = d.version ? ` This feature will be removed in version ${d.version}.` : d.date ? ` This feature will be removed from Ansible after ${d.date}.` : '';
        this.o.emit({ kind: 'warning', message: `[DEPRECATION WARNING] ${h}: ${name}: ${d.msg ?? JSON.stringify(d)}.${when}`, source: task?.src });
      }
    }
  }

  private async flush(play: Play, hosts: string[], env: TaskEnv): Promise<void> {
    for (const hnd of play.handlers) {
      const on = hosts.filter((h) => {
        const r = this.rt(h);
        return (this.active(h) || (this.o.forceHandlers || play.forceHandlers) && !r.unreachable)
          && [hnd.name, ...hnd.listen].some((t) => r.notified.has(this.nameOn(t, h, hnd, env)));
      });
      if (!on.length) continue;
      const failedBefore = on.filter((h) => this.rt(h).failed);
      for (const h of failedBefore) this.rt(h).failed = false;
      await this.runTaskOn(hnd, on, play, env, true);
      for (const h of failedBefore) this.rt(h).failed = true;
    }
    for (const h of hosts) this.rt(h).notified.clear();
  }

  /**
   * A task's or handler's name (or a listen topic) as Ansible shows and matches it: templated
   * with the variables of a host it runs on, or as written when any part cannot be rendered.
   */
  private nameOn(name: string, h: string, task: Task, env: TaskEnv): string {
    if (!hasTemplate(name)) return name;
    try {
      return renderString(name, env.vars(h, task));
    } catch {
      return name;
    }
  }

  private async meta(task: Task, hosts: string[], play: Play, env: TaskEnv): Promise<void> {
    const action = String(task.args.action);
    const when = (h: string) => task.inherited.when.length === 0 || runTaskWhen(task, h, env);
    switch (action) {
      case 'flush_handlers':
        return this.flush(play, hosts, env);
      case 'end_play':
        if (hosts.some(when)) this.endPlay = true;
        return;
      case 'end_host':
        for (const h of hosts.filter(when)) this.rt(h).ended = true;
        return;
      case 'clear_facts':
        for (const h of hosts) this.rt(h).clearFacts();
        return;
      case 'reset_connection':
        await Promise.all(hosts.map((h) => this.rt(h).disconnect()));
        return;
      case 'clear_host_errors':
        for (const h of this.hosts.keys()) this.rt(h).failed = false;
        return;
      default:
        return; // noop, refresh_inventory: nothing to do in harun
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.hosts.values()].map((r) => r.close()));
  }
}

function runTaskWhen(task: Task, h: string, env: TaskEnv): boolean {
  return evalCondition(task.inherited.when as (string | boolean)[], env.vars(h, task));
}

/** Ansible's serial: numbers or percentages, the last size repeating. */
export function batches(hosts: string[], serial?: (number | string)[]): string[][] {
  if (!serial || !serial.length) return [hosts];
  const sizes = serial.map((s) => {
    const str = String(s).trim();
    const n = str.endsWith('%') ? Math.max(1, Math.floor((hosts.length * Number(str.slice(0, -1))) / 100)) : Number(str);
    if (!Number.isFinite(n) || n < 0) throw new ValidationError('serial', `serial: expected a number or a percentage, got ${JSON.stringify(s)}`);
    return n === 0 ? hosts.length : n;
  });
  const out: string[][] = [];
  let i = 0;
  let k = 0;
  while (i < hosts.length) {
    const size = sizes[Math.min(k++, sizes.length - 1)];
    out.push(hosts.slice(i, i + size));
    i += size;
  }
  return out;
}
