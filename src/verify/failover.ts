/**
 * Steps 3 and 4 of verify: the fault on the MASTER while the client probe runs, the VIP moving
 * to the BACKUP within the VRRP bound, service back through the BACKUP; then keepalived back on
 * the old master and the VIP where preemption says it belongs.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { toBool } from '../vars/filters.js';
import type { Runner } from './cluster.js';
import { add, checkTraffic, directorState, ipvsStats, judgeIpvs, noIpvs, scheduledSince, type Ctx, type DirectorState, type State } from './checks.js';
import { FaultUnavailable, inject, recover, type Fault, type Injected } from './faults.js';
import { computeOutage, countsTotal, describeBound, vrrpBound, widestSendGap, type VrrpBound } from './figures.js';
import {
  closeLongLived, collectLongLived, judgeDownload, judgeKeepAlive, openLongLived, parseLongLived, SYNC_SETTLE_MS, triggerSecondRequest, type LongLivedHandle,
} from './longlived.js';
import { clockOffset, PROBE_INTERVAL_MS, readProbe, startProbe, STEADY, stopProbe, waitSteady, waitVip, type ProbeHandle, type Seen } from './probe.js';
import { timelineRequests } from './timeline.js';

/**
 * The takeover is timed across two clocks, and keepalived's timers run late on a busy host:
 * that much slack over the bound. How long the backup's checks and the fault itself took is
 * not in it: the takeover is judged by its earliest time the evidence allows (see takeoverSpan).
 */
export const TAKEOVER_SLACK_MS = 500;
/** The client also waits for the next probe request (100 ms), a timed-out one (500 ms) and ARP. */
export const OUTAGE_SLACK_MS = 1000;


