/**
 * The module fallback: a module harun has no native implementation for runs as Ansible runs it.
 * Its payload (Ansible's AnsiballZ, built once per run on the controller) goes to the target's
 * python3 on stdin with the task's arguments embedded, over the host's existing connection, in
 * one exec, with become and environment applied by the usual wrapping; check mode, diff, no_log
 * and verbosity travel in the arguments as Ansible passes them (_ansible_check_mode, ...).
 */
import { z } from 'zod';
import { sh, type Sh } from '../../shell/sh.js';
import type { ModuleContext, ModuleDef, ModuleResult } from '../types.js';
import { PARAMS_MARK, payloadOf, type Built } from './build.js';
import { mapResult } from './result.js';
import { registerFinisher, type Job } from '../lib/job.js';
import type { Resolved } from './resolve.js';

const NO_PYTHON = 'harun-fallback: no python3';

/** A Python string literal of the arguments' JSON (ASCII only, so no encoding can bite). */
export function pyLiteral(params: unknown): string {
  const json = JSON.stringify(params).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  return `'${json.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The module's arguments plus what Ansible's action base adds to every module call. */
export function moduleArgs(ctx: ModuleContext, fqcn: string, args: Record<string, unknown>, consts: Built['consts']): Record<string, unknown> {
  return {
    ...args,
    _ansible_check_mode: ctx.check,
    _ansible_no_log: Boolean(ctx.noLog),
    _ansible_debug: false,
    _ansible_diff: ctx.diff,
    _ansible_verbosity: Number(ctx.vars.ansible_verbosity ?? 0),
    _ansible_version: consts.version,
    _ansible_module_name: fqcn,
    _ansible_syslog_facility: String(ctx.vars.ansible_syslog_facility ?? consts.syslog_facility),
    _ansible_selinux_special_fs: consts.selinux_special_fs,
    _ansible_string_conversion_action: consts.string_conversion_action,
    _ansible_socket: null,
    _ansible_shell_executable: '/bin/sh',
    _ansible_keep_remote_files: false,
    _ansible_tmpdir: null,
    _ansible_remote_tmp: '~/.ansible/tmp',
  };
}

/** The remote command: the host's ansible_python_interpreter, else the first python3 found. */
function interpreterCmd(ctx: ModuleContext): Sh {
  const set = ctx.vars.ansible_python_interpreter;
  const interp = set === undefined ? undefined : String(ctx.render(String(set)));
  if (interp && !interp.startsWith('auto')) return sh`${interp} -`;
  return sh`for p in /usr/bin/python3 python3 /usr/libexec/platform-python; do command -v "$p" >/dev/null 2>&1 && exec "$p" -; done; echo ${NO_PYTHON} >&2; exit 127`;
}

/** Native modules, for the message to a host without python3. Set by the registry. */
let nativeNames: () => string[] = () => [];
export function setNativeNames(f: () => string[]): void {
  nativeNames = f;
}

async function payloadFor(ctx: ModuleContext, m: Resolved, args: Record<string, unknown>): Promise<string> {
  const built = await payloadOf(m.fqcn, m.path);
  const params = { ANSIBLE_MODULE_ARGS: moduleArgs(ctx, m.fqcn, args, built.consts) };
  const payload = built.payload.replace(PARAMS_MARK, () => pyLiteral(params));
  ctx.log(3, `fallback: ${m.fqcn} runs Ansible's module code (${m.path}) on the target's python3, ${payload.length} bytes`);
  return payload;
}

// an async job's output is the module's JSON, read as a foreground run's would be
registerFinisher('fallback', (spec, out) => mapResult(String(spec.fqcn), { code: out.rc, stdout: out.stdout, stderr: out.stderr }));

export function fallbackModule(m: Resolved): ModuleDef<Record<string, unknown>> {
  return {
    name: m.fqcn,
    // the module checks its own arguments on the target, as under Ansible
    schema: z.record(z.string(), z.unknown()),
    // the module itself answers check mode: it skips when it does not support it
    checkMode: true,
    hostFacts: true,
    fallback: m.path,
    async run(ctx, args): Promise<ModuleResult> {
      const payload = await payloadFor(ctx, m, args);
      const r = await ctx.run(interpreterCmd(ctx), { stdin: payload });
      if (r.code === 127 && (r.stderr.includes(NO_PYTHON) || /python.*not found|No such file/i.test(r.stderr)) && !r.stdout.trim()) {
        return {
          changed: false,
          failed: true,
          msg: `module ${m.fqcn} is not native to harun: it runs Ansible's own Python code, and this host has no python3 (${r.stderr.trim()}). Install python3 on the host, or use harun's native modules, which need no Python: ${nativeNames().join(', ')}`,
        };
      }
      const out = mapResult(m.fqcn, r);
      if (m.actionPlugin) out.warnings = [...((out.warnings as string[]) ?? []), `${m.fqcn}: Ansible runs an action plugin on the controller before this module; harun ran the module alone`];
      return out;
    },
    async job(ctx, args): Promise<Job> {
      return { script: interpreterCmd(ctx), stdin: await payloadFor(ctx, m, args), spec: { kind: 'fallback', fqcn: m.fqcn } };
    },
  };
}
