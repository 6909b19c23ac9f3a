import { z } from 'zod';
import { raw, sh, words, type Sh } from '../shell/sh.js';
import { bool, int, str, lazySchema } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => z
  .object({
    name: str(),
    state: z.enum(['present', 'absent']).default('present'),
    gid: int().optional(),
    system: bool().default(false),
    local: bool().default(false),
    non_unique: bool().default(false),
    force: bool().default(false),
  })
  .strict());
type Args = z.infer<ReturnType<typeof schema>>;

/** `getent group NAME` -> its gid and members, or undefined when absent. */
export function parseGroupEntry(line: string): { gid: number; members: string[] } | undefined {
  const f = line.trim().split(':');
  if (f.length < 3) return undefined;
  return { gid: Number(f[2]), members: f[3] ? f[3].split(',').filter(Boolean) : [] };
}

export function planGroup(a: Args, cur: { gid: number } | undefined): Sh | undefined {
  if (a.state === 'absent') return cur ? words('groupdel', a.force && '-f', a.name) : undefined;
  const gid = a.gid !== undefined ? ['-g', String(a.gid), ...(a.non_unique ? ['-o'] : [])] : [];
  if (!cur) return words('groupadd', gid, a.system && '-r', a.name);
  if (a.gid !== undefined && cur.gid !== a.gid) return words('groupmod', gid, a.name);
  return undefined;
}

export const group: ModuleDef<Args> = {
  name: 'group',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const pr = await ctx.run(sh`getent group ${a.name}`);
    // getent exits 2 for "not found"; anything else is a real failure
    if (pr.code !== 0 && pr.code !== 2) return { changed: false, failed: true, rc: pr.code, msg: `getent group ${a.name} failed: ${pr.stderr.trim()}` };
    const cur = pr.code === 0 ? parseGroupEntry(pr.stdout) : undefined;
    const cmd = planGroup(a, cur);
    const result: ModuleResult = { changed: !!cmd, name: a.name, state: a.state, system: a.system };
    if (cur) result.gid = cur.gid;
    if (!cmd || ctx.check) return { ...result, gid: a.gid ?? cur?.gid };
    const r = await ctx.run(sh`${raw(cmd)}; rc=$?; getent group ${a.name}; exit $rc`);
    if (r.code !== 0) return { ...result, changed: false, failed: true, rc: r.code, cmd, stderr: r.stderr, msg: `${cmd.split(' ')[0]} failed: ${r.stderr.trim() || `exit ${r.code}`}` };
    const after = parseGroupEntry(r.stdout);
    return { ...result, gid: after?.gid };
  },
};
