/** raw: send the text as it is to the host's login shell; no guards, no chdir, no quoting. */
import { z } from 'zod';
import { asShell, sh } from '../shell/sh.js';
import { str, withAliases, lazySchema } from './lib/args.js';
import { runCommand } from './lib/exec.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => withAliases(
  { _raw_params: 'cmd' },
  z
    .object({ cmd: str(), executable: str().optional() })
    .strict()
    .refine((a) => a.cmd.trim() !== '', { path: ['cmd'], message: 'no command given' }),
));

export type RawArgs = z.infer<ReturnType<typeof schema>>;

export const rawModule: ModuleDef<RawArgs> = {
  name: 'raw',
  get schema() {
    return schema();
  },
  freeForm: 'cmd',
  // Ansible runs raw even in check mode only when told to; it does not support check mode
  checkMode: false,
  async run(ctx, a) {
    // raw's text goes to the shell as written: it is shell text by definition
    const script = a.executable ? sh`${a.executable} -c ${a.cmd}` : asShell(a.cmd);
    const r = await runCommand(ctx, { script, reportCmd: a.cmd, stripEmptyEnds: false, loginShell: !a.executable });
    // raw reports neither start/end nor cmd, and keeps stdout as the host sent it
    delete r.start;
    delete r.end;
    delete r.delta;
    delete r.cmd;
    return r;
  },
};
