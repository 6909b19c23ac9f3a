/**
 * The failover as a timeline, for the report (JSON `timeline`, the HTML page): every probe
 * request with the real server that answered it, and the moments that matter, all in ms from
 * the fault on the controller's clock (the probe's own times are on the client's clock and are
 * moved by its offset). Pure data: failover.ts fills it in as it measures.
 */
import type { ProbeSample } from './parse.js';

export interface TimelineRequest {
  /** Sent, ms from the fault (negative: before it). */
  at: number;
  /** How long until the answer or the failure. */
  ms: number;
  ok: boolean;
  /** The real server whose page came back; absent when the request failed or the page is unknown. */
  server?: string;
  /** curl's exit status and the HTTP status (0 when none came). */
  rc: number;
  status: number;
  /** How long the client took to start curl before the request left. */
  launchMs: number;
}

export interface Timeline {
  /** When the fault was injected (controller clock, ms since the epoch). */
  faultEpochMs: number;
  fault: string;
  master: string;
  backup: string;
  /** The client probe's period; requests is empty when no probe ran (no data path). */
  probeIntervalMs: number;
  requests: TimelineRequest[];
  /** The VRRP bound the takeover is held against, from the fault. */
  boundMs: number;
  /** The bound plus the measurement slack verify allows for the takeover. */
  boundSlackMs: number;
  /** The backup was seen holding the VIP. */
  takeoverAt?: number;
  /** The client's last good answer before the outage and its first good answer after it. */
  lastGoodAt?: number;
  serviceBackAt?: number;
  /** Recovery: keepalived restarted on the old master, and the VIP back there (preemption). */
  restartAt?: number;
  vipBackAt?: number;
}

/** The probe's samples relative to the fault, each named by the real server whose page it got. */
export function timelineRequests(samples: ProbeSample[], faultOnClient: number, pages: Map<string, string>): TimelineRequest[] {
  const byBody = new Map([...pages].map(([host, page]) => [page.trim(), host]));
  return samples.map((s) => ({
    at: s.sent - faultOnClient,
    ms: s.done - s.sent,
    ok: s.ok,
    ...(s.ok && byBody.has(s.body.trim()) ? { server: byBody.get(s.body.trim()) } : {}),
    rc: s.rc,
    status: s.status,
    launchMs: s.launchMs,
  }));
}
