/**
 * script: run a controller-side script on the host. The script travels on stdin into a temp
 * file that is run (so its #! line counts) and removed, all in one round trip.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { asShell, joinSh, raw, sh } from '../shell/sh.js';
import { str, withAliases, lazySchema } from './lib/args.js';
import { runCommand } from './lib/exec.js';
import { extractKv, shlexSplit } from './lib/shlex.js';
import type { ModuleDef } from './types.js';

const KEYS = ['creates', 'removes', 'chdir', 'executable'];

const schema = lazySchema(() => z.preprocess(
  (v) => {
    if (!v || typeof v !== 'object' || typeof (v as any).cmd !== 'string') return v;
    const { rest, kv } = extractKv((v as any).cmd, KEYS);
    return { ...kv, ...(v as object), cmd: rest };
  },
  withAliases(
    { _raw_params: 'cmd', free_form: 'cmd' },
    z
      .object({
        cmd: str().optional(),
        creates: str().optional(),
        removes: str().optional(),
        chdir: str().optional(),
        executable: str().optional(),
        decrypt: z.unknown().optional(),
      })
      .strict()
      .refine((a) => !!a.cmd?.trim(), { path: ['cmd'], message: 'no script given (script: path/to/script.sh args)' }),
  ),
));

export type ScriptArgs = z.infer<ReturnType<typeof schema>>;

export const script: ModuleDef<ScriptArgs> = {
  name: 'script',
  get schema() {
    return schema();
  },
  freeForm: 'cmd',
  checkMode: true,
  async run(ctx, a) {
    const text = a.cmd!.trim();
    // the first word is the script; the rest are its arguments, passed to the shell as written
    const first = text.match(/^("[^"]*"|'[^']*'|\S)+/)![0];
    const src = shlexSplit(first)[0];
    const args = text.slice(first.length).trim();
    const path = ctx.findLocal('files', src);
    let body: Buffer;
    try {
      body = readFileSync(path);
    } catch (e) {
      return { changed: false, failed: true, msg: `Could not find or access '${src}' (${(e as Error).message})` };
    }
    const runner = a.executable ? sh`${a.executable} ` : sh``;
    // the arguments are the task's own text, which Ansible hands to the shell as written
    const cmd = joinSh([
      asShell('harun_s=$(mktemp "${TMPDIR:-/tmp}/harun-script.XXXXXX") || exit 1; cat > "$harun_s"; chmod 700 "$harun_s"; '),
      runner,
      sh`"$harun_s"${raw(args ? ' ' + args : '')}; harun_rc=$?; rm -f -- "$harun_s"; exit $harun_rc`,
    ], '');
    const r = await runCommand(ctx, {
      script: cmd,
      reportCmd: text,
      creates: a.creates,
      removes: a.removes,
      chdir: a.chdir,
      stdin: body,
      stripEmptyEnds: false,
    });
    delete r.cmd;
    return r;
  },
};
