import { z } from 'zod';
import { joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, str, withAliases, lazySchema } from './lib/args.js';
import { runSystemd, STATES } from './systemd.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => withAliases(
  { args: 'arguments' },
  z
    .object({
      name: str().optional(),
      state: z.enum(STATES).optional(),
      enabled: bool().optional(),
      arguments: str().optional(),
      pattern: str().optional(),
      runlevel: str().optional(),
      sleep: z.union([z.number(), str()]).optional(),
      use: str().default('auto'),
      // systemd's own, which Ansible's service action hands to the systemd module
      daemon_reload: bool().default(false),
      daemon_reexec: bool().default(false),
      masked: bool().optional(),
      scope: z.enum(['system', 'user', 'global']).default('system'),
      no_block: bool().default(false),
      force: bool().optional(),
    })
    .strict()
    .refine((a) => a.name !== undefined || ((a.daemon_reload || a.daemon_reexec) && a.state === undefined && a.enabled === undefined && a.masked === undefined), {
      path: ['name'],
      message: 'name is required (only daemon_reload or daemon_reexec go without it)',
    }),
));
type Args = z.infer<ReturnType<typeof schema>>;
/** What the SysV path sees: a named service (only systemd goes without a name). */
export type Named = Args & { name: string };

/** What the SysV probe found: how to drive the script, and how to enable it. */
export interface SysvState {
  /** 'service' (the wrapper), 'initd' (/etc/init.d/NAME) or 'none' */
  control: 'service' | 'initd' | 'none';
  /** 'update-rc.d' (Debian), 'chkconfig' (RHEL) or 'none' */
  enabler: 'update-rc.d' | 'chkconfig' | 'none';
  running: boolean;
  enabled: boolean;
}

/**
 * One exec: is there a script, what runs it, its status (LSB: exit 0 = running; with pattern,
 * a matching process), and whether start links exist in the runlevels 2-5.
 */
export function sysvProbeCmd(a: Named): Sh {
  const status = a.pattern
    ? sh`pgrep -f -- ${a.pattern} >/dev/null 2>&1`
    : sh`if [ "$c" = service ]; then service ${a.name} status; else /etc/init.d/${raw(safe(a.name))} status; fi >/dev/null 2>&1`;
  return joinSh([
    sh`n=${a.name}; `,
    sh`if [ -x "/etc/init.d/$n" ] && command -v service >/dev/null 2>&1; then c=service; elif [ -x "/etc/init.d/$n" ]; then c=initd; else c=none; fi; echo "control=$c"; `,
    sh`if command -v update-rc.d >/dev/null 2>&1; then echo enabler=update-rc.d; elif command -v chkconfig >/dev/null 2>&1; then echo enabler=chkconfig; else echo enabler=none; fi; `,
    sh`if [ "$c" != none ] && ${raw(status)}; then echo running=1; else echo running=0; fi; `,
    // a glob that matches nothing stays as written, and then does not exist: no ls to run
    sh`e=0; for l in /etc/rc[2345].d/S*"$n" /etc/rc.d/rc[2345].d/S*"$n"; do [ -e "$l" ] && e=1; done; echo enabled=$e`,
  ], '');
}

const safe = (name: string) => {
  if (!/^[A-Za-z0-9@._+-]+$/.test(name)) throw new Error(`service name ${JSON.stringify(name)} is not a plain script name`);
  return name;
};

export function parseSysv(out: string): SysvState {
  const v = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(out)?.[1] ?? '';
  return {
    control: (v('control') || 'none') as SysvState['control'],
    enabler: (v('enabler') || 'none') as SysvState['enabler'],
    running: v('running') === '1',
    enabled: v('enabled') === '1',
  };
}

