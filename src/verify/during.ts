/**
 * harun verify --during -- COMMAND: the client probe of the failover step (one request through
 * the VIP every 100 ms, timed on the client's clock) runs for the whole length of a command, a
 * playbook run for instance, so that a change is seen from the client's side: requests sent and
 * failed, the longest gap between good answers, and which real servers answered before, during
 * and after it.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { OptionsError } from '../errors.js';
import { fetchPage } from './checks.js';
import { clusterSpec, Hosts, loadVerifyInventory } from './cluster.js';
import { distribution, formatCounts } from './figures.js';
import type { ProbeSample } from './parse.js';
import { clockOffset, startProbe, STEADY, stopProbe, waitSteady } from './probe.js';

/** How long the probe goes on after the command ended, to see the cluster settle. */
export const AFTER_MS = 3000;
/**
 * A request unanswered this long failed. Longer than the failover probe's 0.5 s: a rollout is
 * judged by whether clients got answers (the longest gap shows how late), and a client host
 * busy with the same change can take more than 0.5 s to run one curl.
 */
export const DURING_TIMEOUT_S = 2;
/** The probe loop ends by itself after this long, should harun be killed before it stops it. */
const PROBE_MAX_S = 6 * 3600;

export interface Phase {
  sent: number;
  failed: number;
  /** Answers per real server (pages read before and after the command). */
  servers: Record<string, number>;
  /** Good answers whose page is no real server's, by page (cut to 80 characters). */
  other: Record<string, number>;
}

export interface DuringReport {
  command: string[];
  commandExit: number;
  /** The command's wall time (controller clock). */
  commandMs: number;
  vip: string;
  port: number;
  client: string;
  before: Phase;
  during: Phase;
  after: Phase;
  /** Longest time between two good answers from the command's start to the end of the watch. */
  longestGapMs?: number;
  /** The failed requests from the command's start on: ms from its start, curl's exit, HTTP status. */
  failures: { at: number; rc: number; status: number }[];
  /** Why the watch is not trustworthy (no steady service before the command). */
  problem?: string;
}

/**
 * Pure: the probe's samples split around the command's run (client clock): before its start,
 * during it, after its end. `pages` maps each real server to the page it serves (or the pages,
 * before and after a rollout changed them).
 */
export function judgeDuring(samples: ProbeSample[], start: number, end: number, pages: Map<string, string | string[]>): Pick<DuringReport, 'before' | 'during' | 'after' | 'longestGapMs' | 'failures'> {
  const phase = (xs: ProbeSample[]): Phase => {
    const good = xs.filter((s) => s.ok);
    const d = distribution(good.map((s) => s.body), pages);
    const other: Record<string, number> = {};
    for (const b of d.unknown) other[b.slice(0, 80)] = (other[b.slice(0, 80)] ?? 0) + 1;
    return { sent: xs.length, failed: xs.length - good.length, servers: d.counts, other };
  };
  const watched = samples.filter((s) => s.sent >= start);
  // the gap runs from the last good answer before the command (if any) to each next good answer
  const good = samples.filter((s) => s.ok).sort((a, b) => a.done - b.done);
  const from = good.filter((s) => s.done < start).pop();
  const times = [...(from ? [from.done] : []), ...good.filter((s) => s.done >= start).map((s) => s.done)];
  let gap: number | undefined;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap ?? 0, times[i] - times[i - 1]);
  return {
    before: phase(samples.filter((s) => s.sent < start)),
    during: phase(samples.filter((s) => s.sent >= start && s.sent <= end)),
    after: phase(samples.filter((s) => s.sent > end)),
    longestGapMs: gap,
    failures: watched.filter((s) => !s.ok).map((s) => ({ at: s.sent - start, rc: s.rc, status: s.status })),
  };
}

/** 2 when a request failed (or the watch could not be trusted), 1 when the command failed, else 0. */
export function duringExitCode(r: DuringReport): number {
  if (r.problem || r.failures.length) return 2;
  return r.commandExit === 0 ? 0 : 1;
}

export interface DuringOptions {
  inventory: string[];
  client?: string;
  timeoutS: number;
  command: string[];
  /** Where the command's own output goes: 'inherit' for people, stderr when stdout is the report. */
  commandStdout: 'inherit' | 'stderr';
  log: (msg: string) => void;
}

