/**
 * What command, shell, script and raw share: creates/removes guards decided in the same round
 * trip as the command, and Ansible's result keys (rc, stdout_lines, start/end/delta, ...).
 */
import { randomBytes } from 'node:crypto';
import { asShell, joinSh, quote, raw, sh, type Sh } from '../../shell/sh.js';
import type { ModuleContext, ModuleResult } from '../types.js';

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
  /** What result.cmd reports (argv list for command, the text for shell). */
  reportCmd: unknown;
  stdin?: string | Buffer;
  stripEmptyEnds?: boolean;
  timeoutMs?: number;
}

/** Run a command under creates/removes/chdir with Ansible's result keys and check-mode rules. */
export async function runCommand(ctx: ModuleContext, spec: ExecSpec): Promise<ModuleResult> {
  const marker = `harun-skip-${randomBytes(6).toString('hex')}-`;
  const guards = guardScript(spec, marker);
  const cd = spec.chdir ? sh`cd ${spec.chdir} || exit 1; ` : sh``;
  const skipped = (which: string): ModuleResult => {
    const p = which === 'creates' ? spec.creates : spec.removes;
    const why = which === 'creates' ? 'exists' : 'does not exist';
    return {
      changed: false,
      rc: 0,
      cmd: spec.reportCmd,
      msg: `Did not run command since '${p}' ${why}`,
      stdout: `skipped, since ${p} ${why}`,
      stdout_lines: [`skipped, since ${p} ${why}`],
      stderr: '',
      stderr_lines: [],
    };
  };
  if (ctx.check) {
    // Ansible cannot know what a command would do: it runs only the guards in check mode
    if (!guards) return { changed: false, skipped: true, msg: 'Command would have run if not in check mode', cmd: spec.reportCmd };
    const r = await ctx.run(joinSh([cd, guards, sh`exit 0`], ''));
    const m = r.stdout.trim();
    if (m.startsWith(marker)) return skipped(m.slice(marker.length));
    return { changed: true, msg: 'Command would have run if not in check mode', cmd: spec.reportCmd, rc: 0, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] };
  }
  const start = new Date();
  const r = await ctx.run(joinSh([cd, guards ?? sh``, spec.script], ''), { stdin: spec.stdin, timeoutMs: spec.timeoutMs });
  const end = new Date();
  const m = r.stdout.trim();
  if (guards && m.startsWith(marker) && !m.includes('\n')) return skipped(m.slice(marker.length));
  const strip = spec.stripEmptyEnds ?? true;
  const stdout = strip ? r.stdout.replace(/[\r\n]+$/, '') : r.stdout;
  const stderr = strip ? r.stderr.replace(/[\r\n]+$/, '') : r.stderr;
  const rc = r.code ?? -1;
  const res: ModuleResult = {
    changed: true,
    rc,
    cmd: spec.reportCmd,
    stdout,
    stderr,
    stdout_lines: lines(stdout),
    stderr_lines: lines(stderr),
    start: stamp(start),
    end: stamp(end),
    delta: delta(end.getTime() - start.getTime()),
    msg: '',
  };
  if (r.signal) return { ...res, failed: true, msg: r.signal === 'timeout' ? 'command timed out' : `command ended by ${r.signal}` };
  if (rc !== 0) return { ...res, failed: true, msg: 'non-zero return code' };
  return res;
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