/** The commands for a host without systemd; [] means ok. */
export function planSysv(a: Named, s: SysvState): Sh[] {
  // arguments are the task's own text, passed to the shell as Ansible's service module does
  const ctl = (verb: string) =>
    s.control === 'service' ? sh`service ${a.name} ${verb}${raw(a.arguments ? ` ${a.arguments}` : '')}` : sh`/etc/init.d/${raw(safe(a.name))} ${verb}`;
  const cmds: Sh[] = [];
  if (a.enabled !== undefined && a.enabled !== s.enabled) {
    if (s.enabler === 'update-rc.d') cmds.push(a.enabled ? sh`update-rc.d ${a.name} defaults && update-rc.d ${a.name} enable` : sh`update-rc.d ${a.name} disable`);
    else if (s.enabler === 'chkconfig') cmds.push(a.enabled ? sh`chkconfig --add ${a.name} && chkconfig ${a.name} on` : sh`chkconfig ${a.name} off`);
    else throw new Error(`cannot ${a.enabled ? 'enable' : 'disable'} ${a.name}: neither systemd, update-rc.d nor chkconfig on this host`);
  }
  if (a.state === 'started' && !s.running) cmds.push(ctl('start'));
  if (a.state === 'stopped' && s.running) cmds.push(ctl('stop'));
  if (a.state === 'restarted') cmds.push(s.running ? ctl('restart') : ctl('start'));
  if (a.state === 'reloaded') cmds.push(s.running ? ctl('reload') : ctl('start'));
  return cmds;
}

async function runSysv(ctx: ModuleContext, a: Named): Promise<ModuleResult> {
  const s = parseSysv((await ctx.run(sysvProbeCmd(a))).stdout);
  if (s.control === 'none' && (a.state !== undefined || a.enabled !== undefined)) {
    if (a.state === 'stopped' && !a.enabled) return { changed: false, name: a.name, state: 'stopped' };
    return {
      changed: false,
      failed: true,
      msg: `cannot manage service ${a.name}: this host has no systemd (service manager is not systemd) and no /etc/init.d/${a.name} script`,
    };
  }
  let cmds: Sh[];
  try {
    cmds = planSysv(a, s);
  } catch (e) {
    return { changed: false, failed: true, msg: (e as Error).message };
  }
  const result: ModuleResult = { changed: cmds.length > 0, name: a.name, state: a.state, enabled: a.enabled ?? s.enabled };
  if (!cmds.length || ctx.check) return result;
  // init scripts often leave a daemon holding the channel's stdout open: detach it
  const cmd = joinSh([
    sh`o=$(mktemp)`,
    ...cmds.map((c) => sh`${raw(c)} </dev/null >"$o" 2>&1 || { r=$?; cat "$o" >&2; rm -f "$o"; exit $r; }`),
    sh`rm -f "$o"`,
  ], '; ');
  const r = await ctx.run(cmd);
  if (r.code !== 0) return { changed: false, failed: true, rc: r.code, stderr: r.stderr, msg: `service ${a.name} failed: ${r.stderr.trim() || `exit ${r.code}`}` };
  return result;
}

/** service: systemd where it is the init (facts' service_mgr or use:), else SysV scripts. */
export const service: ModuleDef<Args> = {
  name: 'service',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a) {
    const mgr = a.use === 'auto' ? String((await ctx.facts()).service_mgr ?? '') : a.use;
    const { name, state, enabled, masked, daemon_reload, daemon_reexec, scope, no_block, force } = a;
    if (mgr === 'systemd') return runSystemd(ctx, { name, state, enabled, masked, daemon_reload, daemon_reexec, scope, no_block, force });
    // as under Ansible, where the SysV service module has no such arguments
    const only = Object.entries({ daemon_reload, daemon_reexec, no_block, force }).filter(([, v]) => v === true).map(([k]) => k);
    if (masked !== undefined) only.push('masked');
    if (scope !== 'system') only.push('scope');
    if (only.length) return { changed: false, failed: true, msg: `service: ${only.join(', ')} work only under systemd, and this host's service manager is ${mgr || 'unknown'}` };
    return runSysv(ctx, { ...a, name: a.name! });
  },
};
