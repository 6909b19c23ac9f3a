/**
 * Steps 1 and 2 of verify: the state of the cluster (who holds the VIP, the IPVS tables, the
 * real servers' VIP on lo, ARP settings and pages) and traffic through the VIP from the client.
 * One round trip per host for the state; one remote loop for the traffic.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { asShell, joinSh, raw, sh } from '../shell/sh.js';
import { parseAddrLines, type AddrLine } from '../facts/network.js';
import type { ClusterSpec, Runner } from './cluster.js';
import { distribution, judgeSpread } from './figures.js';
import {
  findService, holdersOf, parseIpvsadm, parseKeepalivedConf, parseKeyValues, parseSyncDaemons, sections,
  type IpvsService, type KeepalivedConf, type SyncDaemon,
} from './parse.js';
import { traffic } from './probe.js';
import type { Check, Figures } from './report.js';
import type { Timeline } from './timeline.js';

export interface Ctx {
  spec: ClusterSpec;
  directors: Runner[];
  realservers: Runner[];
  client?: Runner;
  requests: number;
  timeoutMs: number;
  checks: Check[];
  figures: Figures;
  /** The failover's timeline, once a fault was injected. */
  timeline?: Timeline;
  /** When verify started (controller clock), for each check's time. */
  startedAt: number;
  log: (msg: string) => void;
}

export function add(ctx: Ctx, step: Check['step'], name: string, status: Check['status'], detail: string): Check {
  const c = { step, name, status, detail, atMs: Date.now() - ctx.startedAt };
  ctx.checks.push(c);
  ctx.log(`${status === 'pass' ? 'PASS' : status === 'fail' ? 'FAIL' : 'NOT RUN'}: ${name}${status === 'pass' ? '' : `: ${detail.split('\n')[0]}`}`);
  return c;
}

/** The six sysctls of the seed's real servers and the value each must have. */
export const ARP_SYSCTLS: ReadonlyArray<[string, string]> = ['all', 'default', 'lo'].flatMap((i) => [
  [`net.ipv4.conf.${i}.arp_ignore`, '1'],
  [`net.ipv4.conf.${i}.arp_announce`, '2'],
] as Array<[string, string]>);

export type IpvsState = { kind: 'ok'; services: IpvsService[]; text: string } | { kind: 'absent' } | { kind: 'error'; text: string };

export interface DirectorState {
  runner: Runner;
  addrs: AddrLine[];
  holdsVip: boolean;
  ipvs: IpvsState;
  conf: KeepalivedConf;
  keepalived: string;
  /** The IPVS connection sync daemons running in its kernel. */
  syncd: { master?: SyncDaemon; backup?: SyncDaemon };
}

/** What the IPVS section of the director script printed. */
export function ipvsOf(text: string): IpvsState {
  const t = text.trim();
  if (t === 'no-ipvs') return { kind: 'absent' };
  if (/^ipvsadm-rc=/m.test(t) || !/IP Virtual Server/.test(t)) return { kind: 'error', text: t };
  return { kind: 'ok', services: parseIpvsadm(t), text: t };
}

/** The IPVS part: loads ip_vs when it can; says `no-ipvs` when the kernel has none. */
export const IPVS_SCRIPT = asShell(
  'if [ -e /proc/net/ip_vs ] || { modprobe -q ip_vs 2>/dev/null && [ -e /proc/net/ip_vs ]; }; then ipvsadm -Ln 2>&1 || echo "ipvsadm-rc=$?"; else echo no-ipvs; fi',
);

export async function directorState(ctx: Ctx, d: Runner, confPath: string): Promise<DirectorState> {
  const r = await d.run(
    joinSh([
      sh`echo "--- addr"; ip -o addr show`,
      sh`echo "--- ipvs"; ${raw(IPVS_SCRIPT)}`,
      sh`echo "--- conf"; cat ${confPath} 2>/dev/null`,
      sh`echo "--- keepalived"; pidof keepalived 2>/dev/null || pgrep -x keepalived || true`,
      sh`echo "--- syncd"; [ -e /proc/net/ip_vs ] && ipvsadm -L --daemon 2>/dev/null`,
    ], '\n'),
  );
  const s = sections(r.stdout);
  const addrs = parseAddrLines(s.get('addr') ?? '');
  return {
    runner: d,
    addrs,
    holdsVip: holdersOf(addrs, ctx.spec.vip).length > 0,
    ipvs: ipvsOf(s.get('ipvs') ?? ''),
    conf: parseKeepalivedConf(s.get('conf') ?? ''),
    keepalived: (s.get('keepalived') ?? '').trim(),
    syncd: parseSyncDaemons(s.get('syncd') ?? ''),
  };
}

