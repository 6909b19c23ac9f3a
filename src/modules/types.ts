import type { z } from 'zod';
import type { ExecOptions, ExecResult } from '../transport/types.js';
import type { Sh } from '../shell/sh.js';
import type { Job } from './lib/job.js';

/** A file change as shown by --diff: before/after text with their labels. */
export interface FileDiff {
  path: string;
  before: string;
  after: string;
  beforeHeader?: string;
  afterHeader?: string;
  /** A diff the module made itself (Ansible's `prepared`), shown as it is. */
  prepared?: string;
}

export interface ModuleResult {
  changed: boolean;
  failed?: boolean;
  skipped?: boolean;
  msg?: string;
  /** Present when a file changed and the module could compute the difference. */
  diff?: FileDiff[];
  /** Variables the module sets at set_fact/facts precedence (set_fact, setup). */
  facts?: Record<string, unknown>;
  /** Anything else the module reports (rc, stdout, stat, ...), visible to register. */
  [key: string]: unknown;
}

export interface RunOptions extends ExecOptions {
  /** Default true: the task's become settings apply. false runs as the login user. */
  become?: boolean;
  /** Default: the task's chdir/environment apply; set to skip the environment wrapper. */
  noEnv?: boolean;
}

/**
 * What a module sees of the world. Everything remote goes through run(); everything on the
 * controller is resolved through findLocal/render so that roles and check mode work.
 */
export interface ModuleContext {
  /** Inventory name of the host. */
  readonly host: string;
  /** The host's variables as the task sees them (already merged; raw, not templated). */
  readonly vars: Record<string, unknown>;
  readonly check: boolean;
  readonly diff: boolean;
  /** The task's no_log: results are hidden, and a fallback module keeps its arguments out of syslog. */
  readonly noLog?: boolean;
  readonly signal: AbortSignal;
  /** Run a POSIX sh command on the host (become/environment wrapping applied). */
  run(cmd: Sh, opts?: RunOptions): Promise<ExecResult>;
  /** run(), but a non-zero exit throws a CommandError carrying cmd, rc and stderr. */
  runOk(cmd: Sh, opts?: RunOptions): Promise<ExecResult>;
  /**
   * Close the host's connection and log in again (wait_for_connection, reboot); throws what the
   * connect throws (UnreachableError). timeoutSec bounds the connect.
   */
  reconnect(timeoutSec?: number): Promise<void>;
  /** The host's facts, without the ansible_ prefix; gathered once per host per run. */
  facts(): Promise<Record<string, any>>;
  /** Controller path of a file named by a task: role files/ or templates/, then the playbook dir. */
  findLocal(kind: 'files' | 'templates' | 'tasks' | 'vars', src: string): string;
  /** Render a Jinja2 template string with the host's variables (plus extra ones). */
  render(text: string, extra?: Record<string, unknown>): string;
  /** Evaluate a bare Jinja2 expression (`x == 1`, `result.rc`) to its native value. */
  evaluate(expr: string, extra?: Record<string, unknown>): unknown;
  /** Verbose output: 1 = -v, 2 = -vv, 3 = -vvv. */
  log(level: 1 | 2 | 3, msg: string): void;
}

export interface ModuleDef<A = any> {
  /** Short name as written in YAML (copy, lineinfile). FQCN ansible.builtin.* maps to it. */
  name: string;
  /** Strict zod schema of the arguments: aliases, choices, defaults, cross-field rules. */
  schema: z.ZodType<A>;
  /**
   * The argument that a free-form string fills (`command: ls -l` -> {cmd: 'ls -l'}).
   * Modules without it take free-form text only as k=v pairs.
   */
  freeForm?: string;
  /** Whether the module honours check mode; if not, the task is skipped under --check. */
  checkMode: boolean;
  /** Runs on the controller only (debug, set_fact, assert, fail, pause, meta): no connection. */
  controller?: boolean;
  /**
   * It logs in to the host itself (ctx.reconnect): the task runs even when the host cannot be
   * reached yet (wait_for_connection as a play's first task, reboot).
   */
  reconnects?: boolean;
  /** Facts it returns are host facts (ansible_facts.*), not set_fact variables (setup, the fallback). */
  hostFacts?: boolean;
  /** Set when Ansible's own module code runs it (the fallback): the module's source on the controller. */
  fallback?: string;
  run(ctx: ModuleContext, args: A): Promise<ModuleResult>;
  /**
   * The module's work as one command that can run detached on the host (a task's `async`).
   * Modules without it run under async through Ansible's own module code, where Ansible allows.
   */
  job?(ctx: ModuleContext, args: A): Promise<Job>;
}
