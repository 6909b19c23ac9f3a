/**
 * file: the state of a path (file, directory, link, hard, touch, absent) and its attributes.
 * One round trip: the probe, and for directory/file/touch/absent on a path that is not a link
 * (octal or no mode, no recurse) the same script also converges (see actCmd). Other cases
 * probe first and change in a second exec.
 */
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { z } from 'zod';
import { joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, lazySchema, modeArg, str, withAliases } from './lib/args.js';
import { fmtMode, NOT_BY_UMASK, parseMode, resolveMode } from './lib/mode.js';
import { escapeRegExp } from '../vars/regex.js';
import { parseStat, sameId, statCmd, type StatInfo } from './lib/stat.js';
import type { ModuleDef, ModuleResult } from './types.js';
import { extraAttrArgs, withExtraAttrs } from './lib/extra-attrs.js';

const STATES = ['absent', 'directory', 'file', 'hard', 'link', 'touch'] as const;

const schema = lazySchema(() => withAliases(
  { dest: 'path', name: 'path', attr: 'attributes' },
  z
    .object({
      path: str(),
      state: z.enum(STATES, { error: `expected one of ${STATES.join(', ')}` }).optional(),
      src: str().optional(),
      mode: modeArg().optional(),
      owner: str().optional(),
      group: str().optional(),
      recurse: bool().default(false),
      force: bool().default(false),
      follow: bool().default(true),
      modification_time: str().optional(),
      access_time: str().optional(),
      modification_time_format: str().optional(),
      access_time_format: str().optional(),
      unsafe_writes: bool().default(false),
      ...extraAttrArgs(),
    })
    .strict()
    .superRefine((a, c) => {
      if ((a.state === 'link' || a.state === 'hard') && a.src === undefined) c.addIssue({ code: 'custom', path: ['src'], message: `src is required for state=${a.state}` });
      if (a.recurse && a.state !== 'directory') c.addIssue({ code: 'custom', path: ['recurse'], message: 'recurse option requires state to be directory' });
    }),
));

export type FileArgs = z.infer<ReturnType<typeof schema>>;

interface Probe {
  kind: 'absent' | 'link' | 'present';
  self?: StatInfo;
  /** For links: the target as written, and the stat of what it points to (if it exists). */
  target?: string;
  pointed?: StatInfo;
  parentExists: boolean;
  srcExists?: boolean;
  sameInode?: boolean;
  /** find found something under a recursive directory that needs new attributes. */
  recurseDiffers?: boolean;
}

function probeCmd(a: FileArgs, recurseFind: Sh | undefined): Sh {
  const s = [
    sh`p=${a.path}; `,
    sh`if [ -L "$p" ]; then echo link; ${statCmd('p', false)}; readlink -- "$p"; if [ -e "$p" ]; then ${statCmd('p', true)}; else echo dangling; fi; `,
    sh`elif [ -e "$p" ]; then echo present; s=$(${statCmd('p', false)}) || exit 3; echo "$s"; `,
    sh`else echo absent; if [ -d ${posix.dirname(a.path)} ]; then echo dir; else echo nodir; fi; fi; `,
  ];
  if (a.src !== undefined) {
    // a relative link target is relative to the link's directory
    s.push(sh`s=${a.src}; ( cd ${posix.dirname(a.path)} 2>/dev/null && [ -e "$s" ] ) && echo src || echo nosrc; `);
    if (a.state === 'hard') s.push(sh`[ "$(stat -L -c %d:%i -- "$p" 2>/dev/null)" = "$(stat -L -c %d:%i -- "$s" 2>/dev/null)" ] && echo same || echo other; `);
  }
  if (recurseFind) s.push(sh`[ -d "$p" ] && [ -n "$(find "$p" ${raw(recurseFind)} -print 2>/dev/null | head -n 1)" ] && echo rdiff || echo rsame; `);
  return joinSh(s, '');
}

function parseProbe(out: string, a: FileArgs, recurse: boolean): Probe {
  const lines = out.replace(/\n$/, '').split('\n');
  let i = 0;
  const kind = lines[i++] as Probe['kind'];
  const p: Probe = { kind, parentExists: true };
  if (kind === 'absent') p.parentExists = lines[i++] === 'dir';
  else p.self = parseStat(lines[i++]);
  if (kind === 'link') {
    p.target = lines[i++];
    const l = lines[i++];
    if (l !== 'dangling') p.pointed = parseStat(l);
  }
  if (a.src !== undefined) {
    p.srcExists = lines[i++] === 'src';
    if (a.state === 'hard') p.sameInode = lines[i++] === 'same';
  }
  if (recurse) p.recurseDiffers = lines[i++] === 'rdiff';
  return p;
}

