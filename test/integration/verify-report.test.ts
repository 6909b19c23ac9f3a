/**
 * harun verify --report: the page rendered by Debian's headless Chromium (no network: the page
 * fetches nothing). The input is a verify result constructed by hand (test/fixtures/verify/
 * README.md says why it is not a captured one); the docker lab's end-to-end test renders the page
 * of a real run. The DOM must show the timeline's marks and the same figures and checks as the
 * JSON; the screenshot must show the drawing (the servers' colours and the failures' red), not a
 * blank or an error page.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyHtml } from '../../src/verify/html.js';
import type { Report } from '../../src/verify/report.js';
import { ROOT } from '../e2e/helpers.js';
import { countColour, readPng } from '../helpers/png.js';
import { CHROMIUM, checkRenderedReport, renderPage } from '../helpers/reports.js';

const FIXTURE = join(ROOT, 'test', 'fixtures', 'verify', 'kill-synthetic.json');

test('verify --report: Chromium renders the failover timeline of a real run with the figures of its JSON', { timeout: 300_000 }, (t) => {
  if (!CHROMIUM) return t.skip('chromium is not installed (scripts/apt-packages.txt)');
  const json = JSON.parse(readFileSync(FIXTURE, 'utf8')) as Report & { exitCode: number };
  assert.ok(json.timeline && json.timeline.requests.length > 20, 'the fixture holds a probe timeline');
  const dir = mkdtempSync(join(tmpdir(), 'harun-report-'));
  try {
    const page = join(dir, 'failover.html');
    const html = verifyHtml(json);
    assert.ok(!/\b(src|href)=["']?(https?:)?\/\//i.test(html) && !/url\(/i.test(html), 'nothing on the page points at the network');
    writeFileSync(page, html);
    const r = renderPage(page, join(dir, 'shot.png'));
    checkRenderedReport(r.dom, json);
    const img = readPng(r.png);
    const colours = new Set<string>();
    for (let y = 0; y < img.height; y += 3) for (let x = 0; x < img.width; x += 3) colours.add(img.pixel(x, y).join(','));
    assert.ok(colours.size > 20, `the screenshot is not blank (${colours.size} colours)`);
    // the first server's marks (#1f77b4) and the failures' red (#d62728) are on screen
    assert.ok(countColour(img, '#1f77b4') > 200, 'the first real server\'s marks are drawn');
    if (json.timeline!.requests.some((q) => !q.ok)) assert.ok(countColour(img, '#d62728') > 50, 'the failures are drawn in red');
    t.diagnostic(`${img.width}x${img.height} screenshot, ${colours.size} colours, ${json.timeline!.requests.length} requests on the timeline`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
