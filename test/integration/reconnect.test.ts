import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet, type Fleet } from '../fixtures/sshd.js';

/**
 * A new login in the middle of a run: meta reset_connection, and wait_for_connection while the
 * host's sshd takes no logins (its listener stopped for 4 s), against a real OpenSSH server.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
let fleet: Fleet;
let work: string;

before(async () => {
  fleet = await startFleet({ count: 1 });
  work = mkdtempSync(join(tmpdir(), 'harun-reconnect-'));
  chmodSync(work, 0o755); // the fleet's login user reads the boot id file
  // ghost: a port nothing listens on
  writeFileSync(join(work, 'hosts.ini'), `${fleet.inventory}\n[ghost]\nghost ansible_host=127.0.0.1 ansible_port=1\n`);
});
after(async () => {
  // never leave the listener stopped, whatever happened
  for (const pid of fleet?.listenerPids() ?? []) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  }
  await fleet?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('reset_connection logs in anew; wait_for_connection waits out a host that takes no logins, and times out on one that never does; reboot waits for a new boot id', async () => {
  const listeners = fleet.listenerPids().join(' ');
  const bootId = join(work, 'boot_id');
  writeFileSync(bootId, 'first-boot\n', { mode: 0o666 });
  assert.ok(listeners, 'the fleet has a listening sshd');
  const r = await new Promise<{ code: number; out: string; err: string }>((res) =>
    execFile('node', [join(ROOT, 'bin/harun.js'), 'play', join(ROOT, 'test/fixtures/reconnect/site.yml'), '-i', join(work, 'hosts.ini'), '-e', `listeners='${listeners}'`, '-e', `boot_id=${bootId}`, '--output', 'json'], { maxBuffer: 1 << 24 }, (e, out, err) =>
      res({ code: e ? Number((e as any).code) : 0, out, err }),
    ),
  );
  assert.ok(r.out.startsWith('{'), `no JSON document (exit ${r.code}): ${r.err.slice(-2000)}`);
  const doc = JSON.parse(r.out);
  const result = (play: number, name: string, host: string) => doc.plays[play].tasks.find((t: any) => t.task.name === name)?.hosts[host];
  const host = fleet.hosts[0].name;
  const port = (name: string) => String(result(0, name, host).stdout).split(' ')[1];
  assert.equal(port('the same connection'), port('the first connection'), 'one connection until reset');
  assert.notEqual(port('a new connection after reset_connection'), port('the first connection'));
  const waited = result(0, 'wait for the host', host);
  assert.equal(waited.failed, undefined, JSON.stringify(waited));
  assert.equal(waited.changed, false);
  assert.ok(waited.elapsed >= 3 && waited.elapsed < 20, `waited ${waited.elapsed} s for a listener stopped 4 s`);
  assert.notEqual(port('after the wait'), port('a new connection after reset_connection'));
  const never = result(2, 'a host that never answers', 'ghost');
  assert.equal(never.failed, true);
  assert.match(never.msg, /^timed out waiting for ping module test: /);
  assert.ok(never.elapsed >= 2 && never.elapsed <= 6, `gave up after ${never.elapsed} s with timeout 3`);
  assert.equal(result(2, 'never reached', 'ghost'), undefined, 'a failed host runs no more tasks');
  // reboot: check mode changes nothing; the reboot waits out the drop and the new boot id
  const rb = (name: string) => result(1, name, host);
  assert.deepEqual([rb('reboot in check mode').changed, rb('reboot in check mode').rebooted], [true, true]);
  assert.equal(rb('the boot id after check mode').stdout, 'first-boot');
  const rebooted = rb('reboot');
  assert.equal(rebooted.failed, undefined, JSON.stringify(rebooted));
  assert.deepEqual([rebooted.changed, rebooted.rebooted], [true, true]);
  assert.ok(rebooted.elapsed >= 3 && rebooted.elapsed < 30, `back after ${rebooted.elapsed} s from a 3.5 s outage`);
  assert.notEqual(readFileSync(bootId, 'utf8').trim(), 'first-boot');
  const port2 = (name: string) => String(rb(name).stdout).split(' ')[1];
  assert.notEqual(port2('after the reboot'), port2('before the reboot'), 'a new connection after the reboot');
  assert.equal(rb('a shutdown command that is not there').msg, `Unable to find command "no-such-shutdown" in search paths: ['/nonexistent']`);
  assert.equal(r.code, 2, 'the run fails for the ghost host');
});