/** The IPVS table of `d` against the real servers: pass, fail or not run, with the evidence. */
export function judgeIpvs(ctx: Ctx, d: DirectorState): { status: Check['status']; detail: string } {
  const { vip, port } = ctx.spec;
  const name = d.runner.name;
  if (d.ipvs.kind === 'absent') return { status: 'not run', detail: noIpvs(name) };
  if (d.ipvs.kind === 'error') return { status: 'fail', detail: `ipvsadm -Ln on ${name} failed: ${d.ipvs.text.split('\n').slice(0, 3).join(' ')}` };
  const svc = findService(d.ipvs.services, vip, port);
  if (!svc) return { status: 'fail', detail: `no virtual service ${vip}:${port} in the IPVS table of ${name}:\n${d.ipvs.text}` };
  const listed = svc.reals.map((r) => `${r.address}:${r.port}`);
  const missing = ctx.realservers.filter((rs) => !svc.reals.some((r) => r.address === rs.address && r.port === port));
  const shown = `${svc.proto} ${vip}:${port} ${svc.scheduler} -> ${listed.join(', ') || 'nothing'}`;
  if (missing.length) return { status: 'fail', detail: `${shown}; missing ${missing.map((m) => `${m.name} (${m.address}:${port})`).join(', ')}` };
  const notRoute = svc.reals.filter((r) => r.forward && r.forward !== 'Route');
  if (notRoute.length) return { status: 'fail', detail: `${shown}; not direct routing: ${notRoute.map((r) => `${r.address} ${r.forward}`).join(', ')}` };
  return { status: 'pass', detail: shown };
}

export function noIpvs(host: string): string {
  return `the kernel of ${host} has no IPVS (ip_vs): the LVS data path cannot run there (a docker lab shares this machine's kernel; harun lab up --provider uml boots hosts with their own kernel)`;
}

export interface State {
  directors: DirectorState[];
  /** The one director holding the VIP, when exactly one does. */
  holder?: DirectorState;
  /** Each real server's own page, by host name (to tell answers apart). */
  pages: Map<string, string>;
  /** Why traffic through the VIP cannot be checked (no client, no IPVS on the holder). */
  noDataPath?: string;
}

/** Step 1. */
export async function checkState(ctx: Ctx, confPath: string): Promise<State> {
  const { vip, port } = ctx.spec;
  // Right after keepalived starts (site.yml's last play) the election takes a few adverts:
  // give the cluster up to the timeout to settle on one holder before judging it.
  const t0 = Date.now();
  let directors = await Promise.all(ctx.directors.map((d) => directorState(ctx, d, confPath)));
  while (directors.filter((d) => d.holdsVip).length !== 1 && directors.every((d) => d.keepalived) && Date.now() - t0 < ctx.timeoutMs) {
    await sleep(500);
    directors = await Promise.all(ctx.directors.map((d) => directorState(ctx, d, confPath)));
  }
  const waited = Date.now() - t0 > 1000 ? ` (settled after ${Date.now() - t0} ms)` : '';
  const holders = directors.filter((d) => d.holdsVip);
  const holdDetail = directors
    .map((d) => `${d.runner.name}: ${holdersOf(d.addrs, vip).map((a) => `${a.address}/${a.prefix} on ${a.label}`).join(', ') || 'no VIP'}`)
    .join('; ') + waited;
  add(ctx, 1, `exactly one director holds the VIP ${vip}`, holders.length === 1 ? 'pass' : 'fail', holders.length === 1 ? holdDetail : `${holders.length} directors hold it: ${holdDetail}`);
  const dead = directors.filter((d) => !d.keepalived);
  add(ctx, 1, 'keepalived runs on every director', dead.length ? 'fail' : 'pass', directors.map((d) => `${d.runner.name}: ${d.keepalived ? `pid ${d.keepalived.split(/\s+/).join(' ')}` : 'not running'}`).join('; '));
  const holder = holders.length === 1 ? holders[0] : undefined;
  let noDataPath: string | undefined;
  if (holder) {
    const j = judgeIpvs(ctx, holder);
    add(ctx, 1, `the IPVS table on ${holder.runner.name} lists every real server`, j.status, j.detail);
    if (holder.ipvs.kind === 'absent') noDataPath = noIpvs(holder.runner.name);
    else checkSyncDaemons(ctx, holder, directors);
  } else {
    add(ctx, 1, 'the IPVS table of the VIP holder lists every real server', 'not run', 'no single director holds the VIP');
    noDataPath = 'no single director holds the VIP';
  }
  const pages = new Map<string, string>();
  await Promise.all(ctx.realservers.map((rs) => checkRealserver(ctx, rs, pages)));
  if (!ctx.client) noDataPath = `the inventory has no host in group 'clients' to send requests from`;
  ctx.log(`state: VIP on ${holder?.runner.name ?? '?'}; port ${port}`);
  return { directors, holder, pages, noDataPath };
}

