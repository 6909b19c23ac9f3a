/**
 * The numbers of a failover: the VRRP bound, the outage the client saw, and whether the
 * answers are spread as the scheduler promises. Pure functions over parsed samples.
 */
import type { ProbeSample } from './parse.js';

export interface VrrpBound {
  advertIntS: number;
  priority: number;
  /** 2 or 3: VRRPv3 scales the skew by the advert interval. */
  version: number;
  /** Skew time in ms: (256 - priority) / 256 s (VRRPv2), times advert_int (VRRPv3). */
  skewMs: number;
  /** Master down interval: 3 x advert_int + skew, in ms (RFC 3768 6.1, RFC 5798 6.1). */
  boundMs: number;
}

/** How long a BACKUP of `priority` waits without adverts before it takes the VIP. */
export function vrrpBound(advertIntS: number, priority: number, version = 2): VrrpBound {
  const skewMs = ((256 - priority) / 256) * 1000 * (version === 3 ? advertIntS : 1);
  return { advertIntS, priority, version, skewMs: Math.round(skewMs), boundMs: Math.round(3 * advertIntS * 1000 + skewMs) };
}

export function describeBound(b: VrrpBound): string {
  const v3 = b.version === 3;
  return `${v3 ? 'VRRPv3: ' : ''}3 x advert_int ${b.advertIntS} s + skew (256 - ${b.priority}) / 256${v3 ? ` x ${b.advertIntS}` : ''} s = ${b.boundMs} ms`;
}

export interface Outage {
  /**
   * Answer time of the last good answer before the outage (client clock, ms): the last one
   * before the fault, or a later one when the old master went on forwarding for a while.
   */
  lastGoodBefore?: number;
  /** Answer time of the first good answer after the outage. */
  firstGoodAfter?: number;
  /** firstGoodAfter - lastGoodBefore: what a client polling every interval saw. */
  outageMs?: number;
  /**
   * The outage at the earliest the evidence allows: from the first failed request of that
   * silence to the last one (each saw the service down when it was sent). The probe keeps its
   * 100 ms pace only on an idle client; on a loaded one its requests are up to seconds apart,
   * and outageMs grows by those gaps.
   */
  outageEarliestMs?: number;
  /** Failed requests sent from the last good answer on. */
  lost: number;
  /** Requests sent from the fault on, and how many of them were answered. */
  sentAfter: number;
  okAfter: number;
}

/**
 * The client-observed outage around `faultAt` (client clock). The outage ends with the good
 * answer that closes the longest silence after the last good answer before the fault: with a
 * SIGKILLed keepalived the old master may go on forwarding for a while, so the first good answer
 * after the fault need not be the end of the outage.
 */
export function computeOutage(samples: ProbeSample[], faultAt: number): Outage {
  const good = samples.filter((s) => s.ok).sort((a, b) => a.done - b.done);
  const before = good.filter((s) => s.done <= faultAt);
  const after = samples.filter((s) => s.sent >= faultAt);
  const out: Outage = { lost: 0, sentAfter: after.length, okAfter: after.filter((s) => s.ok).length };
  const last = before[before.length - 1];
  if (!last) return out;
  out.lastGoodBefore = last.done;
  out.lost = samples.filter((s) => !s.ok && s.sent >= last.sent).length;
  const later = good.filter((s) => s.done > faultAt);
  let prev = last.done;
  let widest = -1;
  for (const s of later) {
    if (s.done - prev > widest) {
      widest = s.done - prev;
      out.lastGoodBefore = prev;
      out.firstGoodAfter = s.done;
    }
    prev = s.done;
  }
  // a silence that lasts until the probe stopped is an outage that never ended
  const final = samples[samples.length - 1];
  if (final && !final.ok && final.done - prev > widest) {
    out.lastGoodBefore = prev;
    out.firstGoodAfter = undefined;
  }
  if (out.firstGoodAfter !== undefined) {
    const from = out.lastGoodBefore ?? last.done;
    out.outageMs = out.firstGoodAfter - from;
    // failed requests sent between the two good ones (a timed-out one can end after the next good answer)
    const fromSent = good.find((s) => s.done === from)?.sent ?? from;
    const toSent = good.find((s) => s.done === out.firstGoodAfter)!.sent;
    const failed = samples.filter((s) => !s.ok && s.sent > fromSent && s.sent < toSent);
    out.outageEarliestMs = failed.length ? failed[failed.length - 1].sent - failed[0].sent : 0;
  }
  return out;
}

/** The longest time between two consecutive probe requests' sends: the probe's real pace at its worst. */
export function widestSendGap(samples: ProbeSample[]): number {
  let gap = 0;
  for (let i = 1; i < samples.length; i++) gap = Math.max(gap, samples[i].sent - samples[i - 1].sent);
  return gap;
}

/** Counts of answers per real server, given each real server's own page (or pages). */
export function distribution(bodies: string[], pages: Map<string, string | string[]>): { counts: Record<string, number>; unknown: string[] } {
  const byBody = new Map<string, string>();
  for (const [host, page] of pages) for (const p of [page].flat()) byBody.set(p.trim(), host);
  const counts: Record<string, number> = Object.fromEntries([...pages.keys()].map((h) => [h, 0]));
  const unknown: string[] = [];
  for (const b of bodies) {
    const h = byBody.get(b.trim());
    if (h) counts[h]++;
    else unknown.push(b);
  }
  return { counts, unknown };
}

export interface SpreadVerdict {
  ok: boolean;
  why: string;
}

/**
 * Every real server answered; with rr, the connections IPVS scheduled to each differ by at most
 * one. `scheduled` is what the director's counters say it scheduled in the round (per real
 * server); without it the answers stand in for it. A request whose source port matches a
 * connection entry the director still holds (in direct routing an entry stays in FIN_WAIT for
 * two minutes after the client closed it, and a synced one likewise) goes to that entry's real
 * server without being scheduled: the answers can then differ by more than one while rr kept
 * its promise. Other schedulers promise no exact spread, so only "everyone answered" is checked.
 */
export function judgeSpread(counts: Record<string, number>, scheduler: string, scheduled?: Record<string, number>): SpreadVerdict {
  const hosts = Object.keys(counts);
  const silent = hosts.filter((h) => counts[h] === 0);
  const shown = formatCounts(counts);
  if (!hosts.length) return { ok: false, why: 'no real servers to compare' };
  if (silent.length) return { ok: false, why: `${silent.join(', ')} never answered (${shown})` };
  if (scheduler !== 'rr') return { ok: true, why: `every real server answered (${shown}); scheduler ${scheduler} promises no exact spread` };
  const basis = scheduled ?? counts;
  const values = Object.values(basis);
  const spread = Math.max(...values) - Math.min(...values);
  const reused = scheduled ? countsTotal(counts) - countsTotal(scheduled) : 0;
  const what = scheduled
    ? `IPVS scheduled ${formatCounts(scheduled)}; answers ${shown}` +
      (reused > 0 ? ` (${reused} request${reused === 1 ? '' : 's'} matched a connection entry the director still held for the client's source port, and went to its real server unscheduled)` : '')
    : shown;
  return spread <= 1
    ? { ok: true, why: `rr spread: ${what}; counts differ by ${spread}` }
    : { ok: false, why: `rr should spread evenly but counts differ by ${spread}: ${what}` };
}

/** The sum of counts per real server. */
export function countsTotal(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export function formatCounts(counts: Record<string, number> | undefined): string {
  if (!counts) return '-';
  return Object.entries(counts).map(([h, n]) => `${h} ${n}`).join(', ');
}
