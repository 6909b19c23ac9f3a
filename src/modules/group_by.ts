/** group_by: put the host in a group named from its variables; the engine updates the inventory. */
import { z } from 'zod';
import { lazySchema, str, strList } from './lib/args.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z.object({ key: str(), parents: strList().default(['all']) }).strict());

export type GroupByArgs = z.infer<ReturnType<typeof schema>>;

export const groupBy: ModuleDef<GroupByArgs> = {
  name: 'group_by',
  get schema() {
    return schema();
  },
  checkMode: true,
  controller: true,
  async run(_ctx, a) {
    // Ansible's names: spaces become dashes
    return { changed: false, add_group: a.key.replace(/ /g, '-'), parent_groups: a.parents.map((p) => p.replace(/ /g, '-')) };
  },
};
