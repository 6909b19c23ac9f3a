/**
 * Background jobs on a host (a task's `async`, and async_status): a module's work as one sh
 * command, detached from the connection, bounded by a time limit, its status in a results file
 * under Ansible's async dir (~/.ansible_async/<jid>). The launcher is one exec; reading the
 * status is one exec (and cleans up in that same exec when asked). Records are written to a
 * temporary name and renamed, so a reader never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { joinSh, quote, raw, sh, type Sh } from '../../shell/sh.js';
import type { ModuleContext, ModuleResult } from '../types.js';

/** One module's work as a single detached command, and what turns its output into a result later. */
export interface Job {
  /** The sh command, before become/environment wrapping (the launcher is wrapped as a whole). */
  script: Sh;
  stdin?: string | Buffer;
  /** JSON data the finisher needs; kept on the host next to the job. `kind` names the finisher. */
  spec: { kind: string } & Record<string, unknown>;
}

/** What the job left: its exit status, output and times. */
export interface JobOutput {
  rc: number | null;
  stdout: string;
  stderr: string;
  start: Date;
  end: Date;
}

type Finisher = (spec: Record<string, unknown>, out: JobOutput) => ModuleResult;
const finishers = new Map<string, Finisher>();

/** Modules that can run as a job register how their output becomes a result (command, fallback). */
export function registerFinisher(kind: string, f: Finisher): void {
  finishers.set(kind, f);
}

/** The async dir as a sh word: a leading ~/ is the (become) user's $HOME on the host. */
export function asyncDirWord(ctx: ModuleContext): Sh {
  const d = String(ctx.vars.ansible_async_dir ?? '~/.ansible_async');
  if (d === '~') return sh`"$HOME"`;
  return d.startsWith('~/') ? sh`"$HOME"/${d.slice(2)}` : quote(d);
}

// the detached part: runs the command in its own session (so the time limit kills all of it),
// then writes the final record atomically. $1 results file, $2 time limit (s), $3 the command.
const BODY = [
  'f=$1; n=$2; s=$(date +%s.%N)',
  'if command -v setsid >/dev/null 2>&1; then setsid sh -c "$3" <"$f.in" >"$f.out" 2>"$f.err" & else sh -c "$3" <"$f.in" >"$f.out" 2>"$f.err" & fi',
  'p=$!',
  // Ansible's watchdog looks every 5 s and kills after 5 + 5*ceil(limit/5) s; checking every
  // second with that deadline kills at the same time and ends soon after the job does
  'k=$(( (n + 4) / 5 * 5 + 5 ))',
  '( i=0; while kill -0 $p 2>/dev/null; do if [ $i -ge $k ]; then : >"$f.killed"; kill -9 -$p 2>/dev/null || kill -9 $p; break; fi; sleep 1; i=$((i+1)); done ) &',
  // the watchdog goes as soon as the job has: once reaped, its pid may be another process's
  'w=$!; wait $p; rc=$?; kill $w 2>/dev/null; e=$(date +%s.%N)',
  'if [ -e "$f.killed" ]; then r="{\\"failed\\": true, \\"msg\\": \\"Timeout exceeded\\", \\"child_pid\\": $p}"',
  'else r="{\\"started\\": 1, \\"finished\\": 1, \\"rc\\": $rc, \\"start\\": \\"$s\\", \\"end\\": \\"$e\\"}"; fi',
  'printf \'%s\\n\' "$r" >"$f.tmp" && mv -f "$f.tmp" "$f"; rm -f "$f.in" "$f.killed"',
].join('\n');

/** Start the job on the host: one exec. Returns the registered result of a fired job. */
export async function launchJob(ctx: ModuleContext, job: Job, limit: number): Promise<ModuleResult> {
  const id = `j${BigInt('0x' + randomBytes(6).toString('hex')) % 1000000000000n}`;
  const first = `{"started": 1, "finished": 0, "ansible_job_id": "%s"}\\n`;
  const script = joinSh([
    sh`umask 077; d=${raw(asyncDirWord(ctx))}; mkdir -p "$d" || exit 1`,
    sh`j=${id}.$$; f="$d/$j"`,
    job.stdin === undefined ? sh`: >"$f.in"` : sh`cat >"$f.in"`,
    sh`printf '%s' ${JSON.stringify(job.spec)} >"$f.spec"`,
    sh`printf ${first} "$j" >"$f.tmp" && mv -f "$f.tmp" "$f" || exit 1`,
    sh`nohup sh -c ${BODY} harun-async "$f" ${Math.ceil(limit)} ${job.script} >/dev/null 2>&1 </dev/null &`,
    sh`printf '%s\\n' "$j" "$f"`,
  ], '\n');
  const r = await ctx.runOk(script, { stdin: job.stdin });
  const [jid, file] = r.stdout.trim().split('\n');
  return { changed: true, failed: false, ansible_job_id: jid, started: 1, finished: 0, results_file: file };
}

