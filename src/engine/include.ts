import type { Include, Item } from '../config/model.js';
import { renderValue } from '../vars/template.js';
import { cond, errorResult, loopItems, loopVars, statusOf, type Outcome, type TaskEnv } from './task.js';

/** Hosts that run one included file with the same loop variables, in the order first reached. */
export interface IncludeGroup {
  /** The file or role name as rendered for these hosts. */
  name: string;
  items: Item[];
  vars: Record<string, unknown>;
  hosts: string[];
}

/**
 * Decide a dynamic include on one host: its loop, its when per item, the file name rendered
 * with the host's variables. Each (file, item) joins a group; the play runner then runs each
 * group's tasks on its hosts, as Ansible runs an included file for the hosts that included it.
 */
export function expandInclude(inc: Include, host: string, env: TaskEnv, groups: IncludeGroup[]): Outcome {
  try {
    const base = env.vars(host, inc);
    const list = inc.loop ? loopItems({ ...inc, module: inc.action }, base) : [undefined];
    let included = 0;
    for (const [i, item] of list.entries()) {
      const iv = inc.loop ? loopVars(inc.loopControl, item, i, list.length) : {};
      const vars = env.vars(host, inc, iv);
      if (!cond(inc.inherited.when, vars)) continue;
      const name = inc.file === undefined ? '' : String(renderValue(inc.file, vars));
      const items = inc.resolve(name);
      const key = JSON.stringify(iv);
      let g = groups.find((x) => x.items === items && JSON.stringify(x.vars) === key);
      if (!g) groups.push((g = { name, items, vars: iv, hosts: [] }));
      g.hosts.push(host);
      included++;
    }
    if (!included) return { status: 'skipped', result: { changed: false, skipped: true, skip_reason: 'Conditional result was False' } };
    return { status: 'ok', result: { changed: false, include: inc.file ?? inc.name, included } };
  } catch (e) {
    const r = errorResult(e, inc);
    return { status: statusOf(r), result: r };
  }
}
