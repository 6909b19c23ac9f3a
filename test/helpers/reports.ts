/**
 * Checks of the CI reports with real tools: the JUnit files against the JUnit schema with
 * xmllint (Debian's libxml2-utils), the verify page in Debian's headless Chromium.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { figureList } from '../../src/verify/figure-list.js';
import type { Report } from '../../src/verify/report.js';

/** The repository root, from dist/test/helpers or test/helpers. */
const ROOT = resolve(import.meta.dirname, existsSync(resolve(import.meta.dirname, '../../package.json')) ? '../..' : '../../..');
export const JUNIT_XSD = join(ROOT, 'test', 'fixtures', 'junit', 'junit.xsd');

/** xmllint's verdict on `file` against the JUnit schema: ok, and what it said. */
export function validateJUnit(file: string): { ok: boolean; said: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', JUNIT_XSD, file], { encoding: 'utf8' });
  if (r.error) throw new Error(`xmllint cannot run (apt-get install libxml2-utils): ${r.error.message}`);
  return { ok: r.status === 0, said: `${r.stdout}${r.stderr}`.trim() };
}

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(existsSync);

/**
 * Opens `page` in headless Chromium twice (the DOM after rendering, and a screenshot), each with
 * a new empty profile and nothing that reaches the network on its own.
 */
export function renderPage(page: string, png: string, size = '1500,900'): { dom: string; png: Buffer; stderr: string } {
  if (!CHROMIUM) throw new Error('chromium is not installed (apt-get install chromium)');
  const run = (extra: string[]) => {
    const profile = mkdtempSync(join(tmpdir(), 'harun-chromium-'));
    try {
      const r = spawnSync(CHROMIUM, [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `--window-size=${size}`, ...extra, `file://${resolve(page)}`,
      ], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
      if (r.error) throw r.error;
      return r;
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  const dom = run(['--dump-dom']);
  const shot = run([`--screenshot=${resolve(png)}`]);
  if (!existsSync(png)) throw new Error(`chromium wrote no screenshot (exit ${shot.status}): ${shot.stderr.slice(-2000)}`);
  return { dom: dom.stdout, png: readFileSync(png), stderr: dom.stderr + shot.stderr };
}

/** Attribute values of the elements whose opening tag matches `tag` in the dumped DOM. */
const attrs = (dom: string, tag: RegExp, attr: string) => [...dom.matchAll(new RegExp(`<${tag.source}[^>]*>`, 'g'))].map((m) => new RegExp(`\\s${attr}="([^"]*)"`).exec(m[0])?.[1]);
const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

/** Checks a rendered verify page against the JSON document it was made from. */
export function checkRenderedReport(dom: string, json: Report & { exitCode: number }): void {
  assert.match(dom, /<title>harun verify: VIP /, 'the page, not an error page');
  assert.match(dom, /<svg[^>]*id="timeline"/, 'the timeline is drawn');
  const t = json.timeline;
  assert.ok(t, 'the report has a timeline');
  const ok = attrs(dom, /rect class="req ok"/, 'data-server');
  const failed = attrs(dom, /rect class="req fail"/, 'data-at');
  assert.equal(ok.length, t.requests.filter((r) => r.ok).length, 'a mark per answered request');
  assert.equal(failed.length, t.requests.filter((r) => !r.ok).length, 'a red mark per failed request');
  assert.deepEqual(ok, t.requests.filter((r) => r.ok).map((r) => r.server ?? ''), 'each mark on its server');
  assert.deepEqual(attrs(dom, /rect class="bound"/, 'data-bound-ms'), [String(t.boundMs)], 'the VRRP bound band');
  const marks = attrs(dom, /line class="mark \w+"/, 'class');
  assert.ok(marks.includes('mark fault'), 'the fault is marked');
  if (t.takeoverAt !== undefined) assert.ok(marks.includes('mark takeover'), 'the takeover is marked');
  if (t.serviceBackAt !== undefined) assert.ok(marks.includes('mark back'), 'service back is marked');
  if (t.vipBackAt !== undefined) assert.ok(marks.includes('mark recovery'), 'the recovery is marked');
  // the same figures as the JSON: every figure present, with the JSON's value
  const shown = new Map(attrs(dom, /tr data-figure="[^"]*"/, 'data-figure').map((k, i) => [k, JSON.parse(unescape(attrs(dom, /tr data-figure="[^"]*"/, 'data-value')[i]!))]));
  const want = figureList(json.figures);
  assert.deepEqual([...shown.keys()], want.map((f) => f.key));
  for (const f of want) {
    assert.deepEqual(shown.get(f.key), f.value, `figure ${f.key}`);
    assert.ok(dom.includes(f.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')), `figure ${f.key} shown as "${f.text}"`);
  }
  assert.deepEqual(attrs(dom, /tr class="check"/, 'data-status'), json.checks.map((c) => (c.status === 'not run' ? 'notrun' : c.status)), 'every check with its status');
  assert.match(dom, new RegExp(`class="verdict v${json.exitCode}"`));
}

