/**
 * module_defaults (play, block, role, include and task level): argument defaults per module,
 * as Ansible's Base._load_module_defaults reads them. Keys name modules, short or FQCN, and are
 * resolved when the playbook loads; values may be templated (rendered per host when the task
 * runs). Inner levels come after outer ones, and the task's own arguments win over all.
 */
import { findModule } from '../modules/index.js';
import { errorAt } from './yaml.js';

/** One level's module_defaults: harun module name -> default arguments (a mapping or a template). */
export type ModuleDefaults = Record<string, unknown>;

const canonical = (key: string): string | undefined => {
  const short = key.replace(/^ansible\.(builtin|legacy)\./, '');
  try {
    return findModule(short)?.name;
  } catch {
    return undefined;
  }
};

/** The module_defaults of a keyword mapping, its keys resolved to module names. */
export function loadModuleDefaults(owner: Record<string, unknown>): ModuleDefaults[] {
  const v = owner.module_defaults;
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((d, i) => {
    if (!d || typeof d !== 'object' || Array.isArray(d)) {
      throw errorAt(Array.isArray(v) ? v : owner, Array.isArray(v) ? i : 'module_defaults', "module_defaults must be a mapping (or a list of mappings) of module names to their default arguments, e.g. {'ping': \"{{ ping_defaults }}\"}");
    }
    const out: ModuleDefaults = {};
    for (const [key, args] of Object.entries(d as Record<string, unknown>)) {
      if (key.startsWith('group/')) {
        throw errorAt(d, key, `module_defaults: action group '${key}' is not supported by harun (groups come from collections' meta/runtime.yml); give the modules by name instead`);
      }
      const name = canonical(key);
      if (!name) throw errorAt(d, key, `Could not resolve action ${key} in module_defaults (no such module, native to harun or in the controller's Ansible)`);
      if (args !== null && typeof args !== 'string' && (typeof args !== 'object' || Array.isArray(args))) {
        throw errorAt(d, key, `module_defaults for '${key}' must be a mapping of arguments (or a template giving one)`);
      }
      out[name] = args ?? {};
    }
    return out;
  });
}

/** The defaults that apply to `module`, outermost first (each a mapping or a template). */
export function defaultsFor(module: string, levels: ModuleDefaults[]): unknown[] {
  return levels.filter((l) => module in l).map((l) => l[module]);
}
