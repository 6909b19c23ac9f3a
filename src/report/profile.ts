import { relative } from 'node:path';
import type { SourcePos } from '../errors.js';

/** One task's wall time across its hosts (what Ansible's profile_tasks callback measures). */
export interface TaskTiming {
  name: string;
  source?: SourcePos;
  handler: boolean;
  hosts: number;
  ms: number;
}

/** How many tasks the summary lists, as profile_tasks' default task_output_limit. */
export const PROFILE_LIMIT = 20;

/** The slowest tasks first; ties keep the order they ran in. */
export function slowest(tasks: readonly TaskTiming[], limit = PROFILE_LIMIT): TaskTiming[] {
  return tasks
    .map((t, i) => ({ t, i }))
    .sort((a, b) => b.t.ms - a.t.ms || a.i - b.i)
    .slice(0, limit)
    .map((x) => x.t);
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/**
 * profile_tasks' lines: `name (file:line) ---- 12.34s`, padded to one width, then the sum of
 * every task's time. Paths are shown relative to cwd, where the user typed the command.
 */
export function profileLines(tasks: readonly TaskTiming[], limit = PROFILE_LIMIT, cwd = process.cwd(), width = 79): string[] {
  const label = (t: TaskTiming) => {
    const where = t.source ? ` (${relative(cwd, t.source.file) || t.source.file}:${t.source.line})` : '';
    return `${t.handler ? 'HANDLER ' : ''}${t.name}${where}`;
  };
  const rows = slowest(tasks, limit).map((t) => [label(t), secs(t.ms)] as const);
  const total = tasks.reduce((s, t) => s + t.ms, 0);
  const lines = rows.map(([l, s]) => `${l} ${'-'.repeat(Math.max(3, width - l.length - s.length - 2))} ${s}`);
  const more = tasks.length > rows.length ? ` (${tasks.length - rows.length} faster tasks not shown)` : '';
  return [...lines, `total of ${tasks.length} tasks: ${secs(total)}${more}`];
}
