import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duringExitCode, judgeDuring, renderDuringPlain, type DuringReport } from '../../../src/verify/during.js';
import { parseProbeLog } from '../../../src/verify/parse.js';

const pages = new Map([['web1', 'web1 v1'], ['web2', 'web2 v1']]);

/** A probe log as the client writes it, from t=1_000_000_000_000 (uptime 1000.00 s then): sent at t, curl started at once. */
function log(lines: [number, number, string, number, number][]): string {
  const up = (ms: number) => ((1_000_000 + ms) / 1000).toFixed(2);
  return ['E 1000000000000 1000.00 1000.00', ...lines.map(([t, rc, body, http, s]) => `${up(t)} ${rc} ${body} ${http} ${s} ${up(t + Math.round(s * 1000))}`)].join('\n');
}
const T0 = 1_000_000_000_000;

test('judgeDuring: phases around the command, per server, the longest gap and the failures', () => {
  const { samples } = parseProbeLog(log([
    [0, 0, 'web1 v1', 200, 0.01],
    [100, 0, 'web2 v1', 200, 0.01],
    // the command runs from 150 to 650
    [200, 0, 'web1 v1', 200, 0.01],
    [300, 28, '', 0, 0.5], // timed out: answered nothing until 800
    [400, 7, '', 0, 0.001],
    [500, 0, 'web2 v2', 200, 0.02], // a page no server had before: reported as other
    [600, 0, 'web2 v1', 200, 0.01],
    [700, 0, 'web1 v1', 200, 0.01],
    [800, 0, 'web2 v1', 200, 0.01],
  ]));
  const j = judgeDuring(samples, T0 + 150, T0 + 650, pages);
  assert.deepEqual(j.before, { sent: 2, failed: 0, servers: { web1: 1, web2: 1 }, other: {} });
  assert.deepEqual(j.during, { sent: 5, failed: 2, servers: { web1: 1, web2: 1 }, other: { 'web2 v2': 1 } });
  assert.deepEqual(j.after, { sent: 2, failed: 0, servers: { web1: 1, web2: 1 }, other: {} });
  // good answers done at 110 (last before), 210, 520, 610, 710, 810: the gap 210 -> 520
  assert.equal(j.longestGapMs, 310);
  assert.deepEqual(j.failures, [{ at: 150, rc: 28, status: 0 }, { at: 250, rc: 7, status: 0 }]);
  // a rollout that changed web2's page: both its pages, read before and after, count as web2
  const rolled = judgeDuring(samples, T0 + 150, T0 + 650, new Map<string, string | string[]>([['web1', 'web1 v1'], ['web2', ['web2 v1', 'web2 v2']]]));
  assert.deepEqual(rolled.during, { sent: 5, failed: 2, servers: { web1: 1, web2: 2 }, other: {} });
});

test('judgeDuring: the gap counts from the last good answer before the command, and a silence to the end', () => {
  const { samples } = parseProbeLog(log([
    [0, 0, 'web1 v1', 200, 0.01],
    [100, 7, '', 0, 0.001],
    [200, 7, '', 0, 0.001],
    [900, 0, 'web1 v1', 200, 0.01],
  ]));
  const j = judgeDuring(samples, T0 + 50, T0 + 300, pages);
  assert.equal(j.longestGapMs, 900);
  assert.equal(j.before.sent, 1);
  assert.equal(j.failures.length, 2);
  // no good answer at all from the start on: no gap can be measured
  assert.equal(judgeDuring(samples.slice(0, 3), T0 + 50, T0 + 300, pages).longestGapMs, undefined);
});

test('duringExitCode and the plain report: 2 for a failed request, 1 for a failed command, 0 otherwise', () => {
  const phase = { sent: 10, failed: 0, servers: { web1: 5, web2: 5 }, other: {} };
  const base: DuringReport = {
    command: ['harun', 'play', 'rollout.yml'], commandExit: 0, commandMs: 12_345, vip: '10.222.2.100', port: 80, client: 'client',
    before: phase, during: phase, after: phase, longestGapMs: 180, failures: [],
  };
  assert.equal(duringExitCode(base), 0);
  assert.match(renderDuringPlain(base), /longest gap between good answers: 180 ms\n  pace during the command: a request every 1235 ms on average \(the probe aims at one every 100 ms\)\nPASSED: every request answered\n$/);
  assert.equal(duringExitCode({ ...base, commandExit: 2 }), 1);
  assert.match(renderDuringPlain({ ...base, commandExit: 2 }), /the command failed \(exit 2\)/);
  const failed = { ...base, commandExit: 2, failures: [{ at: 4100, rc: 28, status: 0 }] };
  assert.equal(duringExitCode(failed), 2);
  assert.match(renderDuringPlain(failed), /failed request at \+4100 ms: curl exit 28, HTTP -\nFAILED: 1 requests failed while the command ran\n$/);
  assert.equal(duringExitCode({ ...base, problem: 'not steady' }), 2);
  assert.match(renderDuringPlain(base), /^Watched 10\.222\.2\.100:80 from client while running: harun play rollout\.yml\n  command exited 0 after 12\.3 s\n  before     10 sent,   0 failed; answered by web1 5, web2 5\n/);
});