function varNumber(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * priority / advert_int / VRRP version as deployed (keepalived.conf), else the inventory, else
 * the role's defaults.
 */
function vrrpOf(ctx: Ctx, d: DirectorState): { priority: number; advertInt: number; version: number; nopreempt: boolean } {
  const i = ctx.directors.indexOf(d.runner);
  const vars = ctx.spec.directors[i]?.vars ?? {};
  const subsecond = vars.vrrp_profile === 'subsecond';
  return {
    priority: d.conf.priority ?? varNumber(vars.vrrp_priority) ?? Math.max(100 - 10 * i, 1),
    advertInt: d.conf.advertInt ?? varNumber(subsecond ? vars.vrrp_subsecond_advert_int : vars.vrrp_advert_int) ?? (subsecond ? 0.1 : 1),
    version: d.conf.vrrpVersion ?? (subsecond ? 3 : 2),
    nopreempt: d.conf.nopreempt || toBool(vars.vrrp_nopreempt),
  };
}

/**
 * The takeover as the evidence bounds it, in ms on the controller's clock: at the latest from
 * the fault's start to the backup's first check that saw the VIP, at the earliest from the
 * fault's end to the backup's last check that did not.
 */
export function takeoverSpan(seen: Seen, offBackup: number, injected: Injected): { earliest: number; latest: number } {
  const latest = seen.at - offBackup - injected.at;
  const earliest = seen.before === undefined ? latest : Math.max(0, Math.min(latest, seen.before - offBackup - injected.until));
  return { earliest, latest };
}

export async function checkFailover(ctx: Ctx, state: State, fault: Fault, confPath: string): Promise<{ master?: string; backup?: string }> {
  const { vip, port } = ctx.spec;
  const skip = (why: string) => {
    add(ctx, 3, 'failover to the backup', 'not run', why);
    add(ctx, 4, 'recovery of the old master', 'not run', why);
    return {};
  };
  const m = state.holder;
  if (!m) return skip('no single director holds the VIP, so there is no MASTER to fail');
  const others = state.directors.filter((d) => d !== m);
  if (!others.length) return skip(`only one director (${m.runner.name}): nothing to fail over to`);
  const b = others.reduce((x, y) => (vrrpOf(ctx, y).priority > vrrpOf(ctx, x).priority ? y : x));
  const master = m.runner;
  const backup = b.runner;
  const vb = vrrpOf(ctx, b);
  const bound: VrrpBound = vrrpBound(vb.advertInt, vb.priority, vb.version);
  ctx.figures.bound = bound;
  ctx.log(`failover: fault ${fault} on ${master.name}, expecting ${backup.name} to take the VIP within ${bound.boundMs} ms`);

  let probe: ProbeHandle | undefined;
  let probeWhy = state.noDataPath;
  if (!probeWhy) {
    try {
      probe = await startProbe(ctx.client!, `http://${vip}:${port}/`, (3 * ctx.timeoutMs) / 1000 + 60);
    } catch (e) {
      probeWhy = (e as Error).message;
    }
  }
  let long: LongLivedHandle | undefined;
  let longWhy = probeWhy;
  try {
    if (probe) {
      try {
        const rss = ctx.realservers.map((rs, i) => ({ rs, docroot: ctx.spec.realservers[i].docroot }));
        long = await openLongLived(ctx.client!, rss, vip, port, (2 * ctx.timeoutMs) / 1000 + 60);
      } catch (e) {
        longWhy = (e as Error).message;
      }
    }
    const offMaster = fault === 'crash' ? 0 : await clockOffset(master);
    const offBackup = await clockOffset(backup);
    const offClient = probe ? await clockOffset(probe.client) : 0;
    if (probe) await steadyBaseline(ctx, probe);
    else await sleep(1500);
    if (long) await sleep(Math.max(0, long.openedAt + SYNC_SETTLE_MS - Date.now()));
    const watching = waitVip(backup, vip, true, ctx.timeoutMs);
    await sleep(300);
    let injected;
    try {
      injected = await inject(fault, master, offMaster, ctx.spec);
    } catch (e) {
      add(ctx, 3, `fault ${fault} injected on ${master.name}`, e instanceof FaultUnavailable ? 'not run' : 'fail', (e as Error).message);
      add(ctx, 4, 'recovery of the old master', 'not run', 'the fault could not be injected');
      await watching.catch(() => undefined);
      return { master: master.name, backup: backup.name };
    }
    add(ctx, 3, `fault ${fault} injected on ${master.name}`, 'pass', injected.detail);
    const faultOnClient = injected.at + offClient;
    const seen = await watching;
    const span = seen === undefined ? undefined : takeoverSpan(seen, offBackup, injected);
    const takeover = span?.latest;
    ctx.timeline = {
      faultEpochMs: injected.at, fault, master: master.name, backup: backup.name, probeIntervalMs: PROBE_INTERVAL_MS, requests: [],
      boundMs: bound.boundMs, boundSlackMs: bound.boundMs + TAKEOVER_SLACK_MS, takeoverAt: takeover,
    };
    if (takeover === undefined) add(ctx, 3, `the VIP moves to ${backup.name}`, 'fail', `${backup.name} did not take ${vip} within ${ctx.timeoutMs / 1000} s`);
    else {
      const { earliest } = span!;
      ctx.figures.takeoverMs = takeover;
      ctx.figures.takeoverEarliestMs = earliest;
      const when = earliest < takeover - 100
        ? `between ${Math.round(earliest)} and ${Math.round(takeover)} ms after the fault (from the end of the fault to the backup's last check without the VIP, and from its start to the first check with it)`
        : `${Math.round(takeover)} ms after the fault`;
      add(ctx, 3, `the VIP moves to ${backup.name}`, 'pass', `${backup.name} holds ${vip} ${when}`);
      add(ctx, 3, 'the takeover is within the VRRP bound', earliest <= bound.boundMs + TAKEOVER_SLACK_MS ? 'pass' : 'fail',
        `${when} vs ${describeBound(bound)} (+${TAKEOVER_SLACK_MS} ms slack)`);
    }
    await checkOldMasterLetGo(ctx, fault, master, vip);
    const bs = await directorState(ctx, backup, confPath);
    const j = judgeIpvs(ctx, bs);
    add(ctx, 3, `the IPVS table on ${backup.name} lists every real server`, j.status, j.detail);

    if (!probe) add(ctx, 3, 'the client probe sees service again', 'not run', probeWhy ?? 'no probe');
    else {
      const deadline = Date.now() + ctx.timeoutMs;
      while (Date.now() < deadline) {
        const samples = await readProbe(probe);
        const o = computeOutage(samples, faultOnClient);
        const last = samples[samples.length - 1];
        if (o.firstGoodAfter !== undefined && last && last.sent > o.firstGoodAfter + 1500 && samples.slice(-5).every((s) => s.ok)) break;
        await sleep(500);
      }
      const p = await stopProbe(probe);
      probe = undefined;
      const o = computeOutage(p.samples, faultOnClient);
      ctx.timeline.requests = timelineRequests(p.samples, faultOnClient, state.pages);
      ctx.timeline.lastGoodAt = o.lastGoodBefore === undefined ? undefined : o.lastGoodBefore - faultOnClient;
      ctx.timeline.serviceBackAt = o.firstGoodAfter === undefined ? undefined : o.firstGoodAfter - faultOnClient;
      ctx.figures.probeRequests = p.samples.length;
      ctx.figures.requestsLost = o.lost;
      ctx.figures.probeFailed = p.samples.filter((s) => !s.ok).length;
      ctx.figures.outageMs = o.outageMs;
      ctx.figures.outageEarliestMs = o.outageEarliestMs;
      const evidence = `${p.samples.length} probe requests, ${p.samples.filter((s) => !s.ok).length} failed; last good answer ${o.lastGoodBefore === undefined ? 'none' : `${o.lastGoodBefore - faultOnClient} ms`} from the fault, first good after the outage ${o.firstGoodAfter === undefined ? 'none' : `+${o.firstGoodAfter - faultOnClient} ms`}`;
      add(ctx, 3, 'the client probe sees service again', o.outageMs !== undefined ? 'pass' : 'fail',
        o.outageMs !== undefined ? `outage ${Math.round(o.outageMs)} ms, ${o.lost} requests lost; ${evidence}` : `service did not come back within ${ctx.timeoutMs / 1000} s; ${evidence}`);
      if (o.outageMs !== undefined && o.outageEarliestMs !== undefined) {
        const seen = o.outageEarliestMs < o.outageMs - 100
          ? `between ${Math.round(o.outageEarliestMs)} ms (first to last failed probe request) and ${Math.round(o.outageMs)} ms (last good answer to first good answer; the probe's requests were up to ${Math.round(widestSendGap(p.samples))} ms apart)`
          : `${Math.round(o.outageMs)} ms`;
        add(ctx, 3, 'the client-observed outage is within the VRRP bound', o.outageEarliestMs <= bound.boundMs + OUTAGE_SLACK_MS ? 'pass' : 'fail',
          `${seen} vs ${bound.boundMs} ms (+${OUTAGE_SLACK_MS} ms for the probe interval, its 500 ms timeout and ARP)`);
      }
    }
    await checkLongLived(ctx, long, longWhy, state, bs, faultOnClient, takeover === undefined ? undefined : faultOnClient + takeover);

    // traffic after the failover, and proof that it went through the backup's IPVS
    const afterState: State = { ...state, noDataPath: state.noDataPath ?? (bs.ipvs.kind === 'absent' ? noIpvs(backup.name) : undefined) };
    // The old master's counters too, where it still runs: a director that kept the VIP can
    // draw the client's traffic back whenever the client asks ARP for it.
    const oldMaster = fault === 'crash' ? undefined : master;
    const beforeOld = afterState.noDataPath || !oldMaster ? undefined : await ipvsStats(oldMaster, vip, port);
    const round = await checkTraffic(ctx, 3, afterState, backup.name, bs.conf.lbAlgo ?? 'rr', backup);
    ctx.figures.distributionAfter = round.answers;
    ctx.figures.scheduledAfter = round.scheduled;
    if (!afterState.noDataPath) {
      const counted = round.scheduled && countsTotal(round.scheduled);
      const viaOld = oldMaster && beforeOld ? (await scheduledSince(oldMaster, vip, port, beforeOld, 1))?.total : undefined;
      const counts = counted === undefined
        ? `cannot read the IPVS counters of ${backup.name}`
        : `IPVS on ${backup.name} scheduled ${counted} new connections for ${ctx.requests} requests${viaOld !== undefined ? `; ${master.name} scheduled ${viaOld}` : ''}`;
      // requests that matched an entry the backup held (synced from the old master) are not
      // counted: some counted on the backup and none on the old master is the proof
      if (fault === 'isolate') {
        add(ctx, 3, `the service comes back through ${backup.name}`, 'not run',
          `both directors hold ${vip} while ${master.name} is isolated: the client's ARP decides which one it reaches (${counts})`);
      } else {
        add(ctx, 3, `the service comes back through ${backup.name}`, counted !== undefined && counted > 0 && !viaOld ? 'pass' : 'fail', counts);
      }
    } else add(ctx, 3, `the service comes back through ${backup.name}`, 'not run', afterState.noDataPath);

    await checkRecovery(ctx, fault, m, b, bound, offMaster, offBackup, confPath, afterState);
  } finally {
    if (probe) await stopProbe(probe).catch(() => undefined);
    if (long) await closeLongLived(long);
  }
  return { master: master.name, backup: backup.name };
}

/**
 * The long-lived connections (longlived.ts): the idle one sends its second request now that
 * service is back, then both are judged. `fault` and `takeover` are on the client's clock.
 */
async function checkLongLived(
  ctx: Ctx, long: LongLivedHandle | undefined, why: string | undefined, state: State, newMaster: DirectorState, fault: number, takeover: number | undefined,
): Promise<void> {
  const names = ['a download through the VIP outlives the failover intact', 'an idle keep-alive connection through the VIP answers after the failover'];
  if (!long || takeover === undefined) {
    for (const n of names) add(ctx, 3, n, 'not run', long ? 'the VIP did not move' : why ?? 'no client');
    return;
  }
  await triggerSecondRequest(long);
  const log = parseLongLived(await collectLongLived(long, ctx.timeoutMs + 60_000));
  const verdicts = [judgeDownload(log.download, long.sums, fault, takeover), judgeKeepAlive(log.exchanges, state.pages, fault, takeover)];
  // what it ran before the fault (keepalived's lvs_sync_daemon swaps backup for master at the takeover)
  const received = state.directors.find((d) => d.runner.name === newMaster.runner.name)?.syncd.backup;
  const noSync = !received
    ? `; ${newMaster.runner.name} ran no backup sync daemon before the fault: without IPVS connection sync the new MASTER has no entry for a connection opened through the old one, and its kernel resets it (lvs_sync in the keepalived role)`
    : '';
  verdicts.forEach((v, i) => add(ctx, 3, names[i], v.status, v.broken ? v.detail + noSync : v.detail));
  ctx.figures.longLivedConnections = verdicts.filter((v) => v.status !== 'not run').length;
  ctx.figures.longLivedBroken = verdicts.filter((v) => v.broken).length;
}

/**
 * A baseline of good answers before the fault: the last STEADY probe answers all good (and
 * at least 1.5 s of probing), waited for up to --timeout. Right after keepalived started, the
 * client can see failures for a few seconds; they are reported here, not counted as the
 * fault's outage. A cluster that never serves steadily fails this check.
 */
async function steadyBaseline(ctx: Ctx, probe: ProbeHandle): Promise<void> {
  const { steady, samples, waited } = await waitSteady(probe, ctx.timeoutMs, 1500);
  const failed = samples.filter((x) => !x.ok).length;
  add(ctx, 3, 'the client probe sees steady service before the fault', steady ? 'pass' : 'fail',
    `${samples.length} probe requests in ${waited} ms, ${failed} failed` +
      (steady ? `, the last ${STEADY} answered` : `; not ${STEADY} good answers in a row within ${ctx.timeoutMs / 1000} s`));
}

/**
 * After the takeover the old master must not hold the VIP any more: a director that keeps it
 * answers ARP for it beside the new MASTER, and clients may go on reaching it. A clean stop
 * removes it; after SIGKILL only the unit's ExecStopPost= can (roles/keepalived installs one).
 * An isolated master still runs keepalived and keeps the VIP by the nature of that fault.
 */
async function checkOldMasterLetGo(ctx: Ctx, fault: Fault, master: Runner, vip: string): Promise<void> {
  const name = `${master.name} no longer holds the VIP`;
  if (fault === 'crash') return; // the whole host is gone, and its addresses with it
  if (fault === 'isolate') {
    add(ctx, 3, name, 'not run', `an isolated MASTER keeps ${vip}: it still hears the backup's adverts of lower priority, so both directors hold it until the isolation ends`);
    return;
  }
  const gone = await waitVip(master, vip, false, 3000);
  add(ctx, 3, name, gone !== undefined ? 'pass' : 'fail',
    gone !== undefined
      ? `${vip} is off ${master.name}`
      : `${master.name} still holds ${vip} 3 s after the takeover, so it answers ARP for it beside the new MASTER` +
          (fault === 'kill' ? ': a SIGKILLed keepalived cannot remove its addresses; an ExecStopPost= in its unit that deletes the VIP can (roles/keepalived installs one)' : ''));
}

const restartName = (fault: Fault, host: string) => (fault === 'crash' ? `${host} boots again` : `keepalived restarted on ${host}`);

async function checkRecovery(
  ctx: Ctx, fault: Fault, m: DirectorState, b: DirectorState, bound: VrrpBound,
  offMaster: number, offBackup: number, confPath: string, state: State,
): Promise<void> {
  const { vip } = ctx.spec;
  const master = m.runner;
  const backup = b.runner;
  let started: number;
  let answered: number;
  try {
    started = await recover(fault, master, offMaster, ctx.spec);
    answered = Date.now();
    // the booted host's clock was not read before: the crash came before any need of it
    if (fault === 'crash') offMaster = await clockOffset(master);
  } catch (e) {
    add(ctx, 4, restartName(fault, master.name), 'fail', (e as Error).message);
    return;
  }
  add(ctx, 4, restartName(fault, master.name), 'pass',
    fault === 'isolate' ? 'VRRP drop rule removed, keepalived restarted'
      : fault === 'crash' ? `booted again by harun lab start, sshd answered ${answered - started} ms later; keepalived starts at boot` : 'keepalived restarted');
  if (ctx.timeline) ctx.timeline.restartAt = started - ctx.timeline.faultEpochMs;
  const preempt = !vrrpOf(ctx, m).nopreempt;
  if (preempt) {
    const [back, gone] = await Promise.all([waitVip(master, vip, true, ctx.timeoutMs), waitVip(backup, vip, false, ctx.timeoutMs)]);
    const ok = back !== undefined && gone !== undefined;
    // a SIGKILLed keepalived left the VIP on the old master: it is back once the backup let go
    const at = ok ? Math.max(back.at - offMaster, gone.at - offBackup) - started : undefined;
    if (at !== undefined) ctx.figures.returnMs = at;
    if (at !== undefined && ctx.timeline?.restartAt !== undefined) ctx.timeline.vipBackAt = ctx.timeline.restartAt + at;
    add(ctx, 4, `the VIP returns to ${master.name} (preemption on)`, ok ? 'pass' : 'fail',
      ok ? `${master.name} holds ${vip} and ${backup.name} released it ${Math.round(at!)} ms after ${fault === 'crash' ? 'the boot began' : 'the restart'}`
        : `${back === undefined ? `${master.name} did not take ${vip} back` : `${backup.name} did not release ${vip}`} within ${ctx.timeoutMs / 1000} s`);
  } else {
    await sleep(bound.boundMs + 2000);
    const [ms, bs] = await Promise.all([directorState(ctx, master, confPath), directorState(ctx, backup, confPath)]);
    add(ctx, 4, `the VIP stays on ${backup.name} (nopreempt)`, bs.holdsVip && !ms.holdsVip ? 'pass' : 'fail',
      `${bound.boundMs + 2000} ms after the restart: ${backup.name} ${bs.holdsVip ? 'holds' : 'does not hold'} ${vip}, ${master.name} ${ms.holdsVip ? 'holds' : 'does not hold'} it`);
  }
  const all = await Promise.all(ctx.directors.map((d) => directorState(ctx, d, confPath)));
  const holders = all.filter((d) => d.holdsVip).map((d) => d.runner.name);
  add(ctx, 4, 'exactly one director holds the VIP after recovery', holders.length === 1 ? 'pass' : 'fail', `holders: ${holders.join(', ') || 'none'}`);
  const viaHost = holders.length === 1 ? holders[0] : '?';
  await checkTraffic(ctx, 4, state, viaHost, 'rr');
}