/**
 * IPVS connection sync: the VIP holder must send the connections it forwards, every other
 * director receive them, under one sync id. Two ways to run the kernel's daemons: keepalived's
 * lvs_sync_daemon (master on the VRRP MASTER, backup on the others, swapped at each transition),
 * or both daemons on every director all the time (the keepalived role's harun-ipvs-sync unit).
 * A director without lvs_sync_daemon is held to the second. Where no director syncs either way
 * there is nothing to check here; the long-lived connections of the failover step show the cost.
 */
function checkSyncDaemons(ctx: Ctx, holder: DirectorState, directors: DirectorState[]): void {
  const v = judgeSync(holder, directors);
  if (v) add(ctx, 1, 'IPVS connection sync runs: the VIP holder sends its connections, every other director receives them', v.ok ? 'pass' : 'fail', v.detail);
}

export function judgeSync(holder: DirectorState, directors: DirectorState[]): { ok: boolean; detail: string } | undefined {
  if (!directors.some((d) => d.conf.lvsSync || d.syncd.master || d.syncd.backup)) return undefined;
  const show = (d: DirectorState) =>
    `${d.runner.name}: ${(['master', 'backup'] as const).filter((k) => d.syncd[k]).map((k) => `${k} (${d.syncd[k]!.iface}, syncid ${d.syncd[k]!.syncid})`).join(', ') || 'none'}`;
  const want = (d: DirectorState): Array<'master' | 'backup'> => (!d.conf.lvsSync ? ['master', 'backup'] : d === holder ? ['master'] : ['backup']);
  const ids = new Set(directors.flatMap((d) => want(d).flatMap((k) => (d.syncd[k] ? [d.syncd[k]!.syncid] : []))));
  const problems = [
    ...directors.flatMap((d) => want(d).filter((k) => !d.syncd[k]).map((k) =>
      `${d.runner.name} runs no ${k} sync daemon${d.conf.lvsSync ? ' (keepalived runs it: lvs_sync_daemon)' : ''}`)),
    ...(ids.size > 1 ? [`the sync ids differ (${[...ids].join(', ')}): a backup daemon drops what a master of another id sends`] : []),
  ];
  return { ok: problems.length === 0, detail: `${problems.length ? `${problems.join('; ')}; ` : ''}${directors.map(show).join('; ')}` };
}

const pageRequest = (url: string) => sh`curl -fsS -m 5 ${url}`;
/** A page as the probe logs it: its words joined by single spaces. */
const pageOf = (body: string) => body.trim().split(/\s+/).join(' ');

/** The page a real server serves on its own address, asked from `from`; undefined when it does not answer. */
export async function fetchPage(from: Runner, rs: Runner, port: number): Promise<string | undefined> {
  const h = await from.run(pageRequest(`http://${rs.address}:${port}/`));
  return h.code === 0 ? pageOf(h.stdout) : undefined;
}

async function checkRealserver(ctx: Ctx, rs: Runner, pages: Map<string, string>): Promise<void> {
  const { vip, port } = ctx.spec;
  const r = await rs.run(
    joinSh([
      sh`echo "--- lo"; ip -o addr show dev lo`,
      sh`echo "--- sysctl"`,
      ...ARP_SYSCTLS.map(([k]) => sh`echo ${k}="$(cat ${`/proc/sys/${k.replace(/\./g, '/')}`} 2>/dev/null)"`),
    ], '\n'),
  );
  const s = sections(r.stdout);
  const onLo = holdersOf(parseAddrLines(s.get('lo') ?? ''), vip).filter((a) => a.dev === 'lo');
  const sys = parseKeyValues(s.get('sysctl') ?? '');
  const wrong = ARP_SYSCTLS.filter(([k, v]) => sys.get(k) !== v).map(([k, v]) => `${k}=${sys.get(k) || '?'} (want ${v})`);
  const problems = [...(onLo.length ? [] : [`no ${vip} on lo`]), ...wrong];
  add(ctx, 1, `${rs.name} holds the VIP on lo and the ARP sysctls`, problems.length ? 'fail' : 'pass',
    problems.length ? problems.join('; ') : `${vip}/${onLo[0].prefix} on ${onLo[0].label}; ${ARP_SYSCTLS.map(([k, v]) => `${k.replace('net.ipv4.conf.', '')}=${v}`).join(' ')}`);
  // from the client, as a user would; from the real server itself when there is none
  const from = ctx.client ?? rs;
  const url = `http://${rs.address}:${port}/`;
  const h = await from.run(pageRequest(url));
  if (h.code === 0) pages.set(rs.name, pageOf(h.stdout));
  add(ctx, 1, `${rs.name} answers HTTP on its own address ${rs.address}:${port}`, h.code === 0 ? 'pass' : 'fail',
    h.code === 0 ? `curl ${url} from ${from.name}: "${h.stdout.trim().slice(0, 80)}"` : `curl ${url} from ${from.name} failed (exit ${h.code}): ${h.stderr.trim()}`);
}

