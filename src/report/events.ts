import type { SourcePos } from '../errors.js';
import type { ModuleResult } from '../modules/types.js';
import type { TaskTiming } from './profile.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

export interface HostStats {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** Every kind of thing a run reports. Reporters switch over `kind` exhaustively. */
export type RunEvent =
  | { kind: 'playbook_start'; file: string }
  | { kind: 'play_start'; name: string; hosts: string[]; check: boolean }
  | { kind: 'task_start'; name: string; source?: SourcePos; handler: boolean; hosts: string[] }
  | {
      kind: 'host_result';
      task: string;
      host: string;
      status: HostStatus;
      /** The module that ran (reporters always show debug's output, as Ansible does). */
      module?: string;
      /** The loop item's label, when the task loops. */
      item?: string;
      ignored?: boolean;
      /** Hidden when the task has no_log. */
      result: ModuleResult | { censored: string };
      /** How long the host spent on this task (ms). */
      ms: number;
    }
  /** The task's wall time, from its start to its last host's result. */
  | ({ kind: 'task_end' } & TaskTiming)
  | { kind: 'warning'; message: string; source?: SourcePos }
  | { kind: 'verbose'; level: 1 | 2 | 3; host?: string; message: string }
  | { kind: 'diff'; host: string; task: string; path: string; text: string }
  | { kind: 'recap'; stats: Record<string, HostStats>; elapsedMs: number }
  /** --profile: every timed task of the run, in the order they ran (after the recap). */
  | { kind: 'profile'; tasks: TaskTiming[] }
  | { kind: 'interrupted' };

export type Emit = (e: RunEvent) => void;

export function emptyStats(): HostStats {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}
