import { z } from 'zod';
import { parseArgs, schemaKeys, str, strList, lazySchema } from './lib/args.js';
import { apt } from './apt.js';
import { dnf } from './dnf.js';
import { yum } from './yum.js';
import type { ModuleDef } from './types.js';

const BACKENDS: Record<string, ModuleDef> = { apt, dnf, yum };

/** Any argument of one of the backends; the chosen backend's own schema judges it on the host. */
const backendKeys = () => new Set(Object.values(BACKENDS).flatMap((m) => schemaKeys(m.schema)));

const schema = lazySchema(() => z
  .object({
    name: strList(),
    state: z.enum(['present', 'installed', 'absent', 'removed', 'latest']).default('present'),
    use: str().default('auto'),
  })
  .loose()
  .superRefine((a, c) => {
    const known = backendKeys();
    const extra = Object.keys(a).filter((k) => !['name', 'state', 'use'].includes(k) && !known.has(k));
    if (extra.length) c.addIssue({ code: 'unrecognized_keys', keys: extra, path: [], message: `unsupported argument ${extra.join(', ')} (not an argument of apt, dnf or yum)`, input: a });
  }));

/** Generic package: picks apt, dnf or yum from ansible_pkg_mgr (or `use`) and hands over name/state. */
export const pkg: ModuleDef<z.infer<ReturnType<typeof schema>>> = {
  name: 'package',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a) {
    const mgr = a.use === 'auto' ? String((await ctx.facts()).pkg_mgr ?? 'unknown') : a.use;
    const backend = BACKENDS[mgr];
    if (!backend) {
      return { changed: false, failed: true, msg: `package: no support for package manager "${mgr}" (harun handles apt, dnf and yum); set use: or gather facts` };
    }
    // Ansible's package action hands every argument but `use` to the backend module
    const { use: _, ...rest } = a;
    return backend.run(ctx, parseArgs(backend.name, backend.schema, rest));
  },
};
