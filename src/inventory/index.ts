/**
 * The inventory: load -i sources in order, then answer the questions plays ask: which hosts,
 * which groups, and each host's variables merged in Ansible's order, with where each was set.
 */
import { dirname, resolve } from 'node:path';
import type { SourcePos } from '../errors.js';
import { InventoryData, type Group, type Located } from './data.js';
import { selectHosts, type PatternSource } from './patterns.js';
import { loadSource } from './sources.js';
import { VarsFiles } from './vars-files.js';

export { unknownConnectionVars } from './connection.js';
export { splitPatterns } from './patterns.js';

/** Names that reach the controller itself when not in the inventory (Ansible's C.LOCALHOST). */
export const LOCALHOST = ['localhost', '127.0.0.1', '::1'];

export interface LoadOptions {
  /** Directories beside the playbook whose group_vars/ and host_vars/ apply after the inventory's. */
  extraVarDirs?: string[];
}

export function loadInventory(sources: string[], opts: LoadOptions = {}): Inventory {
  const data = new InventoryData();
  const basedirs: string[] = [];
  for (const s of sources) basedirs.push(...loadSource(s, data));
  data.reconcile();
  return new Inventory(data, basedirs, opts.extraVarDirs ?? [], sources);
}

export class Inventory {
  private files = new VarsFiles();
  private merged = new Map<string, Map<string, Located>>();
  private groupsCache?: [string, string[]][];

  constructor(
    private readonly data: InventoryData,
    private readonly invDirs: string[],
    private readonly playDirs: string[],
    readonly sources: string[],
  ) {}

  /** Non-fatal findings (skipped YAML keys, a name used for a host and a group). */
  get warnings(): readonly string[] {
    return this.data.warnings;
  }

  hosts(): string[] {
    return [...this.data.hosts.keys()];
  }

  has(host: string): boolean {
    return this.data.hosts.has(host);
  }

  /** A localhost name that is not in the inventory, so plays reach the controller. */
  isImplicit(host: string): boolean {
    return !this.has(host) && LOCALHOST.includes(host);
  }

  /** The `groups` magic variable: every group with its hosts (descendants included). */
  groups(): Record<string, string[]> {
    // asked for on every task of every host: computed once, handed out as copies
    this.groupsCache ??= [...this.data.groups.keys()].map((g) => [g, this.data.groupHosts(g)]);
    return Object.fromEntries(this.groupsCache.map(([g, hosts]) => [g, [...hosts]]));
  }

  /** The `group_names` magic variable: sorted, without `all` (Ansible keeps `ungrouped`). */
  groupNames(host: string): string[] {
    return this.data.hostGroups(host).filter((g) => g !== 'all').sort();
  }

  /** A group as declared: direct hosts, child groups in order, its own inventory vars. */
  group(name: string): Readonly<Group> | undefined {
    return this.data.groups.get(name);
  }

  hostVars(host: string): Record<string, unknown> {
    return Object.fromEntries([...this.mergedVars(host)].map(([k, v]) => [k, v.value]));
  }

  varOrigin(host: string, name: string): SourcePos | undefined {
    return this.mergedVars(host).get(name)?.pos;
  }

  select(pattern: string | string[]): string[] {
    const src: PatternSource = {
      hostNames: () => this.hosts(),
      groupNames: () => [...this.data.groups.keys()],
      groupHosts: (g) => this.data.groupHosts(g),
      // like Ansible, a localhost-like host of the inventory (127.0.0.1, say) answers for `localhost`
      implicitHost: (n) => (LOCALHOST.includes(n) ? (this.hosts().find((h) => LOCALHOST.includes(h)) ?? n) : undefined),
    };
    return selectHosts(src, pattern);
  }

  /** add_host at run time: the host (created in `all`), its groups and variables; true if anything changed. */
  addDynamicHost(name: string, groups: string[], vars: Record<string, unknown>): boolean {
    let changed = !this.data.hosts.has(name);
    const h = this.data.addHost(name, undefined, 'add_host');
    for (const [k, v] of Object.entries(vars)) {
      if (JSON.stringify(h.vars.get(k)?.value) !== JSON.stringify(v)) changed = true;
      h.vars.set(k, { value: v });
    }
    for (const g of groups) if (this.joinGroup(name, g, [])) changed = true;
    this.refresh();
    return changed;
  }

  /** group_by at run time: the host joins `group` (created under `parents`); true if anything changed. */
  addDynamicGroup(host: string, group: string, parents: string[]): boolean {
    if (!this.data.hosts.has(host)) this.data.addHost(host, undefined, 'implicit');
    const changed = this.joinGroup(host, group, parents);
    this.refresh();
    return changed;
  }

  private joinGroup(host: string, group: string, parents: string[]): boolean {
    let changed = !this.data.groups.has(group);
    for (const p of parents) {
      if (!this.data.groups.get(p)?.children.includes(group)) changed = true;
      this.data.addChild(p, group);
    }
    if (!this.data.groups.get(group)?.hosts.includes(host)) changed = true;
    this.data.addHost(host, group, 'add_host');
    return changed;
  }

  private refresh(): void {
    this.data.reconcile();
    this.merged.clear();
    this.groupsCache = undefined;
  }

  /**
   * Ansible's default precedence: the `all` group's inventory vars, other groups' inventory
   * vars (by depth, ansible_group_priority, name), group_vars/all beside the inventory, then
   * beside the playbook, other group_vars (inventory, then playbook dirs), then the host's
   * inventory vars, host_vars beside the inventory, host_vars beside the playbook.
   */
  private mergedVars(host: string): Map<string, Located> {
    let out = this.merged.get(host);
    if (out) return out;
    out = new Map<string, Located>();
    const put = (vars: Map<string, Located>) => {
      for (const [k, v] of vars) out!.set(k, v);
    };
    const all = this.data.groups.get('all')!;
    const groups = this.data
      .hostGroups(host)
      .filter((g) => g !== 'all')
      .map((g) => this.data.groups.get(g)!)
      .sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const fromDirs = (dirs: string[], kind: 'group_vars' | 'host_vars', names: string[]) => {
      for (const d of dirs) for (const n of names) put(this.files.load(d, kind, n));
    };
    put(all.vars);
    for (const g of groups) put(g.vars);
    fromDirs(this.invDirs, 'group_vars', ['all']);
    fromDirs(this.playDirs, 'group_vars', ['all']);
    fromDirs(this.invDirs, 'group_vars', groups.map((g) => g.name));
    fromDirs(this.playDirs, 'group_vars', groups.map((g) => g.name));
    const h = this.data.hosts.get(host);
    if (h) {
      const src = h.source && !h.source.includes(',') ? resolve(h.source) : undefined;
      out.set('inventory_file', { value: src ?? null });
      out.set('inventory_dir', { value: src ? dirname(src) : null });
      put(h.vars);
    } else if (this.isImplicit(host)) {
      out.set('ansible_connection', { value: 'local' });
    }
    fromDirs(this.invDirs, 'host_vars', [host]);
    fromDirs(this.playDirs, 'host_vars', [host]);
    this.merged.set(host, out);
    return out;
  }
}
