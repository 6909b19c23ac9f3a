import { z } from 'zod';
import { joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, int, str, strList, withAliases, lazySchema } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => withAliases(
  {
    package: 'name', pkg: 'name', 'update-cache': 'update_cache', 'install-recommends': 'install_recommends',
    'default-release': 'default_release', 'allow-unauthenticated': 'allow_unauthenticated', 'autoremove': 'autoremove',
    'allow-downgrade': 'allow_downgrade', allow_downgrades: 'allow_downgrade', 'allow-downgrades': 'allow_downgrade',
  },
  z
    .object({
      name: strList().default([]),
      state: z.enum(['present', 'installed', 'absent', 'removed', 'latest', 'fixed']).default('present'),
      update_cache: bool().default(false),
      cache_valid_time: int().default(0),
      install_recommends: bool().optional(),
      deb: str().optional(),
      purge: bool().default(false),
      autoremove: bool().default(false),
      default_release: str().optional(),
      allow_unauthenticated: bool().default(false),
      only_upgrade: bool().default(false),
      force: bool().default(false),
      dpkg_options: str().default('force-confdef,force-confold'),
      lock_timeout: int().default(120),
      allow_downgrade: bool().default(false),
      allow_change_held_packages: bool().default(false),
      // the exit code /usr/sbin/policy-rc.d gives during the transaction (101: no service starts)
      policy_rc_d: int().optional(),
    })
    .strict()
    .refine((a) => !a.deb || a.state === 'present' || a.state === 'installed', { path: ['deb'], message: 'deb installs a package: use it with state=present' }),
));
export type AptArgs = z.infer<ReturnType<typeof schema>>;

export interface DpkgState {
  /** package name -> installed version (only packages dpkg reports as installed) */
  installed: Map<string, string>;
  /** package name -> candidate version from apt-cache policy (latest only) */
  candidate: Map<string, string>;
  /** name and version inside the .deb file (deb only) */
  deb?: { name: string; version: string };
  cacheUpdated: boolean;
}

/** `name=1.2*` or `name:amd64` -> the name dpkg knows, and the wanted version pattern. */
export function splitSpec(spec: string): { name: string; version?: string } {
  const i = spec.indexOf('=');
  const name = (i < 0 ? spec : spec.slice(0, i)).replace(/:[a-z0-9]+$/, '');
  return { name, version: i < 0 ? undefined : spec.slice(i + 1) };
}

const versionOk = (have: string, want?: string) =>
  want === undefined || (want.endsWith('*') ? have.startsWith(want.slice(0, -1)) : have === want);

/** What one apt transaction must do: pure, from the probe's state. */
export function planApt(a: Pick<AptArgs, 'name' | 'state' | 'only_upgrade'>, s: DpkgState): { install: string[]; remove: string[] } {
  const install: string[] = [];
  const remove: string[] = [];
  for (const spec of a.name) {
    const { name, version } = splitSpec(spec);
    const have = s.installed.get(name);
    if (a.state === 'absent' || a.state === 'removed') {
      if (have !== undefined) remove.push(name);
    } else if (a.state === 'latest') {
      if (have === undefined ? !a.only_upgrade : s.candidate.has(name) && s.candidate.get(name) !== have) install.push(spec);
    } else if (a.state !== 'fixed' && (have === undefined || !versionOk(have, version))) install.push(spec);
  }
  return { install, remove };
}

/** dpkg-query and apt-cache policy output into DpkgState. */
export function parseAptProbe(out: string): DpkgState {
  const s: DpkgState = { installed: new Map(), candidate: new Map(), cacheUpdated: false };
  let section = '';
  let current = '';
  for (const line of out.split('\n')) {
    if (line.startsWith('@@')) {
      section = line.slice(2);
      if (section === 'updated') s.cacheUpdated = true;
      continue;
    }
    if (section === 'dpkg') {
      const [name, status, version] = line.split('\t');
      // "ii " is installed; "un", "rc" (config files only) and half-installed states are not
      if (name && status?.[1] === 'i') s.installed.set(name.replace(/:[a-z0-9]+$/, ''), version);
    } else if (section === 'policy') {
      const head = /^(\S+):$/.exec(line);
      if (head) current = head[1].replace(/:[a-z0-9]+$/, '');
      const cand = /^\s+Candidate: (\S+)/.exec(line);
      if (cand && current && cand[1] !== '(none)') s.candidate.set(current, cand[1]);
    } else if (section === 'deb') {
      const [name, version] = line.split('\t');
      if (name) s.deb = { name, version };
    }
  }
  return s;
}

const ENV = sh`export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a APT_LISTCHANGES_FRONTEND=none; `;

