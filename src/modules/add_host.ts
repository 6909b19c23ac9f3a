/** add_host: add a host (and its groups and variables) to the run's inventory; runs once per task. */
import { z } from 'zod';
import type { ModuleDef } from './types.js';

const schema = z.record(z.string(), z.unknown()).superRefine((a, c) => {
  if (a.name === undefined && a.hostname === undefined && a.host === undefined) c.addIssue({ code: 'custom', path: ['name'], message: 'name, host or hostname needs to be provided' });
});

const SPECIAL = new Set(['name', 'hostname', 'host', 'groupname', 'groups', 'group']);

export const addHost: ModuleDef<Record<string, unknown>> = {
  name: 'add_host',
  schema,
  checkMode: true,
  controller: true,
  async run(_ctx, a) {
    let name = String(a.name ?? a.hostname ?? a.host);
    const vars = Object.fromEntries(Object.entries(a).filter(([k]) => !SPECIAL.has(k)));
    const port = /^([^:\[\]]+):(\d+)$/.exec(name);
    if (port) {
      name = port[1];
      vars.ansible_ssh_port = Number(port[2]);
    }
    const g = a.groupname ?? a.groups ?? a.group ?? '';
    const groups = [...new Set((Array.isArray(g) ? g.map(String) : String(g).split(',')).map((s) => s.trim()).filter(Boolean))];
    return { changed: false, add_host: { host_name: name, groups, host_vars: vars } };
  },
};
