/**
 * The shapes `ansible-inventory` prints (cli/inventory.py of ansible-core 2.14): --list as JSON
 * (keys sorted, indent 4) or YAML, --graph as the `@all:` tree, --host as one host's vars.
 * Internal/magic variables are left out, as ansible-inventory does.
 */
import { toYaml } from '../config/yaml.js';
import type { Inventory } from './index.js';

const INTERNAL = new Set([
  'ansible_diff_mode', 'ansible_config_file', 'ansible_facts', 'ansible_forks', 'ansible_inventory_sources',
  'ansible_limit', 'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity',
  'ansible_version', 'inventory_dir', 'inventory_file', 'inventory_hostname', 'inventory_hostname_short',
  'groups', 'group_names', 'omit', 'playbook_dir',
]);

export function publicHostVars(inv: Inventory, host: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inv.hostVars(host)).filter(([k]) => !INTERNAL.has(k)));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]));
  }
  return v;
}

/** Python's json.dumps(sort_keys=True, indent=4). */
export function toJson(v: unknown): string {
  return JSON.stringify(sortKeys(v), null, 4);
}

/** PyYAML's dump(default_flow_style=False): sorted keys, sequences not indented under keys. */
export function toPyYaml(v: unknown): string {
  return toYaml(sortKeys(v), { indentSeq: false, lineWidth: 0, singleQuote: true });
}

export function listInventory(inv: Inventory): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const seen = new Set<string>();
  const format = (name: string) => {
    const g = inv.group(name)!;
    const entry: Record<string, unknown> = {};
    if (name !== 'all' && g.hosts.length) entry.hosts = [...g.hosts];
    if (g.children.length) entry.children = [...g.children];
    if (Object.keys(entry).length) out[name] = entry;
    for (const c of g.children) {
      if (!seen.has(c)) {
        seen.add(c);
        format(c);
      }
    }
  };
  format('all');
  const hostvars: Record<string, unknown> = {};
  for (const h of inv.select('all')) {
    const vars = publicHostVars(inv, h);
    if (Object.keys(vars).length) hostvars[h] = vars;
  }
  out._meta = { hostvars };
  return out;
}

/** The --list --yaml tree: groups nest under `children`, host vars given once, at first mention. */
export function yamlInventory(inv: Inventory): Record<string, unknown> {
  const seen = new Set<string>();
  const format = (name: string): Record<string, unknown> => {
    const g = inv.group(name)!;
    const entry: Record<string, unknown> = {};
    const children: Record<string, unknown> = {};
    for (const c of g.children) if (c !== 'all') children[c] = format(c);
    if (Object.keys(children).length) entry.children = children;
    if (name !== 'all' && g.hosts.length) {
      const hosts: Record<string, unknown> = {};
      for (const h of g.hosts) {
        hosts[h] = seen.has(h) ? {} : publicHostVars(inv, h);
        seen.add(h);
      }
      entry.hosts = hosts;
    }
    return entry;
  };
  return { all: format('all') };
}

export function graphInventory(inv: Inventory, start = 'all'): string {
  const lines: string[] = [];
  const name = (s: string, depth: number) => (depth ? '  |'.repeat(depth) + '--' + s : s);
  const walk = (group: string, depth: number) => {
    const g = inv.group(group)!;
    lines.push(name(`@${group}:`, depth));
    for (const c of g.children) walk(c, depth + 1);
    if (group !== 'all') for (const h of g.hosts) lines.push(name(h, depth + 1));
  };
  walk(start, 0);
  return lines.join('\n');
}