/** The virtual service vip:port of `d` with its counters (`ipvsadm -Ln --stats`). */
export async function ipvsStats(d: Runner, vip: string, port: number): Promise<IpvsService | undefined> {
  const r = await d.run(sh`ipvsadm -Ln --stats 2>/dev/null`);
  return r.code === 0 ? findService(parseIpvsadm(r.stdout), vip, port) : undefined;
}

/** The kernel adds up its per-CPU IPVS counters for ipvsadm once per estimator period. */
const ESTIMATOR_MS = 2000;

/**
 * The connections `d` scheduled since `before`, in all and per real server address: read until
 * every one of `expect` requests is counted, or a whole estimator period added nothing more
 * (requests that matched an entry it held are never counted), at most four periods.
 */
export async function scheduledSince(d: Runner, vip: string, port: number, before: IpvsService, expect: number): Promise<{ total: number; byAddress: Map<string, number> } | undefined> {
  const t0 = Date.now();
  let last: { total: number; at: number } | undefined;
  for (;;) {
    const now = await ipvsStats(d, vip, port);
    if (!now) return undefined;
    const total = now.conns - before.conns;
    const stale = last !== undefined && last.total === total && Date.now() - last.at > ESTIMATOR_MS + 250;
    if (total >= expect || stale || Date.now() - t0 > 4 * ESTIMATOR_MS) {
      const byAddress = new Map(now.reals.map((r) => [r.address, r.conns - (before.reals.find((b) => b.address === r.address && b.port === r.port)?.conns ?? 0)]));
      return { total, byAddress };
    }
    if (last?.total !== total) last = { total, at: Date.now() };
    await sleep(500);
  }
}

/** What a round of requests through the VIP showed: answers per real server, and what IPVS scheduled. */
export interface TrafficRound {
  answers?: Record<string, number>;
  /** New connections the director's IPVS scheduled to each real server during the round. */
  scheduled?: Record<string, number>;
}

/**
 * One round of N requests through the VIP, judged as step `step`. `director` is the one the
 * traffic should pass: its IPVS counters are read around the round.
 */
export async function checkTraffic(ctx: Ctx, step: 2 | 3 | 4, state: State, via: string, scheduler: string, director?: Runner): Promise<TrafficRound> {
  const { vip, port } = ctx.spec;
  const what = `${ctx.requests} requests to http://${vip}:${port}/ from ${ctx.client?.name ?? 'a client'}`;
  if (state.noDataPath) {
    add(ctx, step, `${what} (via ${via}) all succeed`, 'not run', state.noDataPath);
    if (step !== 4) add(ctx, step, 'the answers show every real server, spread as the scheduler promises', 'not run', state.noDataPath);
    return {};
  }
  const before = director ? await ipvsStats(director, vip, port) : undefined;
  const t = await traffic(ctx.client!, `http://${vip}:${port}/`, ctx.requests);
  const counted = before ? await scheduledSince(director!, vip, port, before, ctx.requests) : undefined;
  const name = (address: string) => ctx.realservers.find((rs) => rs.address === address)?.name ?? address;
  const scheduled = counted && Object.fromEntries([...counted.byAddress].map(([a, n]) => [name(a), n]));
  const answered = t.bodies.length;
  add(ctx, step, `${what} (via ${via}) all succeed`, t.failures.length === 0 && answered === ctx.requests ? 'pass' : 'fail',
    `${answered} of ${ctx.requests} answered${t.failures.length ? `; failures: ${[...new Set(t.failures)].slice(0, 3).join(' | ')}` : ''}`);
  if (step === 4) return { scheduled };
  const pages = state.pages;
  if (pages.size < ctx.realservers.length) {
    add(ctx, step, 'the answers show every real server, spread as the scheduler promises', 'fail', 'not every real server answered on its own address, so answers cannot be told apart');
    return { scheduled };
  }
  if (new Set(pages.values()).size < pages.size) {
    add(ctx, step, 'the answers show every real server, spread as the scheduler promises', 'not run', `real servers serve the same page (${[...pages].map(([h, p]) => `${h}: "${p}"`).join(', ')}): answers cannot be told apart; give each its own web_body`);
    return { scheduled };
  }
  const d = distribution(t.bodies, pages);
  const v = judgeSpread(d.counts, scheduler, scheduled);
  const extra = d.unknown.length ? `; ${d.unknown.length} answers from no known real server: "${d.unknown[0].slice(0, 60)}"` : '';
  add(ctx, step, 'the answers show every real server, spread as the scheduler promises', v.ok && !d.unknown.length ? 'pass' : 'fail', v.why + extra);
  return { answers: d.counts, scheduled };
}