const fail = (a: FileArgs, msg: string): ModuleResult => ({ changed: false, failed: true, msg, path: a.path });

const fileNative: ModuleDef<FileArgs> = {
  name: 'file',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a) {
    try {
      timeSpecs(a, a.state ?? 'file');
    } catch (e) {
      return fail(a, (e as Error).message);
    }
    const mode = a.mode === undefined ? undefined : parseMode(a.mode);
    const recurseFind =
      a.recurse && (a.owner || a.group || mode)
        ? joinSh([a.owner ? sh`! -user ${a.owner}` : undefined, a.group ? sh`! -group ${a.group}` : undefined, // a symbolic mode is only compared on the top path
            mode?.kind === 'octal' ? sh`! -perm ${fmtMode(mode.value)}` : undefined]
            .filter((x): x is Sh => x !== undefined), ' -o ')
        : undefined;
    const marker = `harun-${randomBytes(6).toString('hex')}`;
    const act = ctx.check || recurseFind ? undefined : actCmd(a, mode, marker);
    const pr = await ctx.run(act ? joinSh([probeCmd(a, recurseFind), act], '') : probeCmd(a, recurseFind));
    if (pr.code === 9) return fail(a, `cannot set ${a.path} to state ${a.state}: ${pr.stderr.trim() || `exit ${pr.code}`}`);
    if (pr.code !== 0) return fail(a, `cannot inspect ${a.path}: ${pr.stderr.trim()}`);
    const at = act ? pr.stdout.lastIndexOf(`\n${marker}\n`) : -1;
    const p = parseProbe(at < 0 ? pr.stdout : pr.stdout.slice(0, at + 1), a, !!recurseFind);
    const acted = at < 0 ? undefined : pr.stdout.slice(at + marker.length + 2).split('\n').filter(Boolean);
    // what the path is now, seen through a link when follow says so
    const seen = p.kind === 'link' && a.follow && p.pointed ? p.pointed : p.self;
    const prev = p.kind === 'absent' ? 'absent' : p.kind === 'link' && !(a.follow && p.pointed) ? 'link' : seen!.type === 'directory' ? 'directory' : seen!.type === 'file' ? 'file' : seen!.type;
    const state = a.state ?? (prev === 'absent' ? 'file' : prev === 'directory' || prev === 'link' ? prev : 'file');
    const steps: Sh[] = [];
    let attrsOn: StatInfo | undefined; // the stat to compare attributes with; undefined = new path

    switch (state) {
      case 'absent':
        if (p.kind !== 'absent') steps.push(sh`rm -rf -- "$p"`);
        break;
      case 'file':
        if (prev === 'absent') return fail(a, `file (${a.path}) is absent, cannot continue`);
        if (prev !== 'file') return fail(a, `file (${a.path}) is ${prev}, cannot continue`);
        attrsOn = seen;
        break;
      case 'directory':
        if (prev === 'absent') steps.push(sh`mkdir -p -- "$p"`);
        else if (prev !== 'directory') return fail(a, `${a.path} already exists as a ${prev}`);
        else attrsOn = seen;
        break;
      case 'touch':
        if (!p.parentExists) return fail(a, `Error, could not touch target: ${posix.dirname(a.path)} does not exist`);
        if (prev === 'absent' || touchCmd(a)) steps.push(touchCmd(a) ?? sh`touch -- "$p"`);
        attrsOn = seen;
        break;
      case 'link': {
        if (p.kind === 'link' && p.target === a.src) {
          attrsOn = p.self;
          break;
        }
        if (!p.srcExists && !a.force) return fail(a, `src file does not exist, use "force=yes" if you really want to create the link: ${a.src}`);
        if (p.kind === 'present' && p.self!.type === 'directory') {
          if (!a.force) return fail(a, `refusing to convert from directory to symlink for ${a.path}`);
          steps.push(sh`rmdir -- "$p"`);
        } else if (p.kind === 'present' && !a.force) return fail(a, `refusing to convert from ${p.self!.type} to symlink for ${a.path}`);
        steps.push(sh`ln -sfn -- ${a.src!} "$p"`);
        break;
      }
      case 'hard':
        if (!p.srcExists) return fail(a, `src does not exist: ${a.src}`);
        if (p.sameInode) {
          attrsOn = seen;
          break;
        }
        if (p.kind === 'present' && p.self!.type === 'directory') return fail(a, `${a.path} is a directory, cannot hard link over it`);
        if (p.kind !== 'absent' && !a.force && p.kind !== 'link') return fail(a, `refusing to convert from ${prev} to hard link for ${a.path}`);
        steps.push(sh`ln -f -- ${a.src!} "$p"`);
        break;
    }

    if (state !== 'absent') steps.push(...attrSteps(a, mode, state, attrsOn, p));
    if (state === 'file' || state === 'directory') {
      const stamp = await timeSteps(ctx, a, state, prev === 'absent');
      if (typeof stamp === 'string') return fail(a, stamp);
      steps.push(...stamp);
    }
    const changed = steps.length > 0 || (state === 'directory' && !!p.recurseDiffers);
    const result: ModuleResult = { changed, path: a.path, state };
    if (a.src !== undefined && (state === 'link' || state === 'hard')) result.src = a.src;
    if (ctx.diff && changed) {
      const show = (st: string, m?: string) => `path: ${a.path}\nstate: ${st}\n${m ? `mode: ${m}\n` : ''}`;
      result.diff = [{ path: a.path, before: show(prev, seen?.mode), after: show(state, mode && seen ? fmtMode(resolveMode(mode, seen.perm, seen.type === 'directory')) : mode?.kind === 'octal' ? fmtMode(mode.value) : seen?.mode) }];
    }
    if (!changed || ctx.check) return withStat(result, state === 'absent' ? undefined : seen);
    if (acted?.[0] === 'acted') return withStat(result, acted[1] ? parseStat(acted[1]) : undefined);
    if (state === 'directory' && a.recurse) steps.push(...recurseSteps(a));
    const statAfter = state === 'absent' ? undefined : sh`${statCmd('p', state !== 'link')}`;
    const r = await ctx.run(joinSh([sh`p=${a.path}; `, joinSh(statAfter ? [...steps, statAfter] : steps, ' && ')], ''));
    if (r.code !== 0) return fail(a, `cannot set ${a.path} to state ${state}: ${r.stderr.trim() || `exit ${r.code}`}`);
    const last = r.stdout.trim().split('\n').pop();
    return withStat(result, last && statAfter ? parseStat(last) : undefined);
  },
};

