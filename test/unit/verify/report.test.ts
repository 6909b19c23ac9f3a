import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vrrpBound } from '../../../src/verify/figures.js';
import { exitCodeOf, renderJson, renderPlain, verdict, type Check, type Report } from '../../../src/verify/report.js';

const pass = (step: Check['step'], name: string): Check => ({ step, name, status: 'pass', detail: `evidence of ${name}` });

function report(checks: Check[]): Report {
  return {
    inventory: ['lab/inventory.yml'],
    vip: '10.222.2.100',
    port: 80,
    fault: 'kill',
    master: 'lb1',
    backup: 'lb2',
    checks,
    figures: {
      outageMs: 812.4,
      takeoverMs: 3400,
      bound: vrrpBound(1, 90),
      requestsLost: 6,
      probeRequests: 120,
      probeFailed: 8,
      takeoverEarliestMs: 3100,
      distributionBefore: { web1: 10, web2: 10 },
      distributionAfter: { web1: 10, web2: 10 },
      returnMs: 1200,
    },
    elapsedMs: 23_456,
  };
}

test('exit code: 0 all passed, 1 any failure, 2 something not run (and nothing failed)', () => {
  assert.equal(exitCodeOf([pass(1, 'a'), pass(2, 'b')]), 0);
  assert.equal(exitCodeOf([pass(1, 'a'), { step: 2, name: 'b', status: 'not run', detail: 'no IPVS' }]), 2);
  assert.equal(exitCodeOf([{ step: 1, name: 'a', status: 'fail', detail: 'x' }, { step: 2, name: 'b', status: 'not run', detail: 'y' }]), 1);
  assert.equal(exitCodeOf([]), 2, 'no check at all proves nothing');
  assert.match(verdict([pass(1, 'a')]), /^PASS: every check passed \(1 passed, 0 failed, 0 not run\)/);
  assert.match(verdict([pass(1, 'a'), { step: 3, name: 'b', status: 'not run', detail: 'y' }]), /^INCOMPLETE/);
});

test('plain report: steps in order, status and evidence per check, the figures and the verdict', () => {
  const text = renderPlain(
    report([
      pass(1, 'exactly one director holds the VIP 10.222.2.100'),
      { step: 2, name: '20 requests all succeed', status: 'not run', detail: 'the kernel of lb1 has no IPVS (ip_vs)' },
      { step: 3, name: 'the VIP moves to lb2', status: 'fail', detail: 'lb2 did not take it\nsecond line' },
    ]),
  );
  const lines = text.split('\n');
  assert.equal(lines[0], 'harun verify: VIP 10.222.2.100:80, fault kill on lb1 (backup lb2)');
  const i1 = lines.indexOf('1. Cluster state');
  const i2 = lines.indexOf('2. Traffic through the VIP');
  const i3 = lines.indexOf('3. Failover');
  assert.ok(i1 > 0 && i2 > i1 && i3 > i2, text);
  assert.equal(lines.indexOf('4. Recovery'), -1, 'a step without checks is left out');
  assert.equal(lines[i1 + 1], '  PASS    exactly one director holds the VIP 10.222.2.100');
  assert.equal(lines[i2 + 1], '  NOT RUN 20 requests all succeed');
  assert.equal(lines[i2 + 2].trim(), 'the kernel of lb1 has no IPVS (ip_vs)');
  assert.equal(lines[i3 + 1], '  FAIL    the VIP moves to lb2');
  assert.equal(lines[i3 + 3].trim(), 'second line');
  assert.match(text, /client-observed outage {3}812 ms \(probe: 120 requests aimed 100 ms apart, 8 failed\)/);
  assert.match(text, /VIP takeover {13}3400 ms \(at the earliest 3100 ms\)/);
  assert.match(text, /VRRP bound {15}3 x advert_int 1 s \+ skew \(256 - 90\) \/ 256 s = 3648 ms/);
  assert.match(text, /requests lost {12}6 \(from the last good answer before the fault\)/);
  assert.match(text, /distribution before {6}web1 10, web2 10/);
  assert.match(text, /FAIL \(1 passed, 1 failed, 1 not run\) in 23\.5 s\n$/);
});

test('plain report without figures shows dashes; json carries the checks, figures, verdict and exit code', () => {
  const r = report([pass(1, 'a')]);
  r.figures = {};
  const text = renderPlain(r);
  assert.match(text, /client-observed outage {3}-\n/);
  assert.match(text, /distribution after {7}-\n/);
  const j = JSON.parse(renderJson(report([pass(1, 'a'), { step: 4, name: 'r', status: 'not run', detail: 'crashed' }])));
  assert.equal(j.exitCode, 2);
  assert.match(j.result, /^INCOMPLETE/);
  assert.equal(j.checks[1].status, 'not run');
  assert.equal(j.figures.bound.boundMs, 3648);
  assert.deepEqual(j.figures.distributionBefore, { web1: 10, web2: 10 });
});
