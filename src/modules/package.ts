import { z } from 'zod';
import { parseArgs, str, strList, lazySchema } from './lib/args.js';
import { apt } from './apt.js';
import { dnf } from './dnf.js';
import { yum } from './yum.js';
import type { ModuleDef } from './types.js';

const BACKENDS: Record<string, ModuleDef> = { apt, dnf, yum };

const schema = lazySchema(() => z
  .object({
    name: strList(),
    state: z.enum(['present', 'installed', 'absent', 'removed', 'latest']).default('present'),
    use: str().default('auto'),
  })
  .strict());

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
    return backend.run(ctx, parseArgs(backend.name, backend.schema, { name: a.name, state: a.state }));
  },
};
