/**
 * wait_for_connection: wait until the host can be logged in to and runs a command again (after a
 * reboot, a network change, a host being created). As Ansible's action plugin does: after `delay`,
 * each try drops the connection, logs in anew (bounded by connect_timeout) and runs a command
 * (Ansible's ping module; here `true`: no Python needed), every `sleep` seconds until `timeout`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { int, lazySchema } from './lib/args.js';
import type { ModuleContext, ModuleDef } from './types.js';

const schema = lazySchema(() => z
  .object({
    connect_timeout: int().default(5),
    delay: int().default(0),
    sleep: int().default(1),
    timeout: int().default(600),
  })
  .strict());
type Args = z.infer<ReturnType<typeof schema>>;

/** Wait ms, or less when the run is interrupted. */
export const pause = (ms: number, signal: AbortSignal) => sleep(ms, undefined, { signal }).catch(() => undefined);

/**
 * Log in anew and run `test` until it exits 0 or `timeoutSec` passes; the error of the last try
 * when it never did. Shared with reboot.
 */
export async function untilConnected(ctx: ModuleContext, o: { connectTimeout: number; sleep: number; timeoutSec: number; test: string }): Promise<string | undefined> {
  const deadline = Date.now() + o.timeoutSec * 1000;
  let last = 'no attempt was made';
  for (;;) {
    try {
      await ctx.reconnect(o.connectTimeout);
      const r = await ctx.run(sh`${raw(o.test)}`, { timeoutMs: o.connectTimeout * 1000 });
      if (r.code === 0) return undefined;
      last = `${o.test} exited ${r.code ?? r.signal}: ${r.stderr.trim()}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (ctx.signal.aborted) return 'interrupted';
    if (Date.now() + o.sleep * 1000 >= deadline) return last;
    await pause(o.sleep * 1000, ctx.signal);
  }
}

export const waitForConnection: ModuleDef<Args> = {
  name: 'wait_for_connection',
  get schema() {
    return schema();
  },
  checkMode: true,
  reconnects: true,
  async run(ctx, a) {
    const start = Date.now();
    if (a.delay > 0) await pause(a.delay * 1000, ctx.signal);
    const err = await untilConnected(ctx, { connectTimeout: a.connect_timeout, sleep: a.sleep, timeoutSec: a.timeout, test: 'true' });
    const elapsed = Math.round((Date.now() - start) / 1000);
    if (err) return { changed: false, failed: true, elapsed, msg: `timed out waiting for ping module test: ${err}` };
    return { changed: false, elapsed };
  },
};
