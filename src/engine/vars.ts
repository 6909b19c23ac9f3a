import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { TemplatedVarsFile, type Play, type Task } from '../config/model.js';
import { loadVarsFile } from '../config/yaml.js';
import { renderValue } from '../vars/template.js';
import type { Inventory } from '../inventory/index.js';
import type { HostRuntime } from './runtime.js';

/** The placeholder `omit` renders to; arguments equal to it are dropped. */
export const OMIT = '__omit_place_holder__harun__';

export interface VarsEnv {
  inventory: Inventory;
  play: Play;
  extraVars: Record<string, unknown>;
  rt: (host: string) => HostRuntime;
  playHosts: () => string[];
  batch: () => string[];
  check: boolean;
  diff: boolean;
  verbosity: number;
}

function factVars(facts: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!facts) return {};
  const out: Record<string, unknown> = { ansible_facts: facts };
  for (const [k, v] of Object.entries(facts)) out[k.startsWith('ansible_') ? k : `ansible_${k}`] = v;
  return out;
}

/**
 * Ansible's precedence for the parts harun has, lowest first: role defaults, inventory
 * (group vars parent before child, then host vars), facts, play vars, vars_files, role vars,
 * block/role-param/task vars, set_fact and register, extra vars. Magic variables on top.
 * Role defaults and vars: those of the play's exposed roles, then the task's own role's.
 */
/** What variables depend on of a task (or of an include): its inherited vars, role and file. */
export type VarsTask = Pick<Task, 'inherited' | 'src'>;

export function hostVars(env: VarsEnv, host: string, task?: VarsTask, item?: Record<string, unknown>): Record<string, unknown> {
  const rt = env.rt(host);
  const out: Record<string, unknown> = {};
  const own = task?.inherited.role;
  const roles = env.play.roles.filter((r) => r.exposed);
  for (const r of rt.publicRoles) if (env.play.roles.includes(r)) roles.push(r);
  if (own && !roles.includes(own)) roles.push(own);
  for (const r of roles) Object.assign(out, r.defaults);
  Object.assign(out, env.inventory.hostVars(host));
  Object.assign(out, factVars(rt.facts));
  Object.assign(out, env.play.vars);
  for (const f of env.play.varsFiles) Object.assign(out, f instanceof TemplatedVarsFile ? templatedVarsFile(f, { ...out, ...env.extraVars, inventory_hostname: host }) : f);
  for (const r of roles) Object.assign(out, r.vars);
  if (task) for (const v of task.inherited.vars) Object.assign(out, v);
  Object.assign(out, rt.vars);
  for (const v of rt.includeVars) Object.assign(out, v);
  Object.assign(out, env.extraVars);
  if (item) Object.assign(out, item);
  Object.assign(out, {
    inventory_hostname: host,
    inventory_hostname_short: host.split('.')[0],
    group_names: env.inventory.groupNames(host),
    groups: env.inventory.groups(),
    hostvars: hostvarsProxy(env),
    play_hosts: env.batch(),
    ansible_play_batch: env.batch(),
    ansible_play_hosts: env.playHosts().filter((h) => !env.rt(h).failed && !env.rt(h).unreachable),
    ansible_play_hosts_all: env.playHosts(),
    ansible_play_name: env.play.name,
    playbook_dir: env.play.dir,
    ansible_check_mode: env.check,
    ansible_diff_mode: env.diff,
    ansible_verbosity: env.verbosity,
    ansible_version: { full: '2.14.0', major: 2, minor: 14, revision: 0, string: '2.14.0 (harun)' },
    omit: OMIT,
    ...(own ? { role_name: own.name, role_path: own.path, ansible_role_name: own.name } : {}),
    // where lookups and include_vars look for relative files: the role, then the task file's directory
    ansible_search_path: [...(own ? [own.path] : []), ...(task?.src ? [dirname(task.src.file)] : [])].filter((p, i, a) => a.indexOf(p) === i),
  });
  return out;
}

/**
 * A templated vars_files entry for one host: the first of its names that renders and exists.
 * A name whose variables are not defined yet is passed over, as Ansible does before facts.
 */
function templatedVarsFile(f: TemplatedVarsFile, vars: Record<string, unknown>): Record<string, unknown> {
  for (const n of f.names) {
    let name: string;
    try {
      name = String(renderValue(n, vars));
    } catch {
      continue;
    }
    const p = isAbsolute(name) ? name : join(f.dir, name);
    let v = f.cache.get(p);
    if (!v && existsSync(p)) f.cache.set(p, (v = loadVarsFile(p)));
    if (v) return v;
  }
  return {};
}

/** hostvars[name]: each host's variables as a play sees them, computed on access. */
function hostvarsProxy(env: VarsEnv): Record<string, unknown> {
  const cache = new Map<string, Record<string, unknown>>();
  const all = () => env.inventory.hosts();
  return new Proxy({} as Record<string, unknown>, {
    get(_t, key) {
      if (typeof key !== 'string' || !env.inventory.has(key)) return undefined;
      if (!cache.has(key)) cache.set(key, renderedView(hostVars(env, key)));
      return cache.get(key);
    },
    has: (_t, key) => typeof key === 'string' && env.inventory.has(key),
    ownKeys: () => all(),
    getOwnPropertyDescriptor: (_t, key) =>
      typeof key === 'string' && env.inventory.has(key) ? { enumerable: true, configurable: true, value: undefined } : undefined,
  });
}

/** A host's variables whose values are templated on access, with that host's variables (as Ansible's hostvars). */
export function renderedView(vars: Record<string, unknown>): Record<string, unknown> {
  const done = new Map<string, unknown>();
  return new Proxy(vars, {
    get(t, k) {
      if (typeof k !== 'string' || !Object.hasOwn(t, k)) return Reflect.get(t, k);
      if (!done.has(k)) done.set(k, renderValue(t[k], t));
      return done.get(k);
    },
  });
}

/** Drop arguments that rendered to `omit` (at any depth of mappings). */
export function dropOmitted(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== OMIT).map(dropOmitted);
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== OMIT) out[k] = dropOmitted(x);
    return out;
  }
  return v;
}
