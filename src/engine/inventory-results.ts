import type { Inventory } from '../inventory/index.js';
import type { ModuleResult } from '../modules/types.js';
import type { Outcome } from './task.js';

/**
 * add_host and group_by change the run's inventory through their results (add_host,
 * add_group), as Ansible's strategy applies them; a result is changed when the inventory was.
 */
export function applyInventoryResults(inv: Inventory, host: string, out: Outcome): void {
  const apply = (r: ModuleResult): boolean => {
    if (r.failed || r.skipped) return false;
    let changed = false;
    const add = r.add_host as { host_name: string; groups: string[]; host_vars: Record<string, unknown> } | undefined;
    if (add) changed = inv.addDynamicHost(add.host_name, add.groups, add.host_vars);
    if (typeof r.add_group === 'string') changed = inv.addDynamicGroup(host, r.add_group, (r.parent_groups as string[] | undefined) ?? ['all']);
    if (changed) r.changed = true;
    return changed;
  };
  if (!out.items) {
    if (apply(out.result) && out.status === 'ok') out.status = 'changed';
    return;
  }
  for (const it of out.items) if (apply(it.result) && it.status === 'ok') it.status = 'changed';
  if (out.items.some((i) => i.status === 'changed') && out.status === 'ok') {
    out.status = 'changed';
    out.result.changed = true;
  }
}