/** file, with SELinux context and chattr attributes applied by Ansible's file module when given. */
export const file = withExtraAttrs(fileNative, (a) => (a.state === 'absent' || a.state === 'link' ? undefined : a.path));

/**
 * Shell that converges the simple states right after the probe, deciding as run() does: prints
 * the marker, then `acted` and the new stat when it changed something. It leaves links, modes
 * to resolve (symbolic) and any state it does not know to run() and a second exec.
 */
function actCmd(a: FileArgs, mode: ReturnType<typeof parseMode> | undefined, marker: string): Sh | undefined {
  if (a.recurse || mode?.kind === 'symbolic' || !['absent', 'directory', 'file', 'touch'].includes(a.state ?? '')) return undefined;
  // times on state=file/directory may need a read first (timeSteps)
  if (a.state !== 'touch' && touchCmd(a)) return undefined;
  const head = sh`echo ${marker}; `;
  if (a.state === 'absent') return joinSh([head, sh`if [ -e "$p" ] || [ -L "$p" ]; then rm -rf -- "$p" || exit 9; echo acted; fi`], '');
  const attrs: [string, Sh, Sh][] = []; // flag, test of the current stat ($1..$7), command
  if (mode) attrs.push(['m', sh`[ $(( 0x$1 & 4095 )) -eq ${mode.value} ]`, sh`chmod ${fmtMode(mode.value)} "$p"`]);
  const id = (v: string, idField: number, nameField: number) => sh`[ "$${raw(String(/^\d+$/.test(v) ? idField : nameField))}" = ${v} ]`;
  if (a.owner !== undefined) attrs.push(['o', id(a.owner, 2, 6), sh`chown ${a.owner} "$p"`]);
  if (a.group !== undefined) attrs.push(['g', id(a.group, 3, 7), sh`chgrp ${a.group} "$p"`]);
  // what it makes gets the mode's bits from the umask (no chmod, and never more open before it)
  const dir = a.state === 'directory';
  const byUmask = mode !== undefined && (mode.value & (dir ? NOT_BY_UMASK.dir : NOT_BY_UMASK.file)) === 0;
  const created = joinSh(attrs.filter(([f]) => !(byUmask && f === 'm')).map(([, , cmd]) => sh`${raw(cmd)} || exit 9; `), '');
  const differing = joinSh([
    sh`a=; set -- $s; `,
    ...attrs.map(([f, t]) => sh`${raw(t)} || a="$${raw(`{a}${f}`)}"; `),
    ...attrs.map(([f, , cmd]) => sh`case $a in *${raw(f)}*) ${raw(cmd)} || exit 9;; esac; `),
  ], '');
  const done = sh`echo acted; ${statCmd('p', true)} || exit 9; `;
  const umask = mode !== undefined ? sh`umask ${fmtMode(~mode.value & 0o777)}; ` : sh``;
  const make = { directory: sh`${raw(umask)}mkdir -p -- "$p"`, touch: sh`${raw(umask)}touch -- "$p"`, file: undefined }[a.state as 'directory' | 'touch' | 'file'];
  const isIt = { directory: sh`[ -d "$p" ]`, touch: sh`true`, file: sh`[ -f "$p" ]` }[a.state as 'directory' | 'touch' | 'file'];
  // absent: make it (file cannot); present as the wanted kind: touch (touch only) and what differs
  const absent = make
    ? sh`${raw(a.state === 'touch' ? sh`[ -d ${posix.dirname(a.path)} ] || exit 0; ` : '')}${raw(make)} || exit 9; ${raw(created)}${raw(done)}`
    : sh`true; `;
  const touch = a.state === 'touch' ? touchCmd(a) : undefined;
  const present = touch
    ? sh`${raw(isIt)} || exit 0; ${raw(touch)} || exit 9; ${raw(differing)}${raw(done)}`
    : sh`${raw(isIt)} || exit 0; ${raw(differing)}[ -n "$a" ] && { ${raw(done)}}; `;
  return joinSh([head, sh`if [ -L "$p" ]; then exit 0; elif [ -e "$p" ]; then ${raw(present)}else ${raw(absent)}fi; exit 0`], '');
}

