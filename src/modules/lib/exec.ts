/**
 * What command, shell, script and raw share: creates/removes guards decided in the same round
 * trip as the command, and Ansible's result keys (rc, stdout_lines, start/end/delta, ...).
 */
import { randomBytes } from 'node:crypto';
import { asShell, joinSh, quote, raw, sh, type Sh } from '../../shell/sh.js';
import type { ModuleContext, ModuleResult } from '../types.js';
import { registerFinisher, type Job, type JobOutput } from './job.js';

export interface Guards {
  creates?: string;
  removes?: string;
  chdir?: string;
}

/** A path word for `[ -e ]` tests: quoted, except that * and ? still glob as in Ansible. */
function pathWord(p: string): string {
  return p.split(/([*?])/).map((part) => (part === '*' || part === '?' ? part : part === '' ? '' : quote(part))).join('');
}

/** sh that exits 0 with the skip marker when a guard says the command must not run. */
function guardScript(g: Guards, marker: string): Sh | undefined {
  const any = (p: string) => sh`harun_any=; for harun_f in ${raw(pathWord(p))}; do [ -e "$harun_f" ] && harun_any=1; done; `;
  const s: Sh[] = [];
  if (g.creates) s.push(any(g.creates), sh`[ -n "$harun_any" ] && { echo ${marker + 'creates'}; exit 0; }; `);
  if (g.removes) s.push(any(g.removes), sh`[ -z "$harun_any" ] && { echo ${marker + 'removes'}; exit 0; }; `);
  return s.length ? joinSh(s, '') : undefined;
}

function stamp(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}