export type JobStatus =
  | { state: 'missing'; file: string }
  | { state: 'running'; file: string }
  | { state: 'done'; file: string; result: ModuleResult };

const num = (v: unknown) => {
  const n = Number(v);
  return Number.isFinite(n) ? n : Number(String(v).split('.')[0]);
};

/** Read a job's status (one exec). clean: remove its files in the same exec once it finished. */
export async function readJob(ctx: ModuleContext, jid: string, clean: boolean): Promise<JobStatus> {
  const m = `harun-job-${randomBytes(6).toString('hex')}`;
  const files = raw('"$f" "$f.spec" "$f.out" "$f.err" "$f.in"');
  const script = joinSh([
    sh`f=${raw(asyncDirWord(ctx))}/${jid}`,
    sh`printf '%s\\n' "$f"; [ -f "$f" ] || { echo missing; exit 0; }`,
    // the record is read once: the job may finish while this runs, and what is removed is what was read
    sh`r=$(cat "$f"); echo present; printf '%s\\n%s\\n' "$r" ${m}; cat "$f.spec" 2>/dev/null; printf '\\n%s\\n' ${m}`,
    // a job launched a moment ago may not have opened its output files yet: none is no error
    sh`cat "$f.out" 2>/dev/null; printf '\\n%s\\n' ${m}; cat "$f.err" 2>/dev/null; :`,
    clean ? sh`case "$r" in *'"finished": 1'*|*'"failed": true'*) rm -f ${files};; esac` : sh``,
  ], '\n');
  const r = await ctx.runOk(script);
  const nl = r.stdout.indexOf('\n');
  const file = r.stdout.slice(0, nl);
  const rest = r.stdout.slice(nl + 1);
  if (rest.startsWith('missing')) return { state: 'missing', file };
  const [record, spec, stdout, stderr] = rest.slice('present\n'.length).split(`\n${m}\n`);
  const rec = JSON.parse(record) as Record<string, unknown>;
  // Ansible's async_status: a record without `started` (the time limit's) is a finished one
  if (rec.started !== undefined && rec.finished !== 1) return { state: 'running', file };
  if (rec.started === undefined) return { state: 'done', file, result: { changed: false, failed: true, msg: String(rec.msg), child_pid: rec.child_pid } };
  const s = JSON.parse(spec) as { kind: string };
  const finish = finishers.get(s.kind);
  if (!finish) throw new Error(`async job ${jid}: unknown kind '${s.kind}' in ${file}.spec`);
  const out = { rc: rec.rc as number, stdout, stderr: stderr ?? '', start: new Date(num(rec.start) * 1000), end: new Date(num(rec.end) * 1000) };
  return { state: 'done', file, result: finish(s, out) };
}

/** What async_status reports for a job, keys as Ansible's action plugin and module give them. */
export function statusResult(jid: string, st: JobStatus): ModuleResult {
  const base = { ansible_job_id: jid, results_file: st.file, started: 1, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] };
  if (st.state === 'missing') return { ...base, changed: false, failed: true, finished: 1, msg: 'could not find job' };
  if (st.state === 'running') return { ...base, changed: false, finished: 0 };
  return { ...base, ...st.result, ansible_job_id: jid, results_file: st.file, started: 1, finished: 1 };
}

/** async_status mode=cleanup: remove the job's files (one exec); false when there was no job. */
export async function removeJob(ctx: ModuleContext, jid: string): Promise<{ found: boolean; file: string }> {
  const r = await ctx.runOk(joinSh([
    sh`f=${raw(asyncDirWord(ctx))}/${jid}`,
    sh`printf '%s\\n' "$f"; [ -f "$f" ] || { echo missing; exit 0; }`,
    sh`rm -f "$f" "$f.spec" "$f.out" "$f.err" "$f.in"; echo removed`,
  ], '\n'));
  const [file, what] = r.stdout.trim().split('\n');
  return { found: what === 'removed', file };
}