/** A time argument: kept, the present moment, or a time as `touch -d` and `date -d` read it (the host's local time). */
type TimeSpec = 'preserve' | 'now' | { at: string };

/** The strptime fields a time format may use, and their widths. */
const TIME_FIELDS: Record<string, number> = { Y: 4, y: 2, m: 2, d: 2, H: 2, M: 2, S: 2 };

/**
 * modification_time / access_time as Ansible reads them: `preserve`, `now`, or a time in the
 * given strptime format (default %Y%m%d%H%M.%S). Unset: now for state=touch, else preserve.
 * Throws with what was expected when the value does not fit its format.
 */
export function timeSpec(value: string | undefined, format: string | undefined, state: string, arg: string): TimeSpec {
  if (value === undefined) return state === 'touch' ? 'now' : 'preserve';
  if (value === 'preserve' || value === 'now') return value;
  const fmt = format ?? '%Y%m%d%H%M.%S';
  const order: string[] = [];
  let re = '';
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%') re += escapeRegExp(c);
    else if (fmt[i + 1] === '%') (re += '%'), i++;
    else {
      const width = TIME_FIELDS[fmt[i + 1]];
      if (!width) throw new Error(`${arg}_format: %${fmt[i + 1] ?? ''} is not supported (use %Y %y %m %d %H %M %S)`);
      order.push(fmt[i + 1]);
      re += width === 4 ? '(\\d{4})' : '(\\d{1,2})';
      i++;
    }
  }
  const m = new RegExp(`^${re}$`).exec(value);
  if (!m) throw new Error(`${arg}: expected preserve, now or a time in the format ${fmt}, got ${JSON.stringify(value)}`);
  const f: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0 };
  order.forEach((k, i) => (f[k] = Number(m[i + 1])));
  if (order.includes('y')) f.Y = f.y < 69 ? 2000 + f.y : 1900 + f.y;
  const p2 = (n: number) => String(n).padStart(2, '0');
  return { at: `${f.Y}-${p2(f.m)}-${p2(f.d)} ${p2(f.H)}:${p2(f.M)}:${p2(f.S)}` };
}

