import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeOutage, describeBound, distribution, judgeSpread, vrrpBound, widestSendGap } from '../../../src/verify/figures.js';
import type { ProbeSample } from '../../../src/verify/parse.js';
import { takeoverSpan } from '../../../src/verify/failover.js';

test('VRRP bound: 3 x advert_int + (256 - priority) / 256 s', () => {
  // the seed's backup: advert_int 1, priority 90 -> 3 s + 166/256 s
  assert.deepEqual(vrrpBound(1, 90), { advertIntS: 1, priority: 90, version: 2, skewMs: 648, boundMs: 3648 });
  assert.equal(vrrpBound(2, 100).boundMs, 6609);
  assert.equal(vrrpBound(0.5, 254).boundMs, 1508);
});

test('VRRPv3 bound: the skew scales with advert_int (RFC 5798 6.1), as keepalived computes it', () => {
  // VRRP_TIMER_SKEW_CALC for version 3: (256 - prio) * adver_int(cs) * 625 / 16 us
  assert.deepEqual(vrrpBound(0.1, 90, 3), { advertIntS: 0.1, priority: 90, version: 3, skewMs: 65, boundMs: 365 });
  assert.equal(vrrpBound(1, 90, 3).boundMs, 3648);
  assert.equal(vrrpBound(0.2, 90, 3).boundMs, 730);
  assert.equal(describeBound(vrrpBound(0.1, 90, 3)), 'VRRPv3: 3 x advert_int 0.1 s + skew (256 - 90) / 256 x 0.1 s = 365 ms');
});

/** A probe every 100 ms from t=0; `bad(t)` says which requests fail; answers take 5 ms. */
function probe(untilMs: number, bad: (t: number) => boolean): ProbeSample[] {
  const out: ProbeSample[] = [];
  for (let t = 0; t <= untilMs; t += 100) {
    const ok = !bad(t);
    out.push({ sent: t, done: t + (ok ? 5 : 500), launchMs: 0, ok, rc: ok ? 0 : 28, status: ok ? 200 : 0, body: ok ? '11111' : '' });
  }
  return out;
}

test('outage: last good answer before the fault to the first good one after the silence', () => {
  // fault at 1000 ms; requests sent from 1000 to 4600 fail
  const s = probe(8000, (t) => t >= 1000 && t <= 4600);
  const o = computeOutage(s, 1000);
  assert.equal(o.lastGoodBefore, 905);
  assert.equal(o.firstGoodAfter, 4705);
  assert.equal(o.outageMs, 3800);
  assert.equal(o.outageEarliestMs, 3600, 'first failed request sent at 1000, the last at 4600');
  assert.equal(o.lost, 37);
  assert.equal(o.sentAfter, 71);
  assert.equal(o.okAfter, 71 - 37);
});

test('outage at the earliest: a loaded client probing every 1.5 s instead of 100 ms', () => {
  // what a packet capture showed on the loaded uml lab: requests 0.3 to 1.9 s apart; service
  // down from 1200 to 4400; the last good answer 300 ms before the fault, the first 1.1 s after
  // service came back
  const sample = (sent: number, ok: boolean): ProbeSample => ({ sent, done: sent + (ok ? 5 : 500), launchMs: 0, ok, rc: ok ? 0 : 28, status: ok ? 200 : 0, body: ok ? '11111' : '' });
  const s = [sample(-600, true), sample(700, true), sample(1400, false), sample(2900, false), sample(4300, false), sample(5500, true), sample(6000, true)];
  const o = computeOutage(s, 1000);
  assert.equal(o.outageMs, 5505 - 705);
  assert.equal(o.outageEarliestMs, 4300 - 1400);
  assert.equal(widestSendGap(s), 1500);
  // one failed request: down at one moment only, as far as the probe can tell
  assert.equal(computeOutage([sample(0, true), sample(1500, false), sample(3000, true)], 1000).outageEarliestMs, 0);
});

test('outage: a SIGKILLed keepalived leaves the old master forwarding; the silence that follows is the outage', () => {
  // answers go on for 2 s after the fault, then 1.5 s of failures, then service again
  const s = probe(8000, (t) => t >= 3000 && t < 4500);
  const o = computeOutage(s, 1000);
  assert.equal(o.lastGoodBefore, 2905, 'the outage starts where the answers stop, not at the fault');
  assert.equal(o.firstGoodAfter, 4505);
  assert.equal(o.outageMs, 4505 - 2905);
  assert.equal(o.lost, 15);
});

