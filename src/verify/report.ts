/**
 * The verify report: per step, each check with its status and evidence, then the figures.
 * Rendered as plain text for people or as JSON for machines; the exit code follows from it.
 */
import { describeBound, formatCounts, type VrrpBound } from './figures.js';
import type { Timeline } from './timeline.js';
import { packageVersion } from '../package.js';

export type Status = 'pass' | 'fail' | 'not run';

export interface Check {
  step: 1 | 2 | 3 | 4;
  name: string;
  status: Status;
  /** What was seen (pass and fail), or why the check could not run. */
  detail: string;
  /** When it was decided, ms from the start of verify. */
  atMs?: number;
}

export interface Figures {
  /** Client-observed outage, last good answer before the fault to first good after. */
  outageMs?: number;
  /** The outage at the earliest: from the first failed probe request of it to the last. */
  outageEarliestMs?: number;
  /** Fault injected to VIP present on the backup: at the latest (the start of the fault to the first check that saw it). */
  takeoverMs?: number;
  /** The same at the earliest (the end of the fault to the last check that did not see it). */
  takeoverEarliestMs?: number;
  bound?: VrrpBound;
  /** Probe requests that failed from the last good answer before the fault on (the outage's). */
  requestsLost?: number;
  probeRequests?: number;
  /** Every probe request that failed, before the fault too: more than requestsLost means failures outside the outage. */
  probeFailed?: number;
  /** Answers per real server to the round of requests before the fault, and after it. */
  distributionBefore?: Record<string, number>;
  distributionAfter?: Record<string, number>;
  /** New connections the director's IPVS scheduled to each real server in those rounds. */
  scheduledBefore?: Record<string, number>;
  scheduledAfter?: Record<string, number>;
  /** Recovery: keepalived restarted to VIP back on the old master. */
  returnMs?: number;
  /** Connections open through the failover that verify could judge (a download, an idle keep-alive one). */
  longLivedConnections?: number;
  /** Of those, how many broke (reset, cut short, damaged, or answered by another real server). */
  longLivedBroken?: number;
}

export interface Report {
  inventory: string[];
  vip: string;
  port: number;
  fault: string;
  master?: string;
  backup?: string;
  checks: Check[];
  figures: Figures;
  /** The probe's requests and the failover's moments (absent when no fault was injected). */
  timeline?: Timeline;
  /** When verify started (ISO 8601, UTC). */
  startedAt?: string;
  elapsedMs: number;
}

export const STEP_TITLES: Record<Check['step'], string> = {
  1: 'Cluster state',
  2: 'Traffic through the VIP',
  3: 'Failover',
  4: 'Recovery',
};

/** 0: every check passed; 1: one failed; 2: none failed but some could not run. */
export function exitCodeOf(checks: Check[]): number {
  if (checks.some((c) => c.status === 'fail')) return 1;
  if (checks.some((c) => c.status === 'not run')) return 2;
  return checks.length ? 0 : 2;
}

export function verdict(checks: Check[]): string {
  const n = (s: Status) => checks.filter((c) => c.status === s).length;
  const code = exitCodeOf(checks);
  const counts = `${n('pass')} passed, ${n('fail')} failed, ${n('not run')} not run`;
  if (code === 0) return `PASS: every check passed (${counts})`;
  if (code === 1) return `FAIL (${counts})`;
  return `INCOMPLETE: nothing failed, but not every check could run (${counts})`;
}

const ms = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v)} ms`);

export function renderPlain(r: Report): string {
  const out: string[] = [];
  const who = r.master ? ` on ${r.master}${r.backup ? ` (backup ${r.backup})` : ''}` : '';
  out.push(`harun verify: VIP ${r.vip}:${r.port}, fault ${r.fault}${who}`);
  for (const step of [1, 2, 3, 4] as const) {
    const cs = r.checks.filter((c) => c.step === step);
    if (!cs.length) continue;
    out.push('', `${step}. ${STEP_TITLES[step]}`);
    for (const c of cs) {
      const tag = c.status === 'pass' ? 'PASS   ' : c.status === 'fail' ? 'FAIL   ' : 'NOT RUN';
      out.push(`  ${tag} ${c.name}`);
      for (const line of c.detail.split('\n')) if (line.trim()) out.push(`          ${line}`);
    }
  }
  const f = r.figures;
  out.push('', 'Figures');
  out.push(`  client-observed outage   ${ms(f.outageMs)}${f.outageEarliestMs !== undefined && f.outageMs !== undefined && f.outageEarliestMs < f.outageMs - 100 ? ` (at the earliest ${ms(f.outageEarliestMs)})` : ''}${f.probeRequests !== undefined ? ` (probe: ${f.probeRequests} requests aimed 100 ms apart, ${f.probeFailed ?? 0} failed)` : ''}`);
  out.push(`  VIP takeover             ${ms(f.takeoverMs)}${f.takeoverEarliestMs !== undefined && f.takeoverMs !== undefined && f.takeoverEarliestMs < f.takeoverMs - 100 ? ` (at the earliest ${ms(f.takeoverEarliestMs)})` : ''}`);
  out.push(`  VRRP bound               ${f.bound ? describeBound(f.bound) : '-'}`);
  out.push(`  requests lost            ${f.requestsLost ?? '-'}${f.requestsLost !== undefined ? ' (from the last good answer before the fault)' : ''}`);
  const scheduled = (c?: Record<string, number>) => (c ? ` (IPVS scheduled ${formatCounts(c)})` : '');
  out.push(`  distribution before      ${formatCounts(f.distributionBefore)}${scheduled(f.scheduledBefore)}`);
  out.push(`  distribution after       ${formatCounts(f.distributionAfter)}${scheduled(f.scheduledAfter)}`);
  if (f.longLivedConnections !== undefined) out.push(`  long-lived connections   ${f.longLivedConnections} open through the failover, ${f.longLivedBroken ?? 0} broken`);
  if (f.returnMs !== undefined) out.push(`  VIP back on old master   ${ms(f.returnMs)} after ${r.fault === 'crash' ? 'its lab began to boot it again' : 'keepalived restarted'}`);
  out.push('', `${verdict(r.checks)} in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return out.join('\n') + '\n';
}

/**
 * The version of the JSON document's shape (docs/verify-json.md). Adding a field keeps it;
 * renaming, removing or changing the meaning of one raises it.
 */
export const JSON_SCHEMA_VERSION = 1;

export function renderJson(r: Report): string {
  return JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, harunVersion: packageVersion(), ...r, result: verdict(r.checks), exitCode: exitCodeOf(r.checks) }, null, 2) + '\n';
}
