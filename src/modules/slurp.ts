/** slurp: a remote file's content, base64-encoded, in one read-only exec (no Python needed). */
import { z } from 'zod';
import { sh } from '../shell/sh.js';
import { lazySchema, str, withAliases } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => withAliases({ path: 'src' }, z.object({ src: str() }).strict()));
type Args = z.infer<ReturnType<typeof schema>>;

export const slurp: ModuleDef<Args> = {
  name: 'slurp',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    // Ansible's messages for what stops the read; exit codes tell them apart
    const r = await ctx.run(sh`f=${a.src}; if [ -d "$f" ]; then exit 21; elif [ ! -e "$f" ]; then exit 22; elif [ ! -r "$f" ]; then exit 23; fi; cat -- "$f"`);
    const why: Record<number, string> = { 21: 'source is a directory and must be a file', 22: 'file not found', 23: 'file is not readable' };
    if (r.code !== 0) return { changed: false, failed: true, msg: `${why[r.code ?? -1] ?? `cannot read: ${r.stderr.trim()}`}: ${a.src}` };
    const data = r.stdoutBuf ?? Buffer.from(r.stdout);
    return { changed: false, content: data.toString('base64'), encoding: 'base64', source: a.src };
  },
};