/** Checks the inventory and the command before anything connects; returns the run. */
export function prepareDuring(o: DuringOptions): () => Promise<DuringReport> {
  if (!o.command.length) throw new OptionsError('--during: expected a command after --, e.g. harun verify --during -- harun play rollout.yml');
  const { inv, cli } = loadVerifyInventory(o.inventory);
  const spec = clusterSpec(inv, o.client);
  if (!spec.client) throw new OptionsError('--during sends its requests from a client host: add one to group clients, or name one with --client');
  const clientSpec = spec.client;
  return async () => {
    const hosts = new Hosts(cli);
    try {
      const client = hosts.runner(clientSpec);
      const realservers = spec.realservers.map((h) => hosts.runner(h));
      // each real server's pages: the one it served before the command and, if a rollout
      // changed it, the one it serves after
      const pages = new Map<string, string[]>(realservers.map((rs) => [rs.name, []]));
      const readPages = async () => {
        for (const rs of realservers) {
          const page = await fetchPage(client, rs, spec.port);
          if (page !== undefined && !pages.get(rs.name)!.includes(page)) pages.get(rs.name)!.push(page);
        }
      };
      await readPages();
      const off = await clockOffset(client);
      const probe = await startProbe(client, `http://${spec.vip}:${spec.port}/`, PROBE_MAX_S, DURING_TIMEOUT_S);
      let problem: string | undefined;
      try {
        const base = await waitSteady(probe, o.timeoutS * 1000);
        if (!base.steady) {
          const bad = base.samples.filter((x) => !x.ok).length;
          problem = `no ${STEADY} good answers in a row through ${spec.vip}:${spec.port} within ${o.timeoutS} s before the command (${base.samples.length} answered or failed by then, ${bad} failed): the service was not steady, so its failures cannot be told from the command's`;
        }
        o.log(`probe: a request to ${spec.vip}:${spec.port} every 100 ms from ${client.name}; running ${o.command.join(' ')}`);
        const start = Date.now();
        const commandExit = await runCommand(o.command, o.commandStdout);
        const end = Date.now();
        o.log(`command exited ${commandExit} after ${((end - start) / 1000).toFixed(1)} s; probing ${AFTER_MS / 1000} s more`);
        await sleep(AFTER_MS);
        const { samples } = await stopProbe(probe);
        await readPages();
        const judged = judgeDuring(samples, start + off, end + off, pages);
        return { command: o.command, commandExit, commandMs: end - start, vip: spec.vip, port: spec.port, client: client.name, ...judged, problem };
      } finally {
        await stopProbe(probe).catch(() => undefined);
      }
    } finally {
      await hosts.close();
    }
  };
}

/** Runs the command as given (no shell); its exit status, 128+n for a signal, 127 when it cannot start. */
function runCommand(argv: string[], stdout: 'inherit' | 'stderr'): Promise<number> {
  return new Promise((res) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['inherit', stdout === 'inherit' ? 'inherit' : process.stderr, 'inherit'] });
    child.on('error', (e) => {
      process.stderr.write(`verify --during: cannot run ${argv[0]}: ${e.message}\n`);
      res(127);
    });
    child.on('exit', (code, signal) => res(code ?? 128 + (signal ? 15 : 0)));
  });
}

export function renderDuringPlain(r: DuringReport): string {
  const phase = (name: string, p: Phase) => {
    const other = Object.entries(p.other).map(([b, n]) => `"${b}" ${n}`).join(', ');
    return `  ${name.padEnd(7)} ${String(p.sent).padStart(5)} sent, ${String(p.failed).padStart(3)} failed; answered by ${formatCounts(p.servers)}${other ? `; other pages: ${other}` : ''}`;
  };
  const out = [
    `Watched ${r.vip}:${r.port} from ${r.client} while running: ${r.command.join(' ')}`,
    `  command exited ${r.commandExit} after ${(r.commandMs / 1000).toFixed(1)} s`,
    phase('before', r.before),
    phase('during', r.during),
    phase('after', r.after),
    `  longest gap between good answers: ${r.longestGapMs === undefined ? '-' : `${Math.round(r.longestGapMs)} ms`}`,
    // the probe's pace is 100 ms; a client host busy with the change itself keeps a slower one
    `  pace during the command: ${r.during.sent ? `a request every ${Math.round(r.commandMs / r.during.sent)} ms on average` : 'no request sent'} (the probe aims at one every 100 ms)`,
  ];
  for (const f of r.failures.slice(0, 20)) out.push(`  failed request at +${f.at} ms: curl exit ${f.rc}, HTTP ${f.status || '-'}`);
  if (r.failures.length > 20) out.push(`  ... ${r.failures.length - 20} more failed requests`);
  if (r.problem) out.push(`  ${r.problem}`);
  const code = duringExitCode(r);
  out.push(code === 2 ? `FAILED: ${r.failures.length} requests failed while the command ran${r.problem ? ' (and the service was not steady before it)' : ''}`
    : code === 1 ? `every request answered, but the command failed (exit ${r.commandExit})` : 'PASSED: every request answered');
  return out.join('\n') + '\n';
}
