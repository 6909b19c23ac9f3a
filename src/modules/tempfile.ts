/**
 * tempfile: a new temporary file (0600) or directory (0700) on the host, made by mktemp, in one
 * round trip. Like Ansible's module it always reports changed, and it does not run under check
 * mode (Ansible skips it: the module does not declare check mode support).
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { asShell, joinSh, raw, sh } from '../shell/sh.js';
import { lazySchema, str } from './lib/args.js';
import { argvWords } from './lib/exec.js';
import { parseStat, statCmd } from './lib/stat.js';
import type { ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() =>
  z
    .object({
      state: z.enum(['file', 'directory'], { error: 'expected one of directory, file' }).default('file'),
      path: str().optional(),
      prefix: str().default('ansible.'),
      suffix: str().default(''),
    })
    .strict(),
);

export type TempfileArgs = z.infer<ReturnType<typeof schema>>;

/**
 * Python's tempfile.gettempdir(): the first of TMPDIR, TEMP, TMP, /tmp, /var/tmp, /usr/tmp and
 * the current directory that is a writable directory (Python tries to create a file in it).
 */
const DEFAULT_DIR = asShell(
  'for dir in "$TMPDIR" "$TEMP" "$TMP" /tmp /var/tmp /usr/tmp "$PWD"; do [ -n "$dir" ] && [ -d "$dir" ] && [ -w "$dir" ] && break; done; ',
);

/** Python's os.path.join of two parts (no separator added after one that ends in /). */
const pyJoin = (a: string, b: string) => (a === '' || a.endsWith('/') ? a + b : `${a}/${b}`);

/** Python's os.path.abspath: absolute from the current directory, then lexically normalized. */
function pyAbspath(p: string, cwd: string): string {
  const n = posix.normalize(p.startsWith('/') ? p : `${cwd}/${p}`);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

export const tempfile: ModuleDef<TempfileArgs> = {
  name: 'tempfile',
  get schema() {
    return schema();
  },
  // Ansible's tempfile does not support check mode: the engine skips the task under --check
  checkMode: false,
  async run(ctx, a): Promise<ModuleResult> {
    if (ctx.check) return { changed: false, skipped: true, msg: 'remote module (tempfile) does not support check mode' };
    // path is Ansible's type path: ~ and $VARS expand on the host
    const dir = a.path === undefined ? DEFAULT_DIR : joinSh([sh`dir=`, argvWords([a.path], true), sh`; `], '');
    // mktemp randomizes the X run at the end of the template: a prefix that ends in X loses those
    // X to the random part (Python keeps them); the name's random part is 8 characters as Python's
    const r = await ctx.run(
      joinSh([
        dir,
        sh`r=$(mktemp ${raw(a.state === 'directory' ? '-d ' : '')}-p "\${dir:-.}" --suffix=${a.suffix} -- ${`${a.prefix}XXXXXXXX`}) || exit 1; `,
        sh`s=$(${statCmd('r', false)}) || exit 1; printf '%s\\000%s\\000%s\\000%s' "$PWD" "$dir" "$r" "$s"`,
      ], ''),
    );
    if (r.code !== 0) return { changed: false, failed: true, msg: r.stderr.trim() || `mktemp failed (exit ${r.code})` };
    const [cwd, dirOut, made, st] = r.stdout.split('\0');
    // Python returns mkstemp's path made absolute, mkdtemp's as joined (absolute when the default dir is)
    const joined = pyJoin(a.path === undefined ? pyAbspath(dirOut, cwd) : dirOut, posix.basename(made));
    const path = a.state === 'file' ? pyAbspath(joined, cwd) : joined;
    const s = parseStat(st);
    // AnsibleModule adds the path's facts to every result that names a path
    return {
      changed: true,
      path,
      uid: s.uid,
      gid: s.gid,
      owner: s.owner,
      group: s.group,
      mode: s.mode,
      state: s.type === 'directory' ? 'directory' : 'file',
      size: s.size,
    };
  },
};
