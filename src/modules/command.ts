/** command: run a program with arguments, without a shell (no pipes, globs or redirections). */
import { z } from 'zod';
import { bool, str, withAliases, lazySchema } from './lib/args.js';
import { argvWords, commandJob, runCommand, type ExecSpec } from './lib/exec.js';
import { extractKv, shlexSplit } from './lib/shlex.js';
import type { ModuleDef, ModuleResult } from './types.js';

export const FREE_FORM_KEYS = ['creates', 'removes', 'chdir', 'executable', 'stdin', 'stdin_add_newline', 'strip_empty_ends', 'expand_argument_vars', 'warn'] as const;

/** Move `creates=... chdir=...` words out of the free-form cmd into their own arguments. */
export function splitFreeForm(v: unknown, keys: readonly string[]): unknown {
  if (!v || typeof v !== 'object' || typeof (v as any).cmd !== 'string') return v;
  const { rest, kv } = extractKv((v as any).cmd, keys);
  if (!Object.keys(kv).length) return v;
  return { ...kv, ...(v as object), cmd: rest };
}

export const commonArgs = {
  cmd: str().optional(),
  creates: str().optional(),
  removes: str().optional(),
  chdir: str().optional(),
  stdin: str().optional(),
  stdin_add_newline: bool().default(true),
  strip_empty_ends: bool().default(true),
  // removed in ansible-core 2.14, where it fails the task; still common in roles
  warn: bool().optional(),
};

/** A task that still gives `warn` runs, with a warning that it no longer does anything. */
export function warnRemoved(a: { warn?: boolean }, r: ModuleResult): ModuleResult {
  if (a.warn === undefined) return r;
  const w = "the 'warn' argument was removed in ansible-core 2.14 and does nothing: drop it (ansible-playbook 2.14 fails the task on it)";
  return { ...r, warnings: [...((r.warnings as string[]) ?? []), w] };
}

const schema = lazySchema(() => z.preprocess(
  (v) => splitFreeForm(v, FREE_FORM_KEYS.filter((k) => k !== 'executable')),
  withAliases(
    { _raw_params: 'cmd' },
    z
      .object({
        ...commonArgs,
        argv: z.array(str(), { error: 'expected a list of strings' }).min(1, 'argv must not be empty').optional(),
        expand_argument_vars: bool().default(true),
      })
      .strict()
      .superRefine((a, c) => {
        if (a.cmd !== undefined && a.argv !== undefined) c.addIssue({ code: 'custom', path: ['argv'], message: 'cmd and argv are mutually exclusive' });
        else if (!a.argv && !a.cmd?.trim()) c.addIssue({ code: 'custom', path: ['cmd'], message: 'no command given (cmd, argv or free-form text)' });
      }),
  ),
));

export type CommandArgs = z.infer<ReturnType<typeof schema>>;

export function stdinOf(a: { stdin?: string; stdin_add_newline: boolean }): string | undefined {
  if (a.stdin === undefined) return undefined;
  return a.stdin_add_newline ? a.stdin + '\n' : a.stdin;
}

function execSpec(a: CommandArgs): ExecSpec {
  const argv = a.argv ?? shlexSplit(a.cmd!);
  return {
    script: argvWords(argv, a.expand_argument_vars),
    simple: true,
    reportCmd: argv,
    creates: a.creates,
    removes: a.removes,
    chdir: a.chdir,
    stdin: stdinOf(a),
    stripEmptyEnds: a.strip_empty_ends,
  };
}

export const command: ModuleDef<CommandArgs> = {
  name: 'command',
  get schema() {
    return schema();
  },
  freeForm: 'cmd',
  checkMode: true,
  async run(ctx, a) {
    let spec: ExecSpec;
    try {
      spec = execSpec(a);
    } catch (e) {
      return { changed: false, failed: true, msg: `cmd: ${(e as Error).message}` };
    }
    return warnRemoved(a, await runCommand(ctx, spec));
  },
  async job(_ctx, a) {
    return commandJob(execSpec(a));
  },
};
