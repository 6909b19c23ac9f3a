/** shell: run a command line through a shell (/bin/sh unless executable says otherwise). */
import { z } from 'zod';
import { sh } from '../shell/sh.js';
import { str, withAliases, lazySchema } from './lib/args.js';
import { commandJob, runCommand, type ExecSpec } from './lib/exec.js';
import { commonArgs, FREE_FORM_KEYS, splitFreeForm, stdinOf, warnRemoved } from './command.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z.preprocess(
  (v) => splitFreeForm(v, FREE_FORM_KEYS.filter((k) => k !== 'expand_argument_vars')),
  withAliases(
    { _raw_params: 'cmd' },
    z
      .object({ ...commonArgs, executable: str().optional() })
      .strict()
      .superRefine((a, c) => {
        if (!a.cmd?.trim()) c.addIssue({ code: 'custom', path: ['cmd'], message: 'no command given (cmd or free-form text)' });
      }),
  ),
));

export type ShellArgs = z.infer<ReturnType<typeof schema>>;

function execSpec(a: ShellArgs): ExecSpec {
  return {
    script: sh`${a.executable ?? '/bin/sh'} -c ${a.cmd!}`,
    simple: true,
    reportCmd: a.cmd,
    creates: a.creates,
    removes: a.removes,
    chdir: a.chdir,
    stdin: stdinOf(a),
    stripEmptyEnds: a.strip_empty_ends,
  };
}

export const shell: ModuleDef<ShellArgs> = {
  name: 'shell',
  get schema() {
    return schema();
  },
  freeForm: 'cmd',
  checkMode: true,
  async run(ctx, a) {
    return warnRemoved(a, await runCommand(ctx, execSpec(a)));
  },
  async job(_ctx, a) {
    return commandJob(execSpec(a));
  },
};
