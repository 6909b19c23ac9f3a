/**
 * End to end on the docker lab (issue: harun lab + harun verify). The containers share this
 * machine's kernel: where it has no IPVS, the ipvsadm role cannot work and is skipped
 * (--skip-tags ipvsadm), VRRP failover is still proven, and verify must report the data-path
 * checks as NOT RUN with the reason (exit 2), never as passed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostKernelHasIpvs } from '../../src/lab/index.js';
import type { Report } from '../../src/verify/report.js';
import { CHROMIUM, checkRenderedReport, renderPage, validateJUnit } from '../helpers/reports.js';
import { harun, labTraces, parseReport, recap, summary } from './helpers.js';

const MIN = 60_000;

test('docker lab: site.yml, idempotent rerun, verify --fault kill, lab down', { timeout: 30 * MIN }, async (t) => {
  let avail: { ok: boolean; reason: string };
  try {
    const { DockerProvider } = await import('../../src/lab/docker.js');
    avail = await new DockerProvider().available();
  } catch (e) {
    avail = { ok: false, reason: (e as Error).message };
  }
  if (!avail.ok) return t.skip(`no Docker engine answers: ${avail.reason}`);
  const busy = labTraces();
  if (busy.uml.length || busy.subnet) return t.skip(`another lab is up on this machine (fixed subnet): ${[...busy.uml, busy.subnet].join('; ').slice(0, 300)}`);
  const ipvs = hostKernelHasIpvs();
  const dir = mkdtempSync(join(tmpdir(), 'harun-e2e-docker-'));
  // ansible.cfg's scripts/lab-vault-pass finds this lab's vault password there
  process.env.HARUN_LAB_DIR = dir;
  const inv = join(dir, 'inventory.yml');
  const skip = ipvs ? [] : ['--skip-tags', 'ipvsadm'];
  try {
    const up = await harun(['lab', 'up', '--provider', 'docker', '--dir', dir], 10 * MIN);
    assert.equal(up.code, 0, `lab up failed:\n${up.stdout}\n${up.stderr}`);
    t.diagnostic(`lab up (docker): ${(up.ms / 1000).toFixed(1)} s`);

    const site = await harun(['play', 'playbooks/site.yml', '-i', inv, '--output', 'plain', ...skip], 20 * MIN);
    assert.equal(site.code, 0, `site.yml failed:\n${site.stdout.slice(-6000)}\n${site.stderr.slice(-2000)}`);
    t.diagnostic(`site.yml ${skip.join(' ')}: ${(site.ms / 1000).toFixed(1)} s`);
    const again = await harun(['play', 'playbooks/site.yml', '-i', inv, '--output', 'plain', ...skip], 6 * MIN);
    assert.equal(again.code, 0, again.stdout.slice(-4000));
    for (const [h, c] of recap(again.stdout)) assert.equal(c.changed, 0, `${h} changed on the second run:\n${again.stdout.slice(-4000)}`);

    const junit = join(dir, 'verify.xml');
    const page = join(dir, 'failover.html');
    const v = await harun(['verify', '-i', inv, '--fault', 'kill', '--output', 'json', '--junit', junit, '--report', page], 4 * MIN);
    const r = parseReport(v.stdout);
    // the CI reports of the same run: JUnit valid against the schema, one case per check; the page
    // rendered by Chromium holds the same checks and figures as the JSON
    const valid = validateJUnit(junit);
    assert.ok(valid.ok, `verify --junit: ${valid.said}`);
    const xml = readFileSync(junit, 'utf8');
    assert.equal((xml.match(/<testcase /g) ?? []).length, r.checks.length, 'a test case per check');
    assert.equal((xml.match(/<skipped /g) ?? []).length, r.checks.filter((c) => c.status === 'not run').length);
    if (CHROMIUM) checkRenderedReport(renderPage(page, join(dir, 'shot.png')).dom, r as unknown as Report & { exitCode: number });
    t.diagnostic(`verify --fault kill:\n${summary(r)}`);
    assert.ok(!r.checks.some((c) => c.status === 'fail'), summary(r));
    const moved = r.checks.find((c) => c.name === 'the takeover is within the VRRP bound');
    assert.equal(moved?.status, 'pass', 'VRRP failover within the bound');
    assert.equal(r.checks.find((c) => c.name === 'lb1 no longer holds the VIP')?.status, 'pass', summary(r));
    if (ipvs) {
      assert.equal(v.code, 0, summary(r));
    } else {
      assert.equal(v.code, 2, summary(r));
      const dataPath = r.checks.filter((c) => /IPVS table|requests to http|service comes back|spread/.test(c.name));
      assert.ok(dataPath.length >= 4, summary(r));
      for (const c of dataPath) {
        assert.equal(c.status, 'not run', `${c.name} must not pass without IPVS`);
        assert.match(c.detail, /no IPVS/);
      }
    }
    t.diagnostic(`takeover ${Math.round(r.figures.takeoverMs ?? -1)} ms vs VRRP bound ${r.figures.bound?.boundMs} ms`);
  } finally {
    const down = await harun(['lab', 'down', '--dir', dir], 3 * MIN);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(down.code, 0, `lab down: ${down.stdout}${down.stderr}`);
    assert.equal(labTraces().subnet, '', 'lab network left behind');
  }
});
