import type { ArgOption, RoleCheck } from './argspec.js';
import type { SourcePos } from '../errors.js';
import type { ModuleDefaults } from './module-defaults.js';

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
  /**
   * Its defaults and vars are the play's (a role under `roles:`, import_role, and their
   * dependencies); otherwise (include_role) only its own tasks and handlers see them, and with
   * `public: true` the play's tasks on a host after the include ran there (HostRuntime.publicRoles).
   */
  exposed: boolean;
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
  /** A block's notify, for the tasks inside that name none. */
  notify?: string[];
  /** module_defaults of the play, roles, blocks and includes around, outermost first. */
  moduleDefaults: ModuleDefaults[];
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
  /** module_defaults that apply to this task's module, outermost first (mappings or templates). */
  defaults: unknown[];
  /** `async`: run the module as a background job on the host, at most this many seconds. */
  async?: number | string;
  /** `poll`: seconds between checks of an async job; 0 leaves it running (default 15). */
  poll?: number | string;
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

/**
 * include_tasks / include_role: decided per host at run time (templated file name, loop, when),
 * but every file it can name was parsed and validated when the playbook loaded.
 */
export interface Include {
  kind: 'include';
  action: 'include_tasks' | 'include_role';
  name: string;
  src?: SourcePos;
  raw: Record<string, unknown>;
  /** The include's own keywords (its when and tags apply to it, not to what it brings). */
  inherited: Inherited;
  /** include_tasks: the file name as written; include_role: a templated role name. */
  file?: string;
  loop?: unknown;
  loopControl: Task['loopControl'];
  /** What the rendered file (or role) name brings: loaded at load time when it could be, else now. */
  resolve(file: string): Item[];
  /** include_role with `public: true`: the role whose defaults and vars join the play's for a host once it ran there. */
  publicRole?(name: string): Role;
}

export type Item = Task | Block | Include;

export interface Play {
  name: string;
  hosts: string;
  src?: SourcePos;
  raw: Record<string, unknown>;
  gatherFacts: boolean;
  vars: Record<string, unknown>;
  /** vars_files in order: loaded, or templated names resolved per host when variables are read. */
  varsFiles: (Record<string, unknown> | TemplatedVarsFile)[];
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
  /** vars_prompt entries: answered by their default or by -e, never by a terminal. */
  prompts: { name: string; default?: unknown; src?: SourcePos }[];
  /** Found while loading: tasks only a dynamic include reaches that name a module harun lacks. */
  warnings: string[];
}

/**
 * A vars_files entry whose name is templated (`vars/{{ ansible_os_family }}.yml`) or a list of
 * names of which the first that exists counts. Each file the names could match was parsed when
 * the playbook loaded; which one applies is decided per host.
 */
export class TemplatedVarsFile {
  readonly cache = new Map<string, Record<string, unknown>>();
  constructor(readonly names: string[], readonly dir: string) {}
}
