import type { ArgOption, RoleCheck } from './argspec.js';
import type { SourcePos } from '../errors.js';

/** A loaded role: where it lives and what it contributes besides its tasks. */
export interface Role {
  name: string;
  path: string;
  defaults: Record<string, unknown>;
  vars: Record<string, unknown>;
  /** Role params given where the role is used (`- role: x` + keys); task-vars precedence. */
  params: Record<string, unknown>;
  /** meta/argument_specs.yml's options of the entry point used (tasks_from, else main). */
  argSpec: Record<string, ArgOption>;
  /** meta/checks.yml: rules across the role's hosts. */
  checks: RoleCheck[];
}

/** Keywords that blocks, roles and plays hand down to the tasks inside them. */
export interface Inherited {
  when: (string | boolean)[];
  tags: string[];
  become?: boolean;
  becomeUser?: string;
  becomeMethod?: 'sudo' | 'su';
  environment: Record<string, unknown>[];
  /** Block and include vars, outermost first. */
  vars: Record<string, unknown>[];
  ignoreErrors?: boolean | string;
  noLog?: boolean | string;
  checkMode?: boolean;
  delegateTo?: string;
  runOnce?: boolean;
  role?: Role;
  anyErrorsFatal?: boolean;
}

export interface Task {
  kind: 'task';
  name: string;
  /** Short module name (FQCN stripped); 'meta' for meta tasks. */
  module: string;
  /** Raw (untemplated) module arguments as an object. */
  args: Record<string, unknown>;
  src?: SourcePos;
  /** The raw task mapping, for error positions of its keys. */
  raw: Record<string, unknown>;
  inherited: Inherited;
  loop?: unknown;
  loopControl: { loopVar: string; label?: string; indexVar?: string; pause?: number; extended?: boolean };
  register?: string;
  notify: string[];
  changedWhen?: unknown;
  failedWhen?: unknown;
  until?: unknown;
  retries?: number | string;
  delay?: number | string;
  /** Handlers only: the topics they listen to besides their name. */
  listen: string[];
}

export interface Block {
  kind: 'block';
  name?: string;
  src?: SourcePos;
  block: Item[];
  rescue: Item[];
  always: Item[];
}

export type Item = Task | Block;

export interface Play {
  name: string;
  hosts: string;
  src?: SourcePos;
  raw: Record<string, unknown>;
  gatherFacts: boolean;
  vars: Record<string, unknown>;
  /** Files already loaded, in order. */
  varsFiles: Record<string, unknown>[];
  roles: Role[];
  /** pre_tasks, roles, tasks, post_tasks: handlers flush after each section. */
  sections: Item[][];
  handlers: Task[];
  serial?: (number | string)[];
  maxFailPercentage?: number;
  anyErrorsFatal: boolean;
  forceHandlers: boolean;
  /** Where the playbook file lives (playbook_dir). */
  dir: string;
}
