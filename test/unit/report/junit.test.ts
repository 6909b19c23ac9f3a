import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunEvent } from '../../../src/report/events.js';
import { JUnitReporter } from '../../../src/report/junit.js';
import { verifyJUnit } from '../../../src/verify/junit.js';
import type { Report } from '../../../src/verify/report.js';
import { validateJUnit } from '../../helpers/reports.js';

const dir = mkdtempSync(join(tmpdir(), 'harun-junit-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const hr = (task: string, host: string, status: Extract<RunEvent, { kind: 'host_result' }>['status'], result: Record<string, unknown>, extra: Partial<Extract<RunEvent, { kind: 'host_result' }>> = {}): RunEvent =>
  ({ kind: 'host_result', task, host, status, result: { changed: false, ...result }, ms: 1234, ...extra }) as RunEvent;

test('play --junit: a case per task and host; failures with their message, skipped as skipped; valid against the JUnit schema', async () => {
  const file = join(dir, 'play.xml');
  const r = new JUnitReporter(file);
  const events: RunEvent[] = [
    { kind: 'playbook_start', file: 'site.yml' },
    { kind: 'play_start', name: 'web <servers> & "friends"', hosts: ['web1', 'web2'], check: false },
    { kind: 'task_start', name: 'install nginx', handler: false, hosts: ['web1', 'web2'] },
    hr('install nginx', 'web1', 'changed', { changed: true }),
    hr('install nginx', 'web2', 'failed', { msg: 'No package matching \'ngnix\'\nsecond line', rc: 100, stderr: 'E: \u001b[31mbad\u001b[0m' }),
    { kind: 'task_start', name: 'only on Debian', handler: false, hosts: ['web1'] },
    hr('only on Debian', 'web1', 'skipped', { skipped: true, skip_reason: 'Conditional result was False' }),
    { kind: 'task_start', name: 'loop', handler: false, hosts: ['web1'] },
    hr('loop', 'web1', 'ok', {}, { item: 'a' }),
    hr('loop', 'web1', 'ok', { results: [{}] }),
    { kind: 'task_start', name: 'may fail', handler: false, hosts: ['web1'] },
    hr('may fail', 'web1', 'failed', { msg: 'boom' }, { ignored: true }),
    { kind: 'task_start', name: 'secret', handler: false, hosts: ['web1'] },
    { kind: 'host_result', task: 'secret', host: 'web1', status: 'failed', result: { censored: "the output has been hidden due to the fact that 'no_log: true' was specified for this result" }, ms: 5 },
    { kind: 'play_start', name: 'second', hosts: ['db'], check: true },
    { kind: 'task_start', name: 'restart', handler: true, hosts: ['db'] },
    hr('restart', 'db', 'unreachable', { msg: 'connect ECONNREFUSED 127.0.0.9:22' }),
    { kind: 'recap', stats: {}, elapsedMs: 9000 },
  ];
  for (const e of events) r.on(e);
  await r.done();
  const xml = readFileSync(file, 'utf8');
  const v = validateJUnit(file);
  assert.ok(v.ok, `${v.said}\n${xml}`);
  assert.match(xml, /<testsuites name="site.yml" tests="7" failures="2" errors="1" skipped="1" time="/);
  assert.match(xml, /<testsuite name="PLAY \[web &lt;servers&gt; &amp; &quot;friends&quot;\]" id="0" [^>]*tests="6" failures="2" errors="0" skipped="1"/);
  assert.match(xml, /<testcase name="install nginx" classname="web1" time="1.234">\n\s*<system-out>changed<\/system-out>/);
  assert.match(xml, /<testcase name="install nginx" classname="web2" time="1.234">\n\s*<failure message="No package matching &apos;ngnix&apos;" type="failed">/);
  assert.ok(!xml.includes('\u001b'), 'no raw control character reaches the XML');
  assert.match(xml, /<skipped message="Conditional result was False"\/>/);
  assert.equal((xml.match(/name="loop"/g) ?? []).length, 1, 'a loop is one case per host (its aggregate result)');
  assert.match(xml, /name="may fail" classname="web1" time="1.234">\n\s*<system-out>failed \(ignored\)/);
  assert.match(xml, /name="secret"[^>]*>\n\s*<failure message="the output has been hidden/);
  assert.match(xml, /<testsuite name="PLAY \[second\] \(check mode\)"[^>]*tests="1" failures="0" errors="1"/);
  assert.match(xml, /name="handler: restart" classname="db"[^>]*>\n\s*<error message="connect ECONNREFUSED 127.0.0.9:22" type="unreachable">/);
});

test('the JUnit schema check can fail: a case without time, a count that is not a number', () => {
  const bad = join(dir, 'bad.xml');
  writeFileSync(bad, '<?xml version="1.0"?>\n<testsuites tests="1" failures="0" errors="0" time="1"><testsuite name="s" tests="x" failures="0" errors="0" skipped="0" time="1" timestamp="2026-01-01T00:00:00" hostname="h"><testcase name="c" classname="k"/></testsuite></testsuites>\n');
  const v = validateJUnit(bad);
  assert.equal(v.ok, false);
  assert.match(v.said, /tests.*not a valid value|'x'/);
  assert.match(v.said, /time.*required/);
});

const report: Report = {
  inventory: ['.harun-lab/inventory.yml'], vip: '10.222.2.100', port: 80, fault: 'kill', master: 'lb1', backup: 'lb2',
  startedAt: '2026-12-01T23:00:00.000Z', elapsedMs: 42_000,
  checks: [
    { step: 1, name: 'exactly one director holds the VIP 10.222.2.100', status: 'pass', detail: 'lb1: 10.222.2.100/32 on eth1', atMs: 900 },
    { step: 2, name: 'the answers show every real server', status: 'not run', detail: 'the kernel of lb1 has no IPVS (ip_vs)\nmore', atMs: 1500 },
    { step: 3, name: 'the takeover is within the VRRP bound', status: 'fail', detail: '5200 ms vs 3648 ms <bound>', atMs: 9000 },
  ],
  figures: { takeoverMs: 5200.4, bound: { advertIntS: 1, priority: 90, version: 2, skewMs: 648, boundMs: 3648 }, distributionBefore: { web1: 10, web2: 10 } },
};

test('verify --junit: a suite per step, a case per check with its evidence, the figures as properties; valid', () => {
  const file = join(dir, 'verify.xml');
  writeFileSync(file, verifyJUnit(report));
  const xml = readFileSync(file, 'utf8');
  const v = validateJUnit(file);
  assert.ok(v.ok, `${v.said}\n${xml}`);
  assert.match(xml, /<testsuites name="harun verify 10.222.2.100:80 fault kill" tests="3" failures="1" errors="0" skipped="1" time="9.000">/);
  assert.match(xml, /<testsuite name="harun verify: 1. Cluster state" [^>]*timestamp="2026-12-01T23:00:00" tests="1" failures="0"[^>]*time="0.900">/);
  assert.match(xml, /<testcase name="the answers show every real server" classname="verify.2 Traffic through the VIP" time="0.600">\n\s*<skipped message="the kernel of lb1 has no IPVS \(ip_vs\)"\/>/);
  assert.match(xml, /<failure message="5200 ms vs 3648 ms &lt;bound&gt;" type="check failed">/);
  assert.match(xml, /<property name="figure.takeoverMs" value="5200 ms"\/>/);
  assert.match(xml, /<property name="figure.bound" value="3 x advert_int 1 s \+ skew \(256 - 90\) \/ 256 s = 3648 ms"\/>/);
  assert.match(xml, /<property name="figure.distributionBefore" value="web1 10, web2 10"\/>/);
  assert.match(xml, /<property name="result" value="FAIL \(1 passed, 1 failed, 1 not run\)"\/>/);
});
