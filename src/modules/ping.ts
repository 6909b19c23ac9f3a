/** ping: prove that the host runs a command (one round trip); no Python is involved. */
import { z } from 'zod';
import { sh } from '../shell/sh.js';
import { str, lazySchema } from './lib/args.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z.object({ data: str().default('pong') }).strict());

export type PingArgs = z.infer<ReturnType<typeof schema>>;

export const ping: ModuleDef<PingArgs> = {
  name: 'ping',
  get schema() {
    return schema();
  },
  freeForm: 'data',
  checkMode: true,
  async run(ctx, a) {
    if (a.data === 'crash') throw new Error('boom');
    const r = await ctx.run(sh`echo pong`);
    if (r.code !== 0 || r.stdout.trim() !== 'pong') {
      return { changed: false, failed: true, msg: `ping: the host did not answer pong (exit ${r.code}): ${r.stderr.trim()}`, rc: r.code };
    }
    return { changed: false, ping: a.data };
  },
};
