/**
 * Ansible's YAML inventory format (plugins/inventory/yaml.py): top-level keys are groups, each
 * with optional `hosts`, `children` and `vars` mappings; host keys may hold ranges and a port.
 * Like Ansible, unexpected keys are skipped with a warning rather than failing the load.
 */
import { errorAt, lineAt, posOf } from '../config/yaml.js';
import { ValidationError } from '../errors.js';
import type { InventoryData } from './data.js';
import { expandHostSpec } from './range.js';

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function where(obj: unknown, key: string): string {
  const p = posOf(obj, key);
  return p ? ` (${p.file}:${p.line}:${p.col})` : '';
}

export function parseYamlInventory(data: unknown, file: string, inv: InventoryData): void {
  if (data === null) return; // Ansible's INI plugin accepts an empty file as an empty inventory
  if (!isMap(data)) {
    throw new ValidationError('inventory', `YAML inventory must be a mapping of groups, got ${Array.isArray(data) ? 'a list' : typeof data}`, posOf(data) ?? { file, line: 1, col: 1 });
  }
  if ('plugin' in data) {
    throw errorAt(data, 'plugin', 'inventory plugin configuration files are not supported: harun reads static inventories only');
  }
  for (const name of Object.keys(data)) group(inv, file, data, name);
}

function group(inv: InventoryData, file: string, parent: Record<string, unknown>, name: string): string | undefined {
  const body = parent[name];
  if (body !== null && !isMap(body)) {
    inv.warnings.push(`skipping '${name}' as it is not a valid group definition${where(parent, name)}`);
    return undefined;
  }
  inv.addGroup(name);
  if (body === null) return name;
  for (const [key, raw] of Object.entries(body)) {
    // `hosts: web1` is accepted as a mapping with one key, as Ansible does
    const section = typeof raw === 'string' && ['vars', 'children', 'hosts'].includes(key) ? { [raw]: null } : raw;
    if (['vars', 'children', 'hosts'].includes(key) && section !== null && !isMap(section)) {
      throw errorAt(body, key, `'${key}' of group '${name}' must be a mapping, got ${Array.isArray(section) ? 'a list' : typeof section}`);
    }
    if (section === null) continue;
    if (!isMap(section)) {
      inv.warnings.push(`skipping key '${key}' in group '${name}' as it is not a mapping${where(body, key)}`);
      continue;
    }
    const at = (k: string) => posOf(section, k) ?? posOf(body, key);
    if (key === 'vars') {
      for (const [k, v] of Object.entries(section)) inv.setGroupVar(name, k, v, at(k));
    } else if (key === 'children') {
      for (const child of Object.keys(section)) {
        const c = group(inv, file, section, child);
        if (c) inv.addChild(name, c, at(child));
      }
    } else if (key === 'hosts') {
      for (const [spec, vars] of Object.entries(section)) {
        if (vars !== null && !isMap(vars)) throw errorAt(section, spec, `variables of host '${spec}' must be a mapping, got ${Array.isArray(vars) ? 'a list' : typeof vars}`);
        let parsed: { names: string[]; port?: number };
        try {
          parsed = expandHostSpec(spec);
        } catch (e) {
          const pos = at(spec);
          throw new ValidationError('inventory', (e as Error).message, pos, lineAt(pos));
        }
        for (const host of parsed.names) {
          inv.addHost(host, name, file, parsed.port, at(spec));
          for (const [k, v] of Object.entries(vars ?? {})) inv.setHostVar(host, k, v, posOf(vars, k));
        }
      }
    } else {
      inv.warnings.push(`skipping unexpected key '${key}' in group '${name}': only vars, children and hosts are valid${where(body, key)}`);
    }
  }
  return name;
}
