/** pause: wait some seconds or minutes on the controller. No prompt: harun runs non-interactively. */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { bool, num, str, lazySchema } from './lib/args.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z
  .object({ seconds: num().optional(), minutes: num().optional(), prompt: str().optional(), echo: bool().default(true) })
  .strict()
  .superRefine((a, c) => {
    if (a.seconds !== undefined && a.minutes !== undefined) c.addIssue({ code: 'custom', path: ['minutes'], message: 'seconds and minutes are mutually exclusive' });
    if (a.seconds === undefined && a.minutes === undefined) {
      c.addIssue({
        code: 'custom',
        path: a.prompt === undefined ? ['seconds'] : ['prompt'],
        message: 'harun does not read answers from a terminal (it runs non-interactively): give seconds or minutes',
      });
    }
    for (const k of ['seconds', 'minutes'] as const) if ((a[k] ?? 0) < 0) c.addIssue({ code: 'custom', path: [k], message: `${k} must be >= 0` });
  }));

export type PauseArgs = z.infer<ReturnType<typeof schema>>;

export const pause: ModuleDef<PauseArgs> = {
  name: 'pause',
  get schema() {
    return schema();
  },
  checkMode: true,
  controller: true,
  async run(ctx, a) {
    const ms = a.seconds !== undefined ? a.seconds * 1000 : a.minutes! * 60000;
    const start = new Date();
    if (a.prompt) ctx.log(1, a.prompt);
    try {
      await sleep(ms, undefined, { signal: ctx.signal });
    } catch {
      return { changed: false, failed: true, msg: 'pause interrupted' };
    }
    const stop = new Date();
    return {
      changed: false,
      start: start.toISOString(),
      stop: stop.toISOString(),
      delta: Math.round((stop.getTime() - start.getTime()) / 1000),
      echo: a.echo,
      user_input: '',
    };
  },
};
