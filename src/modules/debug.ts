/** debug: show a message or a variable; skipped below its verbosity threshold. */
import { z } from 'zod';
import { int, str, lazySchema } from './lib/args.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z
  .object({ msg: z.unknown().optional(), var: str().optional(), verbosity: int().default(0) })
  .strict()
  .refine((a) => !(a.msg !== undefined && a.var !== undefined), { path: ['var'], message: 'msg and var are mutually exclusive' }));

export type DebugArgs = z.infer<ReturnType<typeof schema>>;

export const debug: ModuleDef<DebugArgs> = {
  name: 'debug',
  get schema() {
    return schema();
  },
  checkMode: true,
  controller: true,
  async run(ctx, a) {
    const verbosity = Number(ctx.vars.ansible_verbosity ?? 0);
    if (verbosity < a.verbosity) return { changed: false, skipped: true, skipped_reason: 'Verbosity threshold not met.' };
    if (a.var === undefined) return { changed: false, msg: (a.msg ?? 'Hello world!') as string };
    let value: unknown;
    try {
      value = ctx.evaluate(a.var);
    } catch {
      value = undefined;
    }
    return { changed: false, [a.var]: value === undefined ? 'VARIABLE IS NOT DEFINED!' : value };
  },
};
