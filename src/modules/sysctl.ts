import { posix } from 'node:path';
import { z } from 'zod';
import { asShell, joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, str, withAliases, lazySchema } from './lib/args.js';
import { convergeFile, sha1, type RemoteFile } from './lib/file.js';
import { parseStat, statCmd } from './lib/stat.js';
import { lineinfileEdit } from './lineinfile.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';
import { escapeRegExp } from '../vars/regex.js';

const schema = lazySchema(() => withAliases(
  { key: 'name', val: 'value' },
  z
    .object({
      name: str(),
      value: z.union([str(), z.boolean().transform((b) => (b ? '1' : '0'))]).optional(),
      state: z.enum(['present', 'absent']).default('present'),
      ignoreerrors: bool().default(false),
      reload: bool().default(true),
      sysctl_file: str().default('/etc/sysctl.d/99-harun.conf'),
      sysctl_set: bool().default(false),
    })
    .strict()
    .refine((a) => a.state === 'absent' || a.value !== undefined, { path: ['value'], message: 'value is required with state=present' }),
));
type Args = z.infer<ReturnType<typeof schema>>;

/** Kernel output uses tabs between words of multi-value keys (ip_local_port_range). */
export const normalize = (v: string) => v.trim().split(/\s+/).join(' ');

/** The persisted line, edited through lineinfile's algorithm: `key=value` replaces any `key = ...`. */
export function sysctlFileEdit(content: string | null, a: { name: string; value?: string; state: 'present' | 'absent' }) {
  const regexp = `^\\s*${escapeRegExp(a.name)}\\s*=`;
  return lineinfileEdit(content, { state: a.state, regexp, line: `${a.name}=${normalize(a.value ?? '')}` });
}

/**
 * Shell text that prints the file named by $var in the shape convergeFile takes: `absent`,
 * `nodir`, or a stat line followed by exactly size bytes of content. Several of them can follow
 * each other in one exec (parseFileProbes), so a module probes all its files in one round trip.
 */
export function fileProbeSh(v: 'f' | 'l' | 'o'): Sh {
  // v names a shell variable of the caller's script: a fixed letter, never data
  return asShell(
    `if [ -f "$${v}" ]; then ${statCmd(v, true).text} && cat -- "$${v}"; ` +
    `elif [ -e "$${v}" ]; then echo notfile; elif [ -d "$(dirname -- "$${v}")" ]; then echo absent; else echo nodir; fi; `,
  );
}

/** Parse consecutive fileProbeSh outputs from buf starting at offset. */
export function parseFileProbes(buf: Buffer, count: number, offset = 0, paths: string[] = []): RemoteFile[] {
  const files: RemoteFile[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    const nl = buf.indexOf(10, at);
    const tag = buf.subarray(at, nl < 0 ? buf.length : nl).toString('utf8');
    at = nl + 1;
    if (tag === 'notfile') throw new Error(`${paths[i] ?? 'path'} exists and is not a regular file`);
    if (tag === 'absent' || tag === 'nodir') {
      files.push({ exists: false, content: '', read: true, parentExists: tag === 'absent' });
      continue;
    }
    const st = parseStat(tag);
    const content = buf.subarray(at, at + st.size).toString('utf8');
    at += st.size;
    files.push({ exists: true, content, read: true, mode: st.mode, owner: st.owner, group: st.group, checksum: sha1(content), stat: st, parentExists: true });
  }
  return files;
}

/**
 * One exec: the running value (or norun when the key does not exist), then the file's content
 * (its attributes do not matter here: a change goes through convergeFile, which reads them). The
 * value comes from sysctl -n (dash's read cannot take it from /proc/sys: it reads byte by byte,
 * and an integer entry answers only the first read). sysctl is looked up in the sbin directories
 * too, as Ansible's get_bin_path does, so a login without them in PATH still finds it. Only the
 * first line counts; tabs are normalised on the controller (no tr).
 */
async function probe(ctx: ModuleContext, a: Args): Promise<{ running?: string; file: { exists: boolean; content: string; parentExists: boolean } }> {
  const r = await ctx.runOk(joinSh([
    sh`k=${a.name}; f=${a.sysctl_file}; `,
    sh`if v=$(PATH="$PATH:/usr/sbin:/sbin" sysctl -n -- "$k" 2>/dev/null); then printf 'run=%s\\n' "$v"; else echo norun; fi; `,
    sh`if [ -f "$f" ]; then echo text; cat -- "$f"; elif [ -e "$f" ]; then echo notfile; elif [ -d ${posix.dirname(a.sysctl_file)} ]; then echo absent; else echo nodir; fi`,
  ], ''));
  const buf = r.stdoutBuf ?? Buffer.from(r.stdout);
  const nl = buf.indexOf(10);
  const first = buf.subarray(0, nl).toString('utf8');
  const running = first.startsWith('run=') ? first.slice(4) : undefined;
  const nl2 = buf.indexOf(10, nl + 1);
  const tag = buf.subarray(nl + 1, nl2 < 0 ? buf.length : nl2).toString('utf8');
  if (tag === 'notfile') throw new Error(`${a.sysctl_file} exists and is not a regular file`);
  const exists = tag === 'text';
  return { running, file: { exists, content: exists ? buf.subarray(nl2 + 1).toString('utf8') : '', parentExists: tag !== 'nodir' } };
}

export const sysctl: ModuleDef<Args> = {
  name: 'sysctl',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const { running, file } = await probe(ctx, a);
    if (running === undefined && a.state === 'present' && !a.ignoreerrors) {
      return { changed: false, failed: true, msg: `setting "${a.name}" not found: no /proc/sys entry for it on this kernel` };
    }
    const want = normalize(a.value ?? '');
    const edit = sysctlFileEdit(file.exists ? file.content : null, a);
    const fileChanges = edit.changed && !(a.state === 'absent' && !file.exists);
    // Ansible's rules: sysctl_set checks the running value; reload applies it after a file change
    const apply = a.state === 'present' && running !== undefined && normalize(running) !== want && (a.sysctl_set || (fileChanges && a.reload));
    const result: ModuleResult = { changed: fileChanges || apply, name: a.name, value: want };
    if (ctx.diff && fileChanges) result.diff = [{ path: a.sysctl_file, before: file.content, after: edit.content }];
    if (ctx.check || !result.changed) return result;
    if (apply) {
      const r = await ctx.run(sh`sysctl ${a.ignoreerrors ? '-e' : raw('')} -w ${`${a.name}=${want}`}`);
      if (r.code !== 0 && !a.ignoreerrors) {
        return { changed: false, failed: true, rc: r.code, stderr: r.stderr, msg: `sysctl -w ${a.name}=${want} failed: ${r.stderr.trim() || `exit ${r.code}`}` };
      }
    }
    if (fileChanges) {
      if (!file.exists && !file.parentExists) await ctx.runOk(sh`mkdir -p -- ${posix.dirname(a.sysctl_file)}`);
      const w = await convergeFile(ctx, { dest: a.sysctl_file, content: edit.content });
      if (w.failed) return w;
    }
    return result;
  },
};
