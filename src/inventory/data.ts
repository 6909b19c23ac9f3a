/**
 * The inventory graph as Ansible's InventoryData keeps it: hosts and groups in the order they
 * were first seen, group children in the order they were added, a depth per group (all = 0)
 * and, for every variable, the place it was written.
 */
import { ValidationError, type SourcePos } from '../errors.js';

export interface Located {
  value: unknown;
  pos?: SourcePos;
}

export interface Group {
  name: string;
  hosts: string[];
  children: string[];
  parents: string[];
  vars: Map<string, Located>;
  depth: number;
  priority: number;
}

export interface Host {
  name: string;
  /** Groups the host was added to directly (ancestors are computed). */
  groups: string[];
  vars: Map<string, Located>;
  /** The inventory source that first named the host (Ansible's inventory_file). */
  source?: string;
}

export class InventoryData {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, Host>();
  readonly warnings: string[] = [];

  constructor() {
    this.addGroup('all');
    this.addGroup('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  addGroup(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], parents: [], vars: new Map(), depth: 0, priority: 1 };
      this.groups.set(name, g);
    }
    return g;
  }

  addHost(name: string, group: string | undefined, source: string, port?: number, pos?: SourcePos): Host {
    let h = this.hosts.get(name);
    if (!h) {
      h = { name, groups: [], vars: new Map(), source };
      this.hosts.set(name, h);
    }
    if (group) {
      const g = this.addGroup(group);
      if (!g.hosts.includes(name)) g.hosts.push(name);
      if (!h.groups.includes(group)) h.groups.push(group);
    }
    // Ansible applies a port only when it creates the host; applying it always is less surprising
    if (port !== undefined) h.vars.set('ansible_port', { value: port, pos });
    return h;
  }

  addChild(parent: string, child: string, pos?: SourcePos): void {
    const p = this.addGroup(parent);
    const c = this.addGroup(child);
    if (parent === child || this.ancestors(parent).has(child)) {
      throw new ValidationError('inventory', `adding group '${child}' as child to '${parent}' creates a recursive dependency loop`, pos);
    }
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
    this.deepen(c, p.depth + 1);
  }

  private deepen(g: Group, depth: number): void {
    if (depth <= g.depth) return;
    g.depth = depth;
    for (const k of g.children) this.deepen(this.groups.get(k)!, depth + 1);
  }

  setGroupVar(group: string, key: string, value: unknown, pos?: SourcePos): void {
    const g = this.addGroup(group);
    if (key === 'ansible_group_priority') {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new ValidationError('inventory', `ansible_group_priority must be an integer, got ${JSON.stringify(value)}`, pos);
      g.priority = n;
      return;
    }
    g.vars.set(key, { value, pos });
  }

  setHostVar(host: string, key: string, value: unknown, pos?: SourcePos): void {
    this.hosts.get(host)!.vars.set(key, { value, pos });
  }

  /** All groups above `group` (not including itself). */
  ancestors(group: string): Set<string> {
    const out = new Set<string>();
    const walk = (n: string) => {
      for (const p of this.groups.get(n)?.parents ?? []) if (!out.has(p)) (out.add(p), walk(p));
    };
    walk(group);
    return out;
  }

  /** Ansible's reconcile_inventory: top groups join `all`, group-less hosts join `ungrouped`. */
  reconcile(): void {
    for (const g of this.groups.values()) {
      if (g.name !== 'all' && g.parents.length === 0) this.addChild('all', g.name);
    }
    const ungrouped = this.groups.get('ungrouped')!;
    for (const h of this.hosts.values()) {
      const own = h.groups.filter((g) => g !== 'all' && g !== 'ungrouped');
      if (own.length > 0 && h.groups.includes('ungrouped')) {
        h.groups = h.groups.filter((g) => g !== 'ungrouped');
        ungrouped.hosts = ungrouped.hosts.filter((n) => n !== h.name);
      } else if (own.length === 0 && !h.groups.includes('ungrouped')) {
        h.groups.push('ungrouped');
        ungrouped.hosts.push(h.name);
      }
    }
    for (const name of this.groups.keys()) {
      if (this.hosts.has(name)) this.warnings.push(`found both group and host with same name: ${name}`);
    }
  }

  /** Every group of a host, including ancestors and `all`. */
  hostGroups(host: string): string[] {
    const h = this.hosts.get(host);
    if (!h) return [];
    const out = new Set<string>();
    for (const g of h.groups) {
      out.add(g);
      for (const a of this.ancestors(g)) out.add(a);
    }
    return [...out];
  }

  /** Hosts of a group and its descendants, breadth first, children in the order added. */
  groupHosts(group: string): string[] {
    const seen = new Set<string>();
    const hosts: string[] = [];
    const queue = [group];
    const visited = new Set(queue);
    while (queue.length) {
      const g = this.groups.get(queue.shift()!);
      if (!g) continue;
      for (const h of g.hosts) if (!seen.has(h)) (seen.add(h), hosts.push(h));
      for (const c of g.children) if (!visited.has(c)) (visited.add(c), queue.push(c));
    }
    return hosts;
  }
}
