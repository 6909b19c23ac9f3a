/**
 * End to end on the docker lab (issue: harun lab + harun verify), and the full source build
 * path of keepalived: with an empty cache of its own, lb1 (the default build host, the first
 * director) compiles, the artifact lands in the cache, and lb2 installs it without a compiler.
 * The containers share this machine's kernel: where it has no IPVS, the lab's inventory says so
 * (lvs_ipvs: false), site.yml converges everything else and reports the IPVS tasks as skipped
 * with the reason, VRRP failover is still proven, and verify must report the data-path checks as
 * NOT RUN with the reason (exit 2), never as passed. --fault kill, crash and isolate each move the
 * VIP to lb2 within the VRRP bound and back to lb1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostKernelHasIpvs } from '../../src/lab/index.js';
import type { Report } from '../../src/verify/report.js';
import { CHROMIUM, checkRenderedReport, renderPage, validateJUnit } from '../helpers/reports.js';
import { failureOf } from '../helpers/tools.js';
import { harun, labTraces, parseReport, recap, sshLab, summary, taskLines } from './helpers.js';

const MIN = 60_000;

test('docker lab: site.yml, idempotent rerun, verify --fault kill, crash and isolate, lab down', { timeout: 30 * MIN }, async (t) => {
  let avail: { ok: boolean; reason: string };
  try {
    const { DockerProvider } = await import('../../src/lab/docker.js');
    avail = await new DockerProvider().available();
  } catch (e) {
    avail = { ok: false, reason: (e as Error).message };
  }
  if (!avail.ok) return t.skip(`no Docker engine answers: ${avail.reason}`);
  // A uml lab keeps the subnet in its own namespace: only another docker lab is in the way.
  const busy = labTraces();
  if (busy.subnet) return t.skip(`another docker lab is up on this machine (fixed subnet): ${busy.subnet.slice(0, 300)}`);
  const ipvs = hostKernelHasIpvs();
  const dir = mkdtempSync(join(tmpdir(), 'harun-e2e-docker-'));
  // ansible.cfg's scripts/lab-vault-pass finds this lab's vault password there
  process.env.HARUN_LAB_DIR = dir;
  const inv = join(dir, 'inventory.yml');
  const cache = join(dir, 'keepalived-cache'); // empty: a cold build
  const vars = ['-e', `keepalived_cache_dir=${cache}`];
  try {
    const up = await harun(['lab', 'up', '--provider', 'docker', '--dir', dir], 10 * MIN);
    assert.equal(up.code, 0, `lab up failed:\n${up.stdout}\n${up.stderr}`);
    t.diagnostic(`lab up (docker): ${(up.ms / 1000).toFixed(1)} s`);

    const site = await harun(['play', 'playbooks/site.yml', '-i', inv, '--output', 'plain', '--profile', ...vars], 20 * MIN);
    assert.equal(site.code, 0, `site.yml failed:\n${site.stdout.slice(-6000)}\n${site.stderr.slice(-2000)}`);
    t.diagnostic(`site.yml (cold build cache): ${(site.ms / 1000).toFixed(1)} s\n${site.stdout.slice(site.stdout.indexOf('TASK PROFILE'))}`);

    // Built once, on lb1: only lb1 includes build.yml (lb2 is skipped at the include, as under
    // ansible-playbook, and never reaches its tasks); lb2 got the artifact and no compiler.
    assert.deepEqual(taskLines(site.stdout, 'Build on the build host and keep the artifact on the controller').filter((l) => /\[lb2\]/.test(l)), ['skipping: [lb2]']);
    assert.deepEqual(taskLines(site.stdout, 'Compile (one job per CPU)'), ['changed: [lb1]']);
    const artifacts = readdirSync(join(cache, 'artifacts'));
    assert.ok(artifacts.some((f) => /^keepalived-2\.2\.7-c61940d87415-[0-9a-f]{10}-debian-12-x86_64\.tar\.gz$/.test(f)), artifacts.join(' '));
    assert.ok(existsSync(join(cache, 'artifacts', artifacts.find((f) => f.endsWith('.tar.gz'))! + '.packages')));
    assert.deepEqual(taskLines(site.stdout, 'Unpack the artifact (the build\'s make install) into /'), ['changed: [lb1]', 'changed: [lb2]']);
    for (const h of ['lb1', 'lb2']) {
      const r = sshLab(inv, h, 'keepalived --version 2>&1 | head -n1; dpkg-query -W -f=\'${Status}\' gcc 2>/dev/null | grep -q "ok installed" && echo gcc || echo no-gcc');
      assert.match(r.stdout, /^Keepalived v2\.2\.7 /, `${h}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, h === 'lb1' ? /\ngcc\n/ : /\nno-gcc\n/, `${h}: ${r.stdout}`);
    }
    if (!ipvs) {
      // The inventory says there is no IPVS: the IPVS tasks are skipped with the reason.
      assert.match(site.stdout, /skipping the IPVS tasks: the inventory says this host's kernel has no IPVS \(lvs_ipvs: false\)/);
      assert.deepEqual(taskLines(site.stdout, 'Load the ip_vs module now'), ['skipping: [lb1]', 'skipping: [lb2]']);
    }
    const again = await harun(['play', 'playbooks/site.yml', '-i', inv, '--output', 'plain', ...vars], 6 * MIN);
    assert.equal(again.code, 0, failureOf(again.stdout));
    for (const [h, c] of recap(again.stdout)) assert.equal(c.changed, 0, `${h} changed on the second run:\n${failureOf(again.stdout)}`);

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

    // a crash of lb1's whole container; the lab starts it again and the VIP comes back to it
    const cv = await harun(['verify', '-i', inv, '--fault', 'crash', '--output', 'json'], 4 * MIN);
    const cr = parseReport(cv.stdout);
    t.diagnostic(`verify --fault crash:\n${summary(cr)}`);
    assert.ok(!cr.checks.some((c) => c.status === 'fail'), summary(cr));
    assert.equal(cv.code, ipvs ? 0 : 2, summary(cr));
    for (const name of ['lb1 boots again', 'the VIP returns to lb1 (preemption on)', 'exactly one director holds the VIP after recovery'])
      assert.equal(cr.checks.find((c) => c.step === 4 && c.name === name)?.status, 'pass', `${name}\n${summary(cr)}`);
    t.diagnostic(`crash: takeover ${Math.round(cr.figures.takeoverMs ?? -1)} ms, VIP back on lb1 ${Math.round(cr.figures.returnMs ?? -1)} ms after its boot began`);

    // lb1's outgoing VRRP adverts dropped by its own firewall (iptables is in the lab image): lb2
    // takes the VIP within the bound; lb1, still hearing lb2's lower-priority adverts, keeps it
    // too until the isolation ends (so that check is NOT RUN by the fault's nature, exit 2), and
    // after the rule is removed the VIP is lb1's alone again
    const iv = await harun(['verify', '-i', inv, '--fault', 'isolate', '--output', 'json'], 4 * MIN);
    const ir = parseReport(iv.stdout);
    t.diagnostic(`verify --fault isolate:\n${summary(ir)}`);
    assert.ok(!ir.checks.some((c) => c.status === 'fail'), summary(ir));
    assert.equal(iv.code, 2, summary(ir));
    for (const name of ['fault isolate injected on lb1', 'the VIP moves to lb2', 'the takeover is within the VRRP bound', 'keepalived restarted on lb1', 'the VIP returns to lb1 (preemption on)', 'exactly one director holds the VIP after recovery'])
      assert.equal(ir.checks.find((c) => c.name === name)?.status, 'pass', `${name}\n${summary(ir)}`);
    assert.equal(ir.checks.find((c) => c.name === 'lb1 no longer holds the VIP')?.status, 'not run', summary(ir));
    t.diagnostic(`isolate: takeover ${Math.round(ir.figures.takeoverMs ?? -1)} ms, VIP back on lb1 ${Math.round(ir.figures.returnMs ?? -1)} ms after keepalived restarted`);
  } finally {
    const down = await harun(['lab', 'down', '--dir', dir], 3 * MIN);
    rmSync(dir, { recursive: true, force: true });
    assert.equal(down.code, 0, `lab down: ${down.stdout}${down.stderr}`);
    assert.equal(labTraces().subnet, '', 'lab network left behind');
  }
});
