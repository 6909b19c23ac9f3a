import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import { loadArgSpecs, loadChecks, type ArgSpecs } from './argspec.js';
import type { Inherited, Item, Role, Task } from './model.js';
import { didYouMean } from './suggest.js';
import { templatePattern } from './includes.js';
import { inherit, loadTaskFile, type RoleLoader, type TaskLoadCtx } from './tasks.js';
import { errorAt, lineAt, loadVarsFile as loadVars, loadYamlFile } from './yaml.js';
import { readdirSync } from 'node:fs';

/** Keys of a role entry that are keywords (applied to its tasks), not role params. */
const ROLE_KEYWORDS = new Set(['role', 'name', 'when', 'tags', 'become', 'become_user', 'become_method', 'vars', 'environment', 'ignore_errors', 'no_log', 'check_mode', 'delegate_to', 'run_once', 'any_errors_fatal', 'tasks_from', 'handlers_from', 'vars_from', 'defaults_from', 'allow_duplicates', 'public', 'apply', 'collections', 'module_defaults']);

function mainFile(dir: string, base = 'main'): string | undefined {
  return [`${base}.yml`, `${base}.yaml`, base].map((f) => join(dir, f)).find((p) => existsSync(p));
}

function loadVarsFile(file: string | undefined): Record<string, unknown> {
  return file ? loadVars(file) : {};
}

/**
 * Every YAML file of a role's tasks/, handlers/, vars/ and defaults/ is parsed when the role
 * loads, even one that only a run-time include or include_vars would read: a syntax error
 * anywhere stops the run before a host is touched, with its file, line and column.
 */
function parseAll(role: string): void {
  for (const sub of ['tasks', 'handlers', 'vars', 'defaults']) {
    const dir = join(role, sub);
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (e.isFile() && /\.(ya?ml|json)$/.test(e.name)) loadYamlFile(join(e.parentPath ?? (e as any).path, e.name));
    }
  }
}

/** A role inside a collection finds its siblings by their short names. */
function ownCollection(path: string): string[] {
  const m = /ansible_collections\/(\w+)\/(\w+)\/roles\//.exec(path);
  return m ? [`${m[1]}.${m[2]}`] : [];
}

/** Loads roles for one play: search paths, meta dependencies (once unless allow_duplicates). */
export class Roles implements RoleLoader {
  /** Every role loaded, in load order: their defaults and vars feed variable precedence. */
  readonly loaded: Role[] = [];
  private ran = new Set<string>();
  private cache = new Map<string, Omit<Role, 'params' | 'argSpec' | 'exposed'> & { argSpecs: ArgSpecs }>();

  constructor(
    private searchPaths: string[],
    private handlers: Task[],
    private warnings: string[] = [],
    /** Where collections live, and the play's `collections:` (searched for short role names). */
    private collections: { paths: string[]; names: string[] } = { paths: [], names: [] },
  ) {}

  private find(name: string, from: string, node: unknown, key: string | undefined): string {
    if (name.includes('{{')) throw errorAt(node, key, `a templated role name needs include_role (roles: and import_role are resolved when loading): ${name}`);
    // namespace.collection.role in a collection; a short name also in the play's `collections:`
    const inCollection = (fqcn: string) => {
      const [ns, coll, role] = fqcn.split('.');
      return this.collections.paths.flatMap((p) => [join(p, 'ansible_collections', ns, coll, 'roles', role), join(p, ns, coll, 'roles', role)]);
    };
    const fq = /^\w+\.\w+\.\w+$/.test(name);
    const candidates = isAbsolute(name) ? [name] : fq ? inCollection(name) : [
      ...this.searchPaths.map((p) => join(p, name)), join(from, 'roles', name), join(from, name),
      ...[...this.collections.names, ...ownCollection(from)].flatMap((c) => inCollection(`${c}.${name}`)),
    ];
    const found = candidates.find((p) => existsSync(join(p, 'tasks')) || existsSync(join(p, 'meta')) || existsSync(join(p, 'handlers')));
    if (found) return resolve(found);
    const known = this.searchPaths.flatMap((p) => (existsSync(p) ? readdirSync(p) : []));
    throw errorAt(node, key, `role '${name}' not found${didYouMean(name, known)} (searched ${[...new Set(candidates)].join(', ')})`);
  }

