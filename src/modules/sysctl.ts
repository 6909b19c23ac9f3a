import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { bool, str, withAliases } from './lib/args.js';
import { convergeFile, sha1, type RemoteFile } from './lib/file.js';
import { parseStat, statCmd } from './lib/stat.js';
import { lineinfileEdit } from './lineinfile.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';

const schema = withAliases(
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
);
type Args = z.infer<typeof schema>;

/** Kernel output uses tabs between words of multi-value keys (ip_local_port_range). */
export const normalize = (v: string) => v.trim().split(/\s+/).join(' ');

/** The persisted line, edited through lineinfile's algorithm: `key=value` replaces any `key = ...`. */
export function sysctlFileEdit(content: string | null, a: { name: string; value?: string; state: 'present' | 'absent' }) {
  const regexp = `^\\s*${a.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`;
  return lineinfileEdit(content, { state: a.state, regexp, line: `${a.name}=${normalize(a.value ?? '')}` });
}

/**
 * One exec: the running value (or a marker when the key does not exist), then the file's stat
 * and content in the shape convergeFile takes, so an unchanged task costs one round trip.
 */
async function probe(ctx: ModuleContext, a: Args): Promise<{ running?: string; file: RemoteFile }> {
  const cmd =
    sh`k=${a.name}; f=${a.sysctl_file}; ` +
    raw(
      'if v=$(sysctl -n -- "$k" 2>/dev/null); then echo "run=$v" | tr "\\t" " "; else echo norun; fi; ' +
        'if [ -f "$f" ]; then ' + statCmd('f', true).text + ' && cat -- "$f"; ' +
        'elif [ -e "$f" ]; then echo notfile; elif [ -d "$(dirname -- "$f")" ]; then echo absent; else echo nodir; fi',
    ).text;
  const r = await ctx.runOk(cmd);
  const out = r.stdout;
  const nl1 = out.indexOf('\n');
  const first = out.slice(0, nl1);
  const rest = out.slice(nl1 + 1);
  const running = first.startsWith('run=') ? first.slice(4) : undefined;
  const nl2 = rest.indexOf('\n');
  const tag = nl2 < 0 ? rest : rest.slice(0, nl2);
  if (tag === 'notfile') throw new Error(`${a.sysctl_file} exists and is not a regular file`);
  if (tag === 'absent' || tag === 'nodir') {
    return { running, file: { exists: false, content: '', read: true, parentExists: tag === 'absent' } };
  }
  const st = parseStat(tag);
  const content = rest.slice(nl2 + 1);
  const file: RemoteFile = { exists: true, content, read: true, mode: st.mode, owner: st.owner, group: st.group, checksum: sha1(content), stat: st, parentExists: true };
  return { running, file };
}

export const sysctl: ModuleDef<Args> = {
  name: 'sysctl',
  schema,
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
      if (!file.exists && !file.parentExists) await ctx.runOk(sh`mkdir -p -- "$(dirname -- ${a.sysctl_file})"`);
      const w = await convergeFile(ctx, { dest: a.sysctl_file, content: edit.content, current: { ...file, parentExists: true } });
      if (w.failed) return w;
    }
    return result;
  },
};