/** The probe: maybe refresh a stale cache, then ask dpkg (and apt-cache for latest) in one exec. */
export function aptProbeCmd(a: AptArgs, check: boolean): Sh {
  const names = a.name.map((n) => splitSpec(n).name);
  const cmd = [ENV];
  if (a.update_cache && !check) {
    cmd.push(
      sh`s=$(stat -c %Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || stat -c %Y /var/lib/apt/lists 2>/dev/null || echo 0); `,
      sh`if [ $(( $(date +%s) - s )) -ge ${String(a.cache_valid_time)} ] || [ ${String(a.cache_valid_time)} = 0 ]; then `,
      sh`apt-get update -q -o DPkg::Lock::Timeout=${String(a.lock_timeout)} 1>&2 || exit 100; echo @@updated; fi; `,
    );
  }
  if (names.length) cmd.push(sh`echo @@dpkg; dpkg-query -W -f='$${raw("{Package}\\t${db:Status-Abbrev}\\t${Version}\\n")}' -- ${names} 2>/dev/null; `);
  if (a.state === 'latest' && names.length) cmd.push(sh`echo @@policy; LC_ALL=C apt-cache policy -- ${names} 2>/dev/null; `);
  if (a.deb) cmd.push(sh`echo @@deb; dpkg-deb -W --showformat='$${raw("{Package}\\t${Version}\\n")}' -- ${a.deb} || exit 101; echo @@dpkg; dpkg-query -W -f='$${raw("{Package}\\t${db:Status-Abbrev}\\t${Version}\\n")}' -- "$(dpkg-deb -f -- ${a.deb} Package)" 2>/dev/null; `);
  return joinSh([...cmd, sh`true`], '');
}

/** One apt-get transaction for every package of the task, non-interactive, lock waited for. */
export function aptCommand(a: AptArgs, p: { install: string[]; remove: string[] }): Sh {
  const opts = [
    '-y', '-q', `-o`, `DPkg::Lock::Timeout=${a.lock_timeout}`,
    ...a.dpkg_options.split(',').filter(Boolean).flatMap((o) => ['-o', `Dpkg::Options::=--${o}`]),
  ];
  if (a.install_recommends === true) opts.push('--install-recommends');
  if (a.install_recommends === false) opts.push('--no-install-recommends');
  if (a.default_release) opts.push('-t', a.default_release);
  if (a.allow_unauthenticated || a.force) opts.push('--allow-unauthenticated');
  if (a.force) opts.push('--allow-downgrades', '--allow-remove-essential', '--allow-change-held-packages');
  else {
    if (a.allow_downgrade) opts.push('--allow-downgrades');
    if (a.allow_change_held_packages) opts.push('--allow-change-held-packages');
  }
  if (a.autoremove) opts.push('--auto-remove');
  if (p.remove.length) return withPolicyRcD(a, joinSh([ENV, sh`apt-get ${opts} ${a.purge ? 'purge' : 'remove'} -- ${p.remove}`], ''));
  if (a.only_upgrade) opts.push('--only-upgrade');
  return withPolicyRcD(a, joinSh([ENV, sh`apt-get ${opts} install -- ${p.install}`], ''));
}

/**
 * As Ansible's apt does with policy_rc_d: a /usr/sbin/policy-rc.d that exits with that code for
 * the transaction (an existing one is kept aside and put back), whatever apt-get's outcome.
 */
export function withPolicyRcD(a: Pick<AptArgs, 'policy_rc_d'>, cmd: Sh): Sh {
  if (a.policy_rc_d === undefined) return cmd;
  const f = '/usr/sbin/policy-rc.d';
  return joinSh([
    sh`if [ -e ${f} ]; then mv -f ${f} ${f}.harun-keep; fi; printf '#!/bin/sh\\nexit %d\\n' ${String(a.policy_rc_d)} > ${f} && chmod 0755 ${f} || exit 1; `,
    sh`( ${raw(cmd)} ); r=$?; `,
    sh`rm -f ${f}; if [ -e ${f}.harun-keep ]; then mv -f ${f}.harun-keep ${f}; fi; exit $r`,
  ], '');
}

export const apt: ModuleDef<AptArgs> = {
  name: 'apt',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const pr = await ctx.run(aptProbeCmd(a, ctx.check));
    if (pr.code === 100) return { changed: false, failed: true, msg: `apt-get update failed: ${pr.stderr.trim().split('\n').slice(-3).join(' | ')}`, rc: 100, stderr: pr.stderr };
    if (pr.code === 101) return { changed: false, failed: true, msg: `cannot read the package file ${a.deb}: ${pr.stderr.trim()}`, stderr: pr.stderr };
    const s = parseAptProbe(pr.stdout);
    const plan = planApt(a, s);
    if (a.deb && s.deb && s.installed.get(s.deb.name) !== s.deb.version) plan.install.push(a.deb);
    const fixed = a.state === 'fixed';
    const base: ModuleResult = { changed: s.cacheUpdated, cache_updated: s.cacheUpdated, packages: [...plan.install, ...plan.remove] };
    if (!fixed && !plan.install.length && !plan.remove.length) {
      // update_cache alone reports the refresh, as Ansible does; with packages only they count
      return { ...base, changed: a.name.length || a.deb ? false : s.cacheUpdated };
    }
    if (ctx.check) return { ...base, changed: true };
    const cmd = fixed ? withPolicyRcD(a, joinSh([ENV, sh`apt-get -y -q -o DPkg::Lock::Timeout=${String(a.lock_timeout)} -f install`], '')) : aptCommand(a, plan);
    const r = await ctx.run(cmd);
    if (r.code !== 0) {
      return { ...base, changed: false, failed: true, rc: r.code, stdout: r.stdout, stderr: r.stderr, msg: `apt-get failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${r.code}`}`, cmd };
    }
    const changed = fixed ? !/0 upgraded, 0 newly installed, 0 to remove/.test(r.stdout) : true;
    return { ...base, changed, rc: 0, stdout: r.stdout, stderr: r.stderr };
  },
};
