/**
 * Client-side measurements. The failover probe is ONE sh loop started in the background on
 * the client: every 100 ms it sends a request with a short timeout in a subshell, and appends
 * `BEFORE RC BODY HTTP_CODE TIME_TOTAL AFTER` to a log on the client (see parseProbeLog); the timestamps are the
 * client's clock, so SSH latency never enters the figures. The log is read while it runs
 * (to see when service is back) and collected after.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { joinSh, raw, sh } from '../shell/sh.js';
import type { Runner } from './cluster.js';
import { parseProbeLog, parseTraffic, type ProbeSample } from './parse.js';

export const PROBE_INTERVAL_MS = 100;
/** Per-request timeout of the probe: short, so a lost request costs one interval or so. */
export const PROBE_TIMEOUT_S = 0.5;

export interface ProbeHandle {
  client: Runner;
  log: string;
  stop: string;
  /** Per-request timeout (s). */
  timeoutS: number;
}

/** The loop as it runs on the client (exported for tests of its shape). */
export function probeScript(url: string, log: string, stop: string, maxSeconds: number, timeoutS = PROBE_TIMEOUT_S): string {
  const iterations = Math.ceil((maxSeconds * 1000) / PROBE_INTERVAL_MS);
  // set -f: the body's words are echoed unquoted (joins its lines), so no globbing of them
  return [
    'set -f',
    sh`rm -f ${stop}; : > ${log}`,
    // The clock is read by the shell's builtin read of /proc/uptime (10 ms steps), not by
    // `date`: on a loaded client every fork takes up to seconds, and the probe's own
    // subshells are what load it. One `date` here ties uptime to the epoch (parseProbeLog).
    sh`read a _ < /proc/uptime; e=$(date +%s%3N); read b _ < /proc/uptime; echo "E $e $a $b" >> ${log}`,
    'i=0',
    sh`while [ "$i" -lt ${iterations} ] && [ ! -e ${stop} ]; do`,
    sh`  ( read u _ < /proc/uptime; r=$(curl -s -m ${timeoutS} -w ' %{http_code} %{time_total}' ${url} 2>/dev/null); rc=$?; read v _ < /proc/uptime; echo "$u $rc" $r "$v" >> ${log} ) &`,
    `  sleep ${PROBE_INTERVAL_MS / 1000}`,
    '  i=$((i+1))',
    'done',
    'wait',
  ].join('\n');
}

export async function startProbe(client: Runner, url: string, maxSeconds: number, timeoutS = PROBE_TIMEOUT_S): Promise<ProbeHandle> {
  const id = `${process.pid}-${Date.now()}`;
  const log = `/tmp/harun-verify-probe-${id}.log`;
  const stop = `/tmp/harun-verify-probe-${id}.stop`;
  const script = probeScript(url, log, stop, maxSeconds, timeoutS);
  // setsid + every descriptor redirected: the SSH channel returns at once, the loop runs on
  const r = await client.run(sh`command -v curl >/dev/null || { echo 'curl is not installed' >&2; exit 3; }; (setsid sh -c ${script} </dev/null >/dev/null 2>&1 &) ; echo started`);
  if (r.code !== 0 || !r.stdout.includes('started')) throw new Error(`${client.name}: cannot start the probe: ${(r.stderr || r.stdout).trim()}`);
  return { client, log, stop, timeoutS };
}

export async function readProbe(h: ProbeHandle): Promise<ProbeSample[]> {
  const r = await h.client.run(sh`cat ${h.log} 2>/dev/null`);
  return parseProbeLog(r.stdout).samples;
}

/** Good answers in a row that make a steady baseline. */
export const STEADY = 10;

/**
 * Reads the probe every 500 ms until its last STEADY requests were all answered (and at least
 * minMs went by), or until timeoutMs passed; says which, with what it read last.
 */
export async function waitSteady(h: ProbeHandle, timeoutMs: number, minMs = 0): Promise<{ steady: boolean; samples: ProbeSample[]; waited: number }> {
  const start = Date.now();
  for (;;) {
    await sleep(500);
    const samples = await readProbe(h);
    const waited = Date.now() - start;
    const steady = samples.length >= STEADY && samples.slice(-STEADY).every((x) => x.ok);
    if ((steady && waited >= minMs) || waited > timeoutMs) return { steady, samples, waited };
  }
}

