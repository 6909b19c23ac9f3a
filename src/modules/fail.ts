/** fail: fail the host with a message. */
import { z } from 'zod';
import type { ModuleDef } from './types.js';
import { lazySchema } from './lib/args.js';

const schema = lazySchema(() => z.object({ msg: z.unknown().optional() }).strict());

export type FailArgs = z.infer<ReturnType<typeof schema>>;

export const failModule: ModuleDef<FailArgs> = {
  name: 'fail',
  get schema() {
    return schema();
  },
  checkMode: true,
  controller: true,
  async run(_ctx, a) {
    return { changed: false, failed: true, msg: (a.msg ?? 'Failed as requested from task') as string };
  },
};