function delta(ms: number): string {
  const s = Math.floor(ms / 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}.${String(Math.round((ms % 1000) * 1000)).padStart(6, '0')}`;
}

const lines = (s: string) => (s === '' ? [] : s.replace(/\n$/, '').split('\n'));

export interface ExecSpec extends Guards {
  /** The command as built for sh (argv quoted, or the shell text wrapped). */
  script: Sh;
  /**
   * script is one simple command (command's argv, shell's `/bin/sh -c TEXT`): run in the
   * foreground it replaces the shell that runs it (`exec`) instead of being forked from it.
   */
  simple?: boolean;
  /** What result.cmd reports (argv list for command, the text for shell). */
  reportCmd: unknown;
  stdin?: string | Buffer;
  stripEmptyEnds?: boolean;
  timeoutMs?: number;
  /** Run by the login user's own shell (raw without executable). */
  loginShell?: boolean;
}

/** What a command's result needs besides its output (kept on the host for an async job). */
interface ResultSpec {
  reportCmd: unknown;
  creates?: string;
  removes?: string;
  stripEmptyEnds?: boolean;
  /** The line the guards print when they skip the command. */
  marker: string;
}

/**
 * The command with its guards and chdir, as one sh script; spec is what commandResult needs.
 * In the foreground (not an async job's script, which goes on after it) a simple command is
 * exec'd: no process between the login shell and the command.
 */
function commandScript(spec: ExecSpec, foreground: boolean): { script: Sh; rs: ResultSpec; guards: Sh | undefined; cd: Sh } {
  const marker = `harun-skip-${randomBytes(6).toString('hex')}-`;
  const guards = guardScript(spec, marker);
  const cd = spec.chdir ? sh`cd ${spec.chdir} || exit 1; ` : sh``;
  const rs = { reportCmd: spec.reportCmd, creates: spec.creates, removes: spec.removes, stripEmptyEnds: spec.stripEmptyEnds, marker };
  return { script: joinSh([cd, guards ?? sh``, foreground && spec.simple ? sh`exec ` : sh``, spec.script], ''), rs, guards, cd };
}

function skippedResult(rs: ResultSpec, which: string): ModuleResult {
  const p = which === 'creates' ? rs.creates : rs.removes;
  const why = which === 'creates' ? 'exists' : 'does not exist';
  return {
    changed: false,
    rc: 0,
    cmd: rs.reportCmd,
    msg: `Did not run command since '${p}' ${why}`,
    stdout: `skipped, since ${p} ${why}`,
    stdout_lines: [`skipped, since ${p} ${why}`],
    stderr: '',
    stderr_lines: [],
  };
}

/** Ansible's result keys from a command's output (rc, stdout_lines, start/end/delta, ...). */
function commandResult(rs: ResultSpec, out: JobOutput, signal?: string): ModuleResult {
  const m = out.stdout.trim();
  if ((rs.creates || rs.removes) && m.startsWith(rs.marker) && !m.includes('\n')) {
    return skippedResult(rs, m.slice(rs.marker.length));
  }
  const strip = rs.stripEmptyEnds ?? true;
  const stdout = strip ? out.stdout.replace(/[\r\n]+$/, '') : out.stdout;
  const stderr = strip ? out.stderr.replace(/[\r\n]+$/, '') : out.stderr;
  const rc = out.rc ?? -1;
  const res: ModuleResult = {
    changed: true,
    rc,
    cmd: rs.reportCmd,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    start: stamp(out.start),
    end: stamp(out.end),
    delta: delta(out.end.getTime() - out.start.getTime()),
    msg: '',
  };
  if (signal) return { ...res, failed: true, msg: signal === 'timeout' ? 'command timed out' : `command ended by ${signal}` };
  if (rc !== 0) return { ...res, failed: true, msg: 'non-zero return code' };
  return res;
}

registerFinisher('command', (spec, out) => commandResult(spec as unknown as ResultSpec, out));

/** The command as a background job (a task's async): the same script, guards and result. */
export function commandJob(spec: ExecSpec): Job {
  const { script, rs } = commandScript(spec, false);
  return { script, stdin: spec.stdin, spec: { kind: 'command', ...rs } };
}

/** Run a command under creates/removes/chdir with Ansible's result keys and check-mode rules. */
export async function runCommand(ctx: ModuleContext, spec: ExecSpec): Promise<ModuleResult> {
  const { script, rs, guards, cd } = commandScript(spec, true);
  if (ctx.check) {
    // Ansible cannot know what a command would do: it runs only the guards in check mode, and
    // reports the command as it would have run (its module's result keys, nothing captured)
    const would = {
      msg: 'Command would have run if not in check mode', cmd: spec.reportCmd, rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [],
      start: null, end: null, delta: null,
    };
    if (!guards) return { ...would, changed: false, skipped: true };
    const r = await ctx.run(joinSh([cd, guards, sh`exit 0`], ''));
    const m = r.stdout.trim();
    if (m.startsWith(rs.marker)) return skippedResult(rs, m.slice(rs.marker.length));
    return { ...would, changed: true };
  }
  const start = new Date();
  const r = await ctx.run(script, { stdin: spec.stdin, timeoutMs: spec.timeoutMs, loginShell: spec.loginShell });
  const end = new Date();
  return commandResult(rs, { rc: r.code, stdout: r.stdout, stderr: r.stderr, start, end }, r.signal);
}

/**
 * argv words for sh, expanding $VAR, ${VAR} and a leading ~ on the host as Ansible's command
 * does by default (expand_argument_vars), with nothing else of the shell (no globs, no pipes).
 */
export function argvWords(argv: string[], expand: boolean): Sh {
  return asShell(
    argv
      .map((a) => {
        if (!expand || !/\$(\w|\{\w+\})|^~/.test(a)) return quote(a);
        const dq = (t: string) => (t === '' ? '' : '"' + t.replace(/[\\"`]/g, '\\$&').replace(/\$(?!\w|\{\w+\})/g, '\\$') + '"');
        // the tilde and its slash stay unquoted, or sh would not expand them
        if (/^~(\/|$)/.test(a)) return '~' + (a.length > 1 ? '/' + dq(a.slice(2)) : '');
        return dq(a);
      })
      .join(' '),
  );
}