/** Stops the loop, waits for its last requests, returns every sample and removes its files. */
export async function stopProbe(h: ProbeHandle): Promise<{ samples: ProbeSample[]; malformed: number }> {
  const r = await h.client.run(
    sh`touch ${h.stop}; sleep ${h.timeoutS + 0.3}; cat ${h.log} 2>/dev/null; rm -f ${h.log} ${h.stop}`,
  );
  return parseProbeLog(r.stdout);
}

/** N requests to `url`, each a new connection (a new curl), in one remote loop. */
export async function traffic(client: Runner, url: string, n: number): Promise<{ bodies: string[]; failures: string[] }> {
  const script = joinSh([
    sh`set -f`,
    sh`i=0`,
    sh`while [ "$i" -lt ${n} ]; do`,
    sh`  r=$(curl -fsS -m 3 ${url} 2>&1); rc=$?`,
    sh`  if [ "$rc" -eq 0 ]; then echo ok $r; else echo fail "rc=$rc" $r; fi`,
    sh`  i=$((i+1))`,
    sh`done`,
  ], '\n');
  const r = await client.run(script, 60_000 + n * 3_500);
  return parseTraffic(r.stdout);
}

/**
 * The host's clock minus the controller's, in ms (half the round trip is the error): the
 * fault is injected from one place and seen from another, and all times are compared on
 * the controller's clock.
 */
export async function clockOffset(h: Runner): Promise<number> {
  let best: { rtt: number; off: number } | undefined;
  for (let i = 0; i < 3; i++) {
    const t0 = Date.now();
    const r = await h.run(sh`date +%s%3N`);
    const t1 = Date.now();
    const t = Number(r.stdout.trim());
    if (!Number.isFinite(t) || t < 1e12) throw new Error(`${h.name}: cannot read the clock in ms (date +%s%3N said "${r.stdout.trim()}")`);
    const cand = { rtt: t1 - t0, off: t - (t0 + t1) / 2 };
    if (!best || cand.rtt < best.rtt) best = cand;
  }
  // an offset within the measurement error is no offset: a loaded host's SSH round trip can
  // take seconds, and the same machine's (or NTP-synced) clocks agree better than that
  return Math.abs(best!.off) <= best!.rtt / 2 ? 0 : Math.round(best!.off);
}

/** When a wait saw the VIP change, on the host's clock (ms). */
export interface Seen {
  /** Right after the check that saw the change. */
  at: number;
  /**
   * Right before the last check that did not see it: the change came after this. Undefined when
   * the first check already saw it. On a loaded host one check (two forks) can take hundreds of
   * ms, so the change is only known to lie between `before` and `at`.
   */
  before?: number;
}

/**
 * Waits on `h` until the VIP is (or is no longer) on one of its interfaces; returns when that
 * was seen, on the host's clock, or undefined after `timeoutMs`. One remote loop, 50 ms steps.
 */
export async function waitVip(h: Runner, vip: string, present: boolean, timeoutMs: number): Promise<Seen | undefined> {
  const steps = Math.ceil(timeoutMs / 50);
  const test = raw(present ? '' : '!');
  const script = joinSh([
    sh`i=0; p=-`,
    sh`while [ "$i" -lt ${steps} ]; do`,
    sh`  t=$(date +%s%3N)`,
    sh`  if ${test} ip -o addr show | grep -qF ${` inet ${vip}/`}; then echo "$p $(date +%s%3N)"; exit 0; fi`,
    sh`  p=$t; sleep 0.05; i=$((i+1))`,
    sh`done`,
    sh`exit 1`,
  ], '\n');
  const r = await h.run(script, timeoutMs + 30_000);
  const [before, at] = r.stdout.trim().split(' ').map(Number);
  if (r.code !== 0 || !Number.isFinite(at)) return undefined;
  return { at, before: Number.isFinite(before) ? before : undefined };
}
