import { test } from 'node:test';
import assert from 'node:assert/strict';
import { figureList } from '../../../src/verify/figure-list.js';
import { timelineSvg, verifyHtml } from '../../../src/verify/html.js';
import type { ProbeSample } from '../../../src/verify/parse.js';
import type { Report } from '../../../src/verify/report.js';
import { timelineRequests, type Timeline } from '../../../src/verify/timeline.js';

const sample = (sent: number, ok: boolean, body = ''): ProbeSample => ({ sent, done: sent + (ok ? 3 : 500), launchMs: 0, ok, rc: ok ? 0 : 28, status: ok ? 200 : 0, body });

test('timeline: probe samples from the fault on the client clock, each named by the page that came back', () => {
  const pages = new Map([['web1', '11111'], ['web2', '22222']]);
  const r = timelineRequests([sample(9_900, true, '11111'), sample(10_000, true, '22222 '), sample(10_100, false), sample(10_200, true, 'other')], 10_000, pages);
  assert.deepEqual(r, [
    { at: -100, ms: 3, ok: true, server: 'web1', rc: 0, status: 200, launchMs: 0 },
    { at: 0, ms: 3, ok: true, server: 'web2', rc: 0, status: 200, launchMs: 0 },
    { at: 100, ms: 500, ok: false, rc: 28, status: 0, launchMs: 0 },
    { at: 200, ms: 3, ok: true, rc: 0, status: 200, launchMs: 0 },
  ]);
});

test('figure list: every figure of the result object, a figure added later included, in ms where the field says so', () => {
  const f = figureList({ outageMs: 3362.4, bound: { advertIntS: 1, priority: 90, version: 2, skewMs: 648, boundMs: 3648 }, distributionAfter: { web1: 10, web2: 10 }, ...({ failedProbeRequests: 16 } as object) });
  assert.deepEqual(f.map((x) => [x.key, x.label, x.text]), [
    ['outageMs', 'client-observed outage', '3362 ms'],
    ['bound', 'VRRP bound', '3 x advert_int 1 s + skew (256 - 90) / 256 s = 3648 ms'],
    ['distributionAfter', 'distribution after', 'web1 10, web2 10'],
    ['failedProbeRequests', 'failed probe requests', '16'],
  ]);
  assert.equal(f[0].value, 3362.4, 'the value is the JSON value');
});

const timeline: Timeline = {
  faultEpochMs: 1_700_000_000_000, fault: 'kill', master: 'lb1', backup: 'lb2', probeIntervalMs: 100, boundMs: 3648, boundSlackMs: 4148,
  takeoverAt: 3595, lastGoodAt: -40, serviceBackAt: 3322, restartAt: 9000, vipBackAt: 12500,
  requests: [
    { at: -200, ms: 3, ok: true, server: 'web1', rc: 0, status: 200, launchMs: 20 },
    { at: -100, ms: 3, ok: true, server: 'web2', rc: 0, status: 200, launchMs: 20 },
    { at: 0, ms: 500, ok: false, rc: 28, status: 0, launchMs: 20 },
    { at: 3400, ms: 4, ok: true, server: 'web<1>', rc: 0, status: 200, launchMs: 20 },
  ],
};

test('timeline svg: a mark per request on its server\'s row, failures red, the bound band and the marked moments', () => {
  const svg = timelineSvg(timeline);
  assert.equal((svg.match(/class="req ok"/g) ?? []).length, 3);
  assert.equal((svg.match(/class="req fail"[^>]*fill="#d62728"/g) ?? []).length, 1);
  assert.match(svg, /data-server="web&lt;1&gt;"/, 'names are escaped');
  assert.match(svg, /class="bound" data-bound-ms="3648"/);
  for (const m of ['fault', 'takeover', 'back', 'recovery']) assert.match(svg, new RegExp(`class="mark ${m}"`));
  assert.match(svg, /VIP back on lb1 \+12500 ms/);
});

test('the page is self-contained: no URL to fetch, the result embedded without a way out of its script', () => {
  const r: Report = { inventory: ['x'], vip: '10.0.0.1', port: 80, fault: 'kill', checks: [{ step: 1, name: 'a </script><b>', status: 'pass', detail: 'd' }], figures: {}, elapsedMs: 1, timeline };
  const html = verifyHtml(r);
  assert.ok(!/\b(src|href)=|url\(|@import/i.test(html), 'nothing to fetch');
  assert.equal((html.match(/<\/script>/g) ?? []).length, 1, 'the embedded JSON cannot close its script');
  assert.match(html, /a &lt;\/script&gt;&lt;b&gt;/);
  const data = /<script type="application\/json" id="harun-verify-report">(.*)<\/script>/s.exec(html)![1];
  assert.deepEqual(JSON.parse(data), JSON.parse(JSON.stringify(r)));
  assert.match(verifyHtml({ ...r, timeline: undefined }), /id="no-timeline"/);
});

test('verify --output json: schemaVersion 1, and every field of the document and of its timeline is documented in docs/verify-json.md', async () => {
  const { readFileSync } = await import('node:fs');
  const { renderJson } = await import('../../../src/verify/report.js');
  const { packagePath } = await import('../../../src/package.js');
  const doc = readFileSync(packagePath('docs', 'verify-json.md'), 'utf8');
  const r: Report = {
    inventory: ['x'], vip: '10.0.0.1', port: 80, fault: 'kill', master: 'lb1', backup: 'lb2', startedAt: '2026-01-01T00:00:00.000Z', elapsedMs: 1, timeline,
    checks: [{ step: 1, name: 'a', status: 'pass', detail: 'd', atMs: 5 }], figures: {},
  };
  const j = JSON.parse(renderJson(r)) as Record<string, unknown>;
  assert.equal(j.schemaVersion, 1);
  for (const k of Object.keys(j)) assert.match(doc, new RegExp(`\`${k}\``), `top-level field ${k} is documented`);
  for (const k of Object.keys(timeline)) assert.match(doc, new RegExp(`\`${k}\``), `timeline field ${k} is documented`);
  for (const k of Object.keys(timeline.requests[0])) assert.match(doc, new RegExp(`\\b${k}\\b`), `request field ${k} is documented`);
  for (const k of Object.keys(r.checks[0])) assert.match(doc, new RegExp(`\`${k}\``), `check field ${k} is documented`);
});