test('outage: no failure at all is one probe interval; an outage that never ends has no end', () => {
  const clean = computeOutage(probe(3000, () => false), 1000);
  assert.equal(clean.outageMs, 100);
  assert.equal(clean.lost, 0);
  const never = computeOutage(probe(5000, (t) => t >= 1000), 1000);
  assert.equal(never.lastGoodBefore, 905);
  assert.equal(never.firstGoodAfter, undefined);
  assert.equal(never.outageMs, undefined);
  assert.equal(never.lost, 41);
  // a single lost request after recovery does not hide the real outage
  const blip = computeOutage(probe(6000, (t) => (t >= 1000 && t < 3000) || t === 6000), 1000);
  assert.equal(blip.outageMs, 3005 - 905);
  // nothing good before the fault: no outage figure at all
  assert.equal(computeOutage(probe(3000, (t) => t < 2000), 1000).outageMs, undefined);
});

test('distribution: answers counted per real server by its own page', () => {
  const pages = new Map([['web1', '11111'], ['web2', '22222']]);
  const d = distribution(['11111', '22222', '11111', ' 22222 ', 'other'], pages);
  assert.deepEqual(d.counts, { web1: 2, web2: 2 });
  assert.deepEqual(d.unknown, ['other']);
  assert.deepEqual(distribution([], pages).counts, { web1: 0, web2: 0 });
});

test('spread: rr counts differ by at most one; every real server must answer', () => {
  assert.equal(judgeSpread({ web1: 10, web2: 10 }, 'rr').ok, true);
  assert.equal(judgeSpread({ web1: 11, web2: 10 }, 'rr').ok, true);
  const uneven = judgeSpread({ web1: 12, web2: 8 }, 'rr');
  assert.equal(uneven.ok, false);
  assert.match(uneven.why, /differ by 4: web1 12, web2 8/);
  const silent = judgeSpread({ web1: 20, web2: 0 }, 'rr');
  assert.equal(silent.ok, false);
  assert.match(silent.why, /web2 never answered/);
  // other schedulers: only "everyone answered"
  assert.equal(judgeSpread({ web1: 15, web2: 5 }, 'wlc').ok, true);
  assert.equal(judgeSpread({ web1: 20, web2: 0 }, 'wlc').ok, false);
  assert.equal(judgeSpread({}, 'rr').ok, false);
});

test('spread: with the director counters, rr is judged on what IPVS scheduled; a request that matched a held entry is named', () => {
  // 20 answers, 19 scheduled evenly: the one extra web1 answer reused an entry
  const reused = judgeSpread({ web1: 11, web2: 9 }, 'rr', { web1: 10, web2: 9 });
  assert.equal(reused.ok, true, reused.why);
  assert.match(reused.why, /IPVS scheduled web1 10, web2 9; answers web1 11, web2 9 \(1 request matched a connection entry/);
  // the scheduler itself uneven: fails, whatever the answers say
  const skewed = judgeSpread({ web1: 10, web2: 10 }, 'rr', { web1: 12, web2: 8 });
  assert.equal(skewed.ok, false);
  assert.match(skewed.why, /differ by 4: IPVS scheduled web1 12, web2 8/);
  // a real server that never answered fails even when the counters look even
  assert.equal(judgeSpread({ web1: 20, web2: 0 }, 'rr', { web1: 1, web2: 1 }).ok, false);
});

test('takeover span: latest from the fault start to the first check with the VIP, earliest from the fault end to the last check without it', () => {
  // controller clock: fault struck between 1000 and 1400 (a slow host); the backup (clock +50 ms)
  // last missed the VIP at 4650 and saw it at 5650
  const span = takeoverSpan({ before: 4650, at: 5650 }, 50, { at: 1000, until: 1400, detail: '' });
  assert.deepEqual(span, { earliest: 3200, latest: 4600 });
  // seen at the first check: only the latest is known
  assert.deepEqual(takeoverSpan({ at: 5650 }, 50, { at: 1000, until: 1400, detail: '' }), { earliest: 4600, latest: 4600 });
  // a last miss before the fault ended says nothing more than 0
  assert.deepEqual(takeoverSpan({ before: 1200, at: 1500 }, 0, { at: 1000, until: 1400, detail: '' }), { earliest: 0, latest: 500 });
});