  matching(name: string, from: string): string[] {
    const re = templatePattern(name);
    const dirs = [...this.searchPaths, join(from, 'roles'), from];
    const isRole = (p: string) => ['tasks', 'meta', 'handlers'].some((s) => existsSync(join(p, s)));
    const out = dirs.flatMap((d) => (existsSync(d) ? readdirSync(d).filter((n) => re.test(n) && isRole(join(d, n))) : []));
    return [...new Set(out)];
  }

  load(ref: unknown, node: unknown, key: string | undefined, from: string, inh: Inherited, dedupe = false, exposed = true) {
    const spec: Record<string, unknown> = typeof ref === 'string' ? { role: ref } : { ...(ref as Record<string, unknown>) };
    const name = String(spec.role ?? spec.name ?? '');
    if (!name) throw errorAt(node, key, `a role entry needs 'role' (or 'name')`);
    const path = this.find(name, from, node, key);
    const params = Object.fromEntries(Object.entries(spec).filter(([k]) => !ROLE_KEYWORDS.has(k)));
    let base = this.cache.get(path);
    if (!base) {
      parseAll(path);
      base = {
        name: name.split('/').pop()!.split('.').pop()!,
        path,
        defaults: loadVarsFile(mainFile(join(path, 'defaults'), String(spec.defaults_from ?? 'main').replace(/\.ya?ml$/, ''))),
        vars: loadVarsFile(mainFile(join(path, 'vars'), String(spec.vars_from ?? 'main').replace(/\.ya?ml$/, ''))),
        argSpecs: loadArgSpecs(path),
        checks: loadChecks(path),
      };
      this.cache.set(path, base);
    }
    const { argSpecs, ...rest } = base;
    const role: Role = { ...rest, params, argSpec: argSpecs[String(spec.tasks_from ?? 'main').replace(/\.ya?ml$/, '')] ?? {}, exposed };
    const items: Item[] = [];
    const meta = loadVarsFile(mainFile(join(path, 'meta')));
    const allowDup = Boolean(spec.allow_duplicates ?? (meta.allow_duplicates as boolean | undefined));
    const id = `${path} ${JSON.stringify(params)}`;
    const roleInh = inherit(inh, { ...Object.fromEntries(Object.entries(spec).filter(([k]) => ROLE_KEYWORDS.has(k) && k !== 'name')), vars: { ...(spec.vars as object), ...params } }, role);
    if (dedupe && this.ran.has(id) && !allowDup) return { role, items, handlers: [] };
    this.ran.add(id);
    const ctx: TaskLoadCtx = { dir: join(path, 'tasks'), roles: this, handlers: this.handlers, stack: [], warnings: this.warnings };
    for (const dep of (meta.dependencies as unknown[]) ?? []) {
      const d = this.load(dep, meta.dependencies, undefined, path, inherit(inh, {}), true, exposed);
      items.push(...d.items);
      this.handlers.push(...d.handlers);
    }
    if (!this.loaded.includes(role)) this.loaded.push(role);
    const tasksFile = mainFile(join(path, 'tasks'), String(spec.tasks_from ?? 'main').replace(/\.ya?ml$/, ''));
    if (spec.tasks_from && !tasksFile) throw errorAt(node, key, `role '${name}' has no tasks file '${spec.tasks_from}'`);
    if (tasksFile) items.push(...loadTaskFile(tasksFile, ctx, roleInh));
    const handlersFile = mainFile(join(path, 'handlers'), String(spec.handlers_from ?? 'main').replace(/\.ya?ml$/, ''));
    const handlers: Task[] = [];
    if (handlersFile) {
      const hs = loadTaskFile(handlersFile, ctx, inherit(inherit(inh, {}), {}, role));
      for (const h of hs) {
        if (h.kind !== 'task') throw new ValidationError('handlers', `handlers must be tasks, not blocks`, h.src, lineAt(h.src));
        handlers.push(h);
      }
    }
    return { role, items, handlers };
  }
}
