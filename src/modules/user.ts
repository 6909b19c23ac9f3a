import { z } from 'zod';
import { joinSh, raw, sh, words, type Sh } from '../shell/sh.js';
import { bool, int, str, strList, withAliases, lazySchema } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => withAliases(
  { createhome: 'create_home' },
  z
    .object({
      name: str(),
      state: z.enum(['present', 'absent']).default('present'),
      uid: int().optional(),
      group: str().optional(),
      groups: strList().optional(),
      append: bool().default(false),
      shell: str().optional(),
      home: str().optional(),
      system: bool().default(false),
      create_home: bool().default(true),
      move_home: bool().default(false),
      comment: str().optional(),
      password: str().optional(),
      update_password: z.enum(['always', 'on_create']).default('always'),
      password_lock: bool().optional(),
      password_expire_min: int().optional(),
      password_expire_max: int().optional(),
      remove: bool().default(false),
      force: bool().default(false),
      non_unique: bool().default(false),
    })
    .strict(),
));
export type UserArgs = z.infer<ReturnType<typeof schema>>;

export interface UserState {
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
  /** supplementary group names */
  groups: string[];
  /** the encrypted password field from shadow */
  password: string;
  /** shadow's minimum and maximum password age in days ('' when unset) */
  expireMin: string;
  expireMax: string;
  /** gid of the wanted primary group, when it exists */
  wantGid?: number;
}

/** Probe output: passwd line, @@groups, id -Gn, @@shadow, hash, @@group, getent group of `group`. */
export function parseUserProbe(out: string): UserState | undefined {
  const [passwd = '', groups = '', shadow = '', grp = ''] = out.split(/^@@\w+$/m).map((s) => s.trim());
  const f = passwd.split(':');
  if (f.length < 7) return undefined;
  const [hash = '', min = '', max = ''] = shadow.split(':');
  const primary = new Set<string>();
  const g = grp.split(':');
  const s: UserState = {
    uid: Number(f[2]), gid: Number(f[3]), comment: f[4], home: f[5], shell: f[6],
    groups: [], password: hash, expireMin: min, expireMax: max, wantGid: g.length >= 3 ? Number(g[2]) : undefined,
  };
  // id -Gn lists the primary group first
  const names = groups.split(/\s+/).filter(Boolean);
  if (names.length) primary.add(names[0]);
  s.groups = names.slice(1).filter((n) => !primary.has(n));
  return s;
}

/** useradd / usermod / userdel for the difference; undefined means ok. */
export function planUser(a: UserArgs, cur: UserState | undefined): Sh | undefined {
  if (a.state === 'absent') return cur ? words('userdel', a.remove && '-r', a.force && '-f', a.name) : undefined;
  const uid = a.uid !== undefined ? ['-u', String(a.uid), ...(a.non_unique ? ['-o'] : [])] : [];
  if (!cur) {
    const add = words(
      'useradd', uid, a.group !== undefined && ['-g', a.group], a.groups?.length ? ['-G', a.groups.join(',')] : [],
      a.shell !== undefined && ['-s', a.shell], a.home !== undefined && ['-d', a.home], a.system && '-r',
      a.create_home ? '-m' : '-M', a.comment !== undefined && ['-c', a.comment], a.password !== undefined && ['-p', a.password], a.name,
    );
    return joinSh([add, ...(a.password_lock ? [words('usermod', '-L', a.name)] : []), ...ageCmd(a, undefined)], ' && ');
  }
  const mod: string[] = [];
  if (a.uid !== undefined && a.uid !== cur.uid) mod.push(...uid);
  if (a.group !== undefined) {
    const same = /^\d+$/.test(a.group) ? Number(a.group) === cur.gid : cur.wantGid === cur.gid;
    if (!same) mod.push('-g', a.group);
  }
  if (a.groups !== undefined) {
    const want = a.groups.filter((g) => g !== a.group);
    const missing = want.filter((g) => !cur.groups.includes(g));
    if (a.append ? missing.length : missing.length || cur.groups.some((g) => !want.includes(g))) {
      mod.push(...(a.append ? ['-a', '-G', missing.join(',')] : ['-G', want.join(',')]));
    }
  }
  if (a.shell !== undefined && a.shell !== cur.shell) mod.push('-s', a.shell);
  if (a.home !== undefined && a.home !== cur.home) mod.push('-d', a.home, ...(a.move_home ? ['-m'] : []));
  if (a.comment !== undefined && a.comment !== cur.comment) mod.push('-c', a.comment);
  if (a.password !== undefined && a.update_password === 'always' && a.password !== cur.password.replace(/^!/, '')) mod.push('-p', a.password);
  const locked = cur.password.startsWith('!');
  if (a.password_lock === true && !locked) mod.push('-L');
  if (a.password_lock === false && locked) mod.push('-U');
  const steps = [...(mod.length ? [words('usermod', mod, a.name)] : []), ...ageCmd(a, cur)];
  return steps.length ? joinSh(steps, ' && ') : undefined;
}

/** `chage -m MIN -M MAX name` for the password ages that differ (none when none do). */
function ageCmd(a: UserArgs, cur: UserState | undefined): Sh[] {
  const opts: string[] = [];
  if (a.password_expire_min !== undefined && String(a.password_expire_min) !== cur?.expireMin) opts.push('-m', String(a.password_expire_min));
  if (a.password_expire_max !== undefined && String(a.password_expire_max) !== cur?.expireMax) opts.push('-M', String(a.password_expire_max));
  return opts.length ? [words('chage', opts, a.name)] : [];
}

const probeCmd = (a: UserArgs) =>
  sh`getent passwd ${a.name}; echo @@groups; id -Gn ${a.name} 2>/dev/null; echo @@shadow; getent shadow ${a.name} 2>/dev/null | cut -d: -f2,4,5; echo @@group; ${a.group !== undefined ? raw(sh`getent group ${a.group}`) : raw('true')}`;

export const user: ModuleDef<UserArgs> = {
  name: 'user',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const pr = await ctx.run(probeCmd(a));
    const cur = parseUserProbe(pr.stdout);
    const cmd = planUser(a, cur);
    const result: ModuleResult = { changed: !!cmd, name: a.name, state: a.state };
    if (!cmd || ctx.check) return { ...result, ...(cur ? { uid: cur.uid, group: cur.gid, shell: cur.shell, home: cur.home } : {}) };
    const r = await ctx.run(sh`${raw(cmd)}; rc=$?; getent passwd ${a.name}; exit $rc`);
    if (r.code !== 0) {
      return { ...result, changed: false, failed: true, rc: r.code, cmd, stderr: r.stderr, msg: `${cmd.split(' ')[0]} failed: ${r.stderr.trim() || `exit ${r.code}`}` };
    }
    const f = r.stdout.trim().split(':');
    return f.length >= 7 ? { ...result, uid: Number(f[2]), group: Number(f[3]), home: f[5], shell: f[6] } : result;
  },
};