function timeSpecs(a: FileArgs, state: string): { m: TimeSpec; a: TimeSpec } {
  return { m: timeSpec(a.modification_time, a.modification_time_format, state, 'modification_time'), a: timeSpec(a.access_time, a.access_time_format, state, 'access_time') };
}

/**
 * Times on state=file/directory: `now` always sets them (changed, as in Ansible); a time value
 * sets them when the path is new or its times differ (one read of them, on the host's clock and
 * time zone). Returns the steps, or the host's words when the times cannot be read.
 */
async function timeSteps(ctx: Parameters<ModuleDef['run']>[0], a: FileArgs, state: string, isNew: boolean): Promise<Sh[] | string> {
  const t = timeSpecs(a, state);
  const touch = touchCmd(a, state);
  if (!touch) return [];
  if (t.m === 'now' || t.a === 'now' || isNew) return [touch];
  const want = (s: TimeSpec) => (typeof s === 'object' ? sh`date -d ${s.at} +%s` : sh`echo -`);
  const r = await ctx.run(sh`p=${a.path}; ${raw(want(t.m))} && ${raw(want(t.a))} && stat -L -c '%Y %X' -- "$p"`);
  if (r.code !== 0) return `cannot read the times of ${a.path}: ${r.stderr.trim() || `exit ${r.code}`}`;
  const [wm, wa, cur = ''] = r.stdout.trim().split('\n');
  const [cm, ca] = cur.split(' ');
  return (wm !== '-' && wm !== cm) || (wa !== '-' && wa !== ca) ? [touch] : [];
}

/**
 * What touch does to the path: both times preserved is nothing (then only attributes can change,
 * as in Ansible); otherwise each time that is not preserved is set, to now or to its value.
 */
function touchCmd(a: FileArgs, state: string = a.state ?? 'file'): Sh | undefined {
  const t = timeSpecs(a, state);
  const one = (flag: string, s: TimeSpec) => sh`touch ${raw(flag)}${raw(typeof s === 'object' ? sh`-d ${s.at} ` : '')}-- "$p"`;
  if (t.m === 'preserve' && t.a === 'preserve') return undefined;
  if (JSON.stringify(t.m) === JSON.stringify(t.a)) return one('', t.m);
  return joinSh([t.m !== 'preserve' ? one('-m ', t.m) : undefined, t.a !== 'preserve' ? one('-a ', t.a) : undefined].filter((x): x is Sh => x !== undefined), ' && ');
}

/** chmod/chown/chgrp steps for what differs (all of them on a new path). */
function attrSteps(a: FileArgs, mode: ReturnType<typeof parseMode> | undefined, state: string, cur: StatInfo | undefined, p: Probe): Sh[] {
  const out: Sh[] = [];
  const onLink = state === 'link' || (p.kind === 'link' && !a.follow);
  const h = onLink ? '-h ' : '';
  if (mode && !onLink) {
    const want = cur ? fmtMode(resolveMode(mode, cur.perm, cur.type === 'directory')) : mode.kind === 'octal' ? fmtMode(mode.value) : mode.text;
    if (!cur || want !== cur.mode) out.push(sh`chmod ${want} "$p"`);
  }
  if (a.owner !== undefined && (!cur || !sameId(a.owner, cur.owner, cur.uid))) out.push(sh`chown ${raw(h)}${a.owner} "$p"`);
  if (a.group !== undefined && (!cur || !sameId(a.group, cur.group, cur.gid))) out.push(sh`chgrp ${raw(h)}${a.group} "$p"`);
  return out;
}

function recurseSteps(a: FileArgs): Sh[] {
  const out: Sh[] = [];
  if (a.mode !== undefined) out.push(sh`chmod -R ${typeof a.mode === 'number' ? fmtMode(a.mode) : a.mode} "$p"`);
  if (a.owner !== undefined) out.push(sh`chown -R ${a.owner} "$p"`);
  if (a.group !== undefined) out.push(sh`chgrp -R ${a.group} "$p"`);
  return out;
}

function withStat(r: ModuleResult, st: StatInfo | undefined): ModuleResult {
  if (!st) return r;
  return { ...r, mode: st.mode, uid: st.uid, gid: st.gid, owner: st.owner, group: st.group, size: st.size };
}

