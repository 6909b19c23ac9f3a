/**
 * assert: every expression in `that` must be true. The engine must hand `that` over
 * unrendered: each item is a bare Jinja2 expression, evaluated here.
 */
import { z } from 'zod';
import { bool, withAliases, lazySchema } from './lib/args.js';
import type { ModuleDef } from './types.js';

const expr = z.union([z.string(), z.boolean()], { error: 'expected an expression or a list of expressions' });

const schema = lazySchema(() => withAliases(
  { msg: 'fail_msg' },
  z
    .object({
      that: z.union([expr, z.array(expr)], { error: 'expected an expression or a list of expressions' }),
      fail_msg: z.unknown().optional(),
      success_msg: z.unknown().optional(),
      quiet: bool().default(false),
    })
    .strict(),
));

export type AssertArgs = z.infer<ReturnType<typeof schema>>;

/** Jinja2's truthiness. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return !!v;
}

export const assertModule: ModuleDef<AssertArgs> = {
  name: 'assert',
  get schema() {
    return schema();
  },
  checkMode: true,
  controller: true,
  async run(ctx, a) {
    const list = Array.isArray(a.that) ? a.that : [a.that];
    for (const that of list) {
      let ok: boolean;
      try {
        ok = typeof that === 'boolean' ? that : truthy(ctx.evaluate(that));
      } catch (e) {
        return { changed: false, failed: true, assertion: that, msg: `The conditional check '${that}' failed. The error was: ${(e as Error).message}` };
      }
      if (!ok) return { changed: false, failed: true, assertion: that, evaluated_to: false, msg: (a.fail_msg ?? 'Assertion failed') as string };
    }
    return { changed: false, msg: a.quiet ? undefined : ((a.success_msg ?? 'All assertions passed') as string) };
  },
};
