import { z } from 'zod';
import { joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, str, strList, withAliases, lazySchema } from './lib/args.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';

export const rpmSchema = lazySchema(() => withAliases(
  { pkg: 'name', 'update-cache': 'update_cache', expire_cache: 'update_cache' },
  z
    .object({
      name: strList().default([]),
      state: z.enum(['present', 'installed', 'absent', 'removed', 'latest']).default('present'),
      update_cache: bool().default(false),
      enablerepo: strList().optional(),
      disablerepo: strList().optional(),
      disable_gpg_check: bool().default(false),
      install_weak_deps: bool().optional(),
      update_only: bool().default(false),
      autoremove: bool().default(false),
      exclude: strList().optional(),
      releasever: str().optional(),
      lock_timeout: z.union([z.number(), str()]).optional(),
    })
    .strict(),
));
export type RpmArgs = z.infer<ReturnType<typeof rpmSchema>>;

/**
 * Names rpm cannot answer for (groups, files, URLs, provides like /usr/bin/x): always handed
 * to the package manager, which reports whether it did anything.
 */
export const opaque = (n: string) => n.startsWith('@') || n.includes('/') || n.endsWith('.rpm');

export interface RpmState {
  installed: Set<string>;
  /** names (without .arch) that check-update lists */
  updates: Set<string>;
}

/** One probe: `rpm -q` per name, and check-update for latest (exit 100 means updates exist). */
export function rpmProbeCmd(bin: 'yum' | 'dnf', a: RpmArgs): Sh {
  const names = a.name.filter((n) => !opaque(n));
  const cmd = [sh`for p in ${names}; do if rpm -q --quiet -- "$p"; then echo "i $p"; else echo "m $p"; fi; done; `];
  if (a.state === 'latest' && names.length) {
    const refresh = raw(a.update_cache && bin === 'dnf' ? ' --refresh' : '');
    cmd.push(sh`echo @@updates; ${bin} -q${refresh} check-update -- ${names}; rc=$?; [ $rc = 100 ] || [ $rc = 0 ] || exit $rc; `);
  }
  return joinSh([...cmd, sh`true`], '');
}

export function parseRpmProbe(out: string): RpmState {
  const s: RpmState = { installed: new Set(), updates: new Set() };
  let updates = false;
  for (const line of out.split('\n')) {
    if (line === '@@updates') updates = true;
    else if (!updates && line.startsWith('i ')) s.installed.add(line.slice(2));
    else if (updates) {
      const m = /^(\S+)\.[a-z0-9_]+\s+\S+\s+\S+/.exec(line);
      if (m) s.updates.add(m[1]);
    }
  }
  return s;
}

/** install / upgrade / remove lists: one transaction each, at most install+upgrade for latest. */
export function planRpm(a: RpmArgs, s: RpmState): { install: string[]; upgrade: string[]; remove: string[] } {
  const install: string[] = [];
  const upgrade: string[] = [];
  const remove: string[] = [];
  for (const n of a.name) {
    const known = opaque(n) ? undefined : s.installed.has(n);
    if (a.state === 'absent' || a.state === 'removed') {
      if (known !== false) remove.push(n);
    } else if (a.state === 'latest') {
      if (known === false) {
        if (!a.update_only) install.push(n);
      } else if (known === undefined || s.updates.has(n.replace(/-[\d.:]+.*$/, ''))) upgrade.push(n);
    } else if (known !== true) install.push(n);
  }
  return { install, upgrade, remove };
}

export function rpmCommand(bin: 'yum' | 'dnf', a: RpmArgs, p: ReturnType<typeof planRpm>): Sh {
  const opts = ['-y'];
  if (a.update_cache && bin === 'dnf') opts.push('--refresh');
  for (const r of a.enablerepo ?? []) opts.push(`--enablerepo=${r}`);
  for (const r of a.disablerepo ?? []) opts.push(`--disablerepo=${r}`);
  for (const x of a.exclude ?? []) opts.push(`--exclude=${x}`);
  if (a.disable_gpg_check) opts.push('--nogpgcheck');
  if (a.releasever) opts.push(`--releasever=${a.releasever}`);
  if (a.install_weak_deps !== undefined && bin === 'dnf') opts.push(`--setopt=install_weak_deps=${a.install_weak_deps}`);
  const steps: Sh[] = [];
  if (a.update_cache && bin === 'yum') steps.push(sh`yum -q makecache`);
  if (p.remove.length) steps.push(sh`${bin} ${opts} remove -- ${p.remove}`);
  if (p.install.length) steps.push(sh`${bin} ${opts} install -- ${p.install}`);
  if (p.upgrade.length) steps.push(sh`${bin} ${opts} ${bin === 'yum' ? 'update' : 'upgrade'} -- ${p.upgrade}`);
  if (a.autoremove && bin === 'dnf') steps.push(sh`dnf ${opts} autoremove`);
  return joinSh(steps, ' && ');
}

export async function runRpm(bin: 'yum' | 'dnf', ctx: ModuleContext, a: RpmArgs): Promise<ModuleResult> {
  const pr = await ctx.run(rpmProbeCmd(bin, a));
  if (pr.code !== 0) return { changed: false, failed: true, rc: pr.code, stderr: pr.stderr, msg: `${bin} probe failed: ${pr.stderr.trim() || `exit ${pr.code}`}` };
  const p = planRpm(a, parseRpmProbe(pr.stdout));
  const results = [...p.install, ...p.upgrade, ...p.remove];
  if (!results.length) return { changed: false, results: [] };
  if (ctx.check) return { changed: true, results };
  const cmd = rpmCommand(bin, a, p);
  const r = await ctx.run(cmd);
  if (r.code !== 0) {
    // yum exits 1 for "No package X available": say which
    const why = (r.stdout + r.stderr).split('\n').filter((l) => /No (package|match)|Error/i.test(l)).join(' | ');
    return { changed: false, failed: true, rc: r.code, stdout: r.stdout, stderr: r.stderr, cmd, msg: `${bin} failed: ${why || r.stderr.trim() || `exit ${r.code}`}` };
  }
  // opaque names only: trust the package manager's own "Nothing to do"
  const changed = !/Nothing to do/i.test(r.stdout) || p.install.concat(p.upgrade, p.remove).some((n) => !opaque(n));
  return { changed, results, rc: 0, stdout: r.stdout, stderr: r.stderr };
}

export const yum: ModuleDef<RpmArgs> = {
  name: 'yum',
  get schema() {
    return rpmSchema();
  },
  checkMode: true,
  run: (ctx, a) => runRpm('yum', ctx, a),
};
