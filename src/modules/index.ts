import type { ModuleDef } from './types.js';
// one import per module; keep each list sorted, one line per module
// core modules:
// system modules:

const all: ModuleDef[] = [
  // core modules:
  // system modules:
];

const registry = new Map(all.map((m) => [m.name, m]));

/** Look a module up by its short name or FQCN (ansible.builtin.copy, ansible.legacy.copy). */
export function findModule(name: string): ModuleDef | undefined {
  const short = name.replace(/^ansible\.(builtin|legacy|posix)\./, '').replace(/^community\.general\./, '');
  return registry.get(short);
}

export function moduleNames(): string[] {
  return [...registry.keys()].sort();
}
