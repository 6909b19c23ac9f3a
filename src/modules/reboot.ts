/**
 * reboot: restart the host and wait until it is back, as Ansible's reboot action does: read the
 * boot id, run the shutdown command (the connection may drop under it), wait post_reboot_delay,
 * then log in anew until the boot id differs and until test_command succeeds, each within
 * reboot_timeout. No Python on the host.
 */
import { z } from 'zod';
import { quote, raw, sh } from '../shell/sh.js';
import { int, lazySchema, str, strList } from './lib/args.js';
import { pause, untilConnected } from './wait_for_connection.js';
import type { ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => z
  .object({
    pre_reboot_delay: int().default(0),
    post_reboot_delay: int().default(0),
    reboot_timeout: int().default(600),
    connect_timeout: int().optional(),
    test_command: str().default('whoami'),
    msg: str().default('Reboot initiated by Ansible'),
    search_paths: strList().default(['/sbin', '/bin', '/usr/sbin', '/usr/bin', '/usr/local/sbin']),
    boot_time_command: str().default('cat /proc/sys/kernel/random/boot_id'),
    reboot_command: str().optional(),
  })
  .strict());
type Args = z.infer<ReturnType<typeof schema>>;

/** Connect timeout of the waits when the task gives none: short tries, as Ansible's. */
const DEFAULT_CONNECT_TIMEOUT = 10;

const NOT_FOUND = 'harun-reboot-command-not-found';

/** The shutdown command line: reboot_command's program (searched in search_paths) and arguments. */
function shutdownCmd(a: Args) {
  const [bin, args] = a.reboot_command !== undefined
    ? [a.reboot_command.split(' ')[0], a.reboot_command.includes(' ') ? a.reboot_command.slice(a.reboot_command.indexOf(' ') + 1) : '']
    : ['shutdown', `-r ${Math.floor(Math.max(0, a.pre_reboot_delay) / 60)} ${quote(a.msg)}`];
  const notFound = `Unable to find command "${bin}" in search paths: [${a.search_paths.map((p) => `'${p}'`).join(', ')}]`;
  const find = bin.startsWith('/')
    ? sh`p=${bin}; `
    : sh`p=; for d in ${raw(a.search_paths.map((d) => quote(d)).join(' '))}; do if [ -x "$d/"${bin} ]; then p="$d/"${bin}; break; fi; done; [ -n "$p" ] || { echo ${NOT_FOUND} >&2; exit 3; }; `;
  return { cmd: sh`${raw(find)}"$p" ${raw(args)}`, notFound };
}

export const reboot: ModuleDef<Args> = {
  name: 'reboot',
  get schema() {
    return schema();
  },
  checkMode: true,
  reconnects: true,
  async run(ctx, a): Promise<ModuleResult> {
    if (ctx.vars.ansible_connection === 'local') {
      return { changed: false, elapsed: 0, rebooted: false, failed: true, msg: 'Running reboot with local connection would reboot the control node.' };
    }
    if (ctx.check) return { changed: true, elapsed: 0, rebooted: true };
    const boot = await ctx.run(sh`${raw(a.boot_time_command)}`);
    if (boot.code !== 0) {
      return { changed: false, failed: true, reboot: false, msg: `reboot: failed to get host boot time info, rc: ${boot.code}, stdout: ${boot.stdout}, stderr: ${boot.stderr}` };
    }
    const before = boot.stdout.trim();
    const { cmd, notFound } = shutdownCmd(a);
    const start = Date.now();
    const elapsed = () => Math.floor((Date.now() - start) / 1000);
    let r;
    try {
      r = await ctx.run(cmd, { timeoutMs: 60_000 });
    } catch {
      r = undefined; // the connection went down under the command: the reboot began
    }
    if (r?.stderr.includes(NOT_FOUND)) return { changed: false, failed: true, msg: notFound };
    if (r && r.code !== 0 && r.code !== null) {
      return { changed: false, failed: true, rebooted: false, elapsed: elapsed(), msg: `Reboot command failed. Error was: '${r.stdout.trim()}, ${r.stderr.trim()}'` };
    }
    if (a.post_reboot_delay > 0) await pause(a.post_reboot_delay * 1000, ctx.signal);
    const wait = { connectTimeout: a.connect_timeout ?? DEFAULT_CONNECT_TIMEOUT, sleep: 1, timeoutSec: a.reboot_timeout };
    // a boot id that is empty or the old one: not rebooted yet
    const booted = `b=$(${a.boot_time_command}) && [ -n "$b" ] && [ "$b" != ${quote(before)} ]`;
    if (await untilConnected(ctx, { ...wait, test: booted })) {
      return { changed: false, failed: true, rebooted: true, elapsed: elapsed(), msg: `Timed out waiting for last boot time check (timeout=${a.reboot_timeout})` };
    }
    if (await untilConnected(ctx, { ...wait, test: a.test_command })) {
      return { changed: false, failed: true, rebooted: true, elapsed: elapsed(), msg: `Timed out waiting for post-reboot test command (timeout=${a.reboot_timeout})` };
    }
    return { changed: true, rebooted: true, elapsed: elapsed() };
  },
};
