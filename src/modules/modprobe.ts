import { z } from 'zod';
import { joinSh, sh, words, type Sh } from '../shell/sh.js';
import { str, lazySchema } from './lib/args.js';
import { convergeFile } from './lib/file.js';
import { fileProbeSh, parseFileProbes } from './sysctl.js';
import type { ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => z
  .object({
    name: z.string({ error: 'expected a string' }).regex(/^[A-Za-z0-9_-]+$/, 'expected a kernel module name'),
    state: z.enum(['present', 'absent']).default('present'),
    params: str().default(''),
    persistent: z.enum(['present', 'absent', 'disabled']).default('disabled'),
  })
  .strict());
type Args = z.infer<ReturnType<typeof schema>>;

/** Where persistence lives (systemd-modules-load and kmod both read these). */
export const persistPaths = (name: string) => ({ load: `/etc/modules-load.d/${name}.conf`, options: `/etc/modprobe.d/${name}.conf` });

export interface ModState {
  /** loaded as a module, or built into the kernel */
  loaded: 'module' | 'builtin' | 'no';
  /** whether this kernel can load modules at all (/proc/modules exists) */
  loadable: boolean;
}

/** /proc/modules and /sys/module use '_' where users often write '-'. */
const kname = (n: string) => n.replace(/-/g, '_');

export function parseModState(out: string, name: string): ModState {
  const lines = out.split('\n');
  const loadable = lines.includes('proc_modules');
  const inProc = lines.some((l) => l.startsWith(`${kname(name)} `));
  const builtin = lines.includes('builtin');
  return { loaded: inProc ? 'module' : builtin ? 'builtin' : 'no', loadable };
}

/** What to run; [] means ok. A builtin module cannot be removed (nor needs loading). */
export function planModprobe(a: Args, s: ModState): Sh[] {
  if (a.state === 'present' && s.loaded === 'no') return [words('modprobe', a.name, a.params.split(/\s+/).filter(Boolean))];
  if (a.state === 'absent' && s.loaded === 'module') return [sh`modprobe -r ${a.name}`];
  return [];
}

export const modprobe: ModuleDef<Args> = {
  name: 'modprobe',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const paths = persistPaths(a.name);
    const n = kname(a.name);
    const probe = joinSh([
      sh`n=${n}; l=${paths.load}; o=${paths.options}; `,
      sh`if [ -r /proc/modules ]; then echo proc_modules; grep "^$n " /proc/modules; fi; `,
      sh`if [ -d "/sys/module/$n" ] && [ ! -e "/sys/module/$n/initstate" ]; then echo builtin; `,
      sh`elif grep -q "/$n\\.ko" "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null; then echo builtin; fi; echo @@files; `,
      fileProbeSh('l'),
      fileProbeSh('o'),
    ], '');
    const pr = await ctx.runOk(probe);
    const buf = pr.stdoutBuf ?? Buffer.from(pr.stdout);
    const at = buf.indexOf('@@files\n');
    const s = parseModState(buf.subarray(0, at).toString('utf8'), a.name);
    const [loadFile, optFile] = parseFileProbes(buf, 2, at + '@@files\n'.length, [paths.load, paths.options]);
    const cmds = planModprobe(a, s);
    // persistence: the module list file, and the options file only when params are given
    const writes: { dest: string; content: string; cur: typeof loadFile }[] = [];
    const removes: string[] = [];
    if (a.persistent === 'present') {
      if (!loadFile.exists || loadFile.content !== `${a.name}\n`) writes.push({ dest: paths.load, content: `${a.name}\n`, cur: loadFile });
      const opts = `options ${a.name} ${a.params}\n`;
      if (a.params && (!optFile.exists || optFile.content !== opts)) writes.push({ dest: paths.options, content: opts, cur: optFile });
    } else if (a.persistent === 'absent') {
      if (loadFile.exists) removes.push(paths.load);
      if (optFile.exists) removes.push(paths.options);
    }
    const changed = cmds.length + writes.length + removes.length > 0;
    const result: ModuleResult = { changed, name: a.name, params: a.params, state: a.state };
    if (!changed || ctx.check) return result;
    if (cmds.length && !s.loadable) {
      return {
        ...result, changed: false, failed: true,
        msg: `modprobe ${a.name}: this kernel cannot load modules (no /proc/modules: built without module support) and ${a.name} is not built in`,
      };
    }
    if (cmds.length || removes.length) {
      const cmd = joinSh([...cmds, ...(removes.length ? [sh`rm -f -- ${removes}`] : [])], ' && ');
      const r = await ctx.run(cmd);
      if (r.code !== 0) {
        const err = r.stderr.trim() || `exit ${r.code}`;
        return { ...result, changed: false, failed: true, rc: r.code, stderr: r.stderr, cmd, msg: `${cmd} failed: ${err}` };
      }
    }
    for (const w of writes) {
      if (!w.cur.parentExists) await ctx.runOk(sh`mkdir -p -- "$(dirname -- ${w.dest})"`);
      const r = await convergeFile(ctx, { dest: w.dest, content: w.content, current: { ...w.cur, parentExists: true } });
      if (r.failed) return r;
    }
    return result;
  },
};
