/**
 * Checks of the CI reports with real tools: the JUnit files against the JUnit schema with
 * xmllint (Debian's libxml2-utils), the verify page in Debian's headless Chromium.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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
