import { z } from 'zod';
import { joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, str, withAliases, lazySchema } from './lib/args.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';

export const STATES = ['started', 'stopped', 'restarted', 'reloaded'] as const;

const schema = lazySchema(() => withAliases(
  { service: 'name', unit: 'name', 'daemon-reload': 'daemon_reload', 'daemon-reexec': 'daemon_reexec' },
  z
    .object({
      name: str().optional(),
      state: z.enum(STATES).optional(),
      enabled: bool().optional(),
      masked: bool().optional(),
      daemon_reload: bool().default(false),
      daemon_reexec: bool().default(false),
      scope: z.enum(['system', 'user', 'global']).default('system'),
      no_block: bool().default(false),
      force: bool().optional(),
    })
    .strict()
    .refine((a) => a.name !== undefined || (a.state === undefined && a.enabled === undefined && a.masked === undefined), {
      path: ['name'],
      message: 'name is required with state, enabled or masked',
    }),
));
export type SystemdArgs = z.infer<ReturnType<typeof schema>>;

export interface UnitState {
  load: string;
  active: string;
  unitFile: string;
  isEnabled: string;
}

export function parseUnitState(out: string): UnitState {
  const v = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(out)?.[1]?.trim() ?? '';
  return { load: v('LoadState'), active: v('ActiveState'), unitFile: v('UnitFileState'), isEnabled: v('is_enabled') };
}

// `systemctl is-enabled` exits 0 for these: Ansible counts them all as enabled
const ENABLED = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'transient']);

/** The systemctl verbs that bring the unit where the arguments want it; [] means ok. */
export function planSystemd(a: SystemdArgs, u: UnitState): string[] {
  const verbs: string[] = [];
  const masked = u.unitFile === 'masked' || u.isEnabled === 'masked' || u.load === 'masked';
  if (a.masked === true && !masked) verbs.push('mask');
  if (a.masked === false && masked) verbs.push('unmask');
  if (a.enabled !== undefined) {
    const on = ENABLED.has(u.isEnabled);
    if (a.enabled && !on) verbs.push('enable');
    if (!a.enabled && on && u.isEnabled !== 'static') verbs.push('disable');
  }
  const running = ['active', 'activating', 'reloading'].includes(u.active);
  if (a.state === 'started' && !running) verbs.push('start');
  if (a.state === 'stopped' && running) verbs.push('stop');
  if (a.state === 'restarted') verbs.push('restart');
  if (a.state === 'reloaded') verbs.push(running ? 'reload' : 'start');
  return verbs;
}

export async function runSystemd(ctx: ModuleContext, a: SystemdArgs): Promise<ModuleResult> {
  // the systemctl word with its scope flag, e.g. `systemctl --user`
  const ctl = raw(a.scope === 'system' ? 'systemctl' : `systemctl --${a.scope}`);
  const before: Sh[] = [];
  if (a.daemon_reexec && !ctx.check) before.push(sh`${ctl} daemon-reexec`);
  if (a.daemon_reload && !ctx.check) before.push(sh`${ctl} daemon-reload`);
  if (a.name === undefined) {
    if (!before.length) return { changed: false };
    const r = await ctx.run(joinSh(before, ' && '));
    if (r.code !== 0) return { changed: false, failed: true, rc: r.code, stderr: r.stderr, msg: `systemctl daemon-reload failed: ${r.stderr.trim()}` };
    return { changed: false };
  }
  const show = sh`${ctl} show ${a.name} -p LoadState -p ActiveState -p SubState -p UnitFileState --no-pager; echo "is_enabled=$(${ctl} is-enabled ${a.name} 2>/dev/null)"`;
  const pr = await ctx.run(joinSh([...before, show], ' && '));
  if (pr.code !== 0) return { changed: false, failed: true, rc: pr.code, stderr: pr.stderr, msg: `systemctl failed: ${pr.stderr.trim() || `exit ${pr.code}`}` };
  const u = parseUnitState(pr.stdout);
  const status = { ActiveState: u.active, LoadState: u.load, UnitFileState: u.unitFile };
  if (u.load === 'not-found' && (a.state !== undefined || a.enabled !== undefined) && a.masked !== true) {
    // stopping or disabling a unit that does not exist is already true
    if (a.state !== 'stopped' || a.enabled === true) {
      return { changed: false, failed: true, msg: `Could not find the requested service ${a.name}: host`, status };
    }
    return { changed: false, name: a.name, status };
  }
  const verbs = planSystemd(a, u);
  const result: ModuleResult = { changed: verbs.length > 0, name: a.name, state: a.state, enabled: a.enabled, status };
  if (!verbs.length || ctx.check) return result;
  const opts = raw((a.no_block ? ' --no-block' : '') + (a.force ? ' --force' : ''));
  const cmd = joinSh(verbs.map((v) => sh`${ctl}${opts} ${v} ${a.name}`), ' && ');
  const r = await ctx.run(cmd);
  if (r.code !== 0) {
    return { changed: false, failed: true, rc: r.code, stderr: r.stderr, cmd, msg: `Unable to ${verbs.join('/')} service ${a.name}: ${r.stderr.trim() || `exit ${r.code}`}` };
  }
  return result;
}

export const systemd: ModuleDef<SystemdArgs> = {
  name: 'systemd',
  get schema() {
    return schema();
  },
  checkMode: true,
  run: runSystemd,
};
