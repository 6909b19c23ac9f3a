import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTransport } from '../../../src/transport/local.js';
import type { Runner } from '../../../src/verify/cluster.js';
import { computeOutage, distribution } from '../../../src/verify/figures.js';
import { clockOffset, readProbe, startProbe, stopProbe, traffic, waitVip } from '../../../src/verify/probe.js';

/** The probe and traffic loops run as they would on the client: here, on the controller against loopback. */
const local: Runner = (() => {
  const t = new LocalTransport('client');
  return { name: 'client', address: '127.0.0.1', reconnect: () => {}, run: (cmd: string, timeoutMs = 30_000) => t.exec(cmd, { timeoutMs }) };
})();

/** Two "real servers" behind one port, alternating, that can be switched off (a failover). */
async function server(): Promise<{ url: string; down: (on: boolean) => void; close: () => Promise<void> }> {
  let n = 0;
  let isDown = false;
  const srv: Server = createServer((_req, res) => {
    if (isDown) {
      res.socket?.destroy();
      return;
    }
    res.setHeader('Connection', 'close');
    res.end(n++ % 2 === 0 ? '11111\n' : '22222\n');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    down: (on) => (isDown = on),
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

const hasTools = spawnSync('sh', ['-c', 'command -v curl && command -v setsid']).status === 0;

test('traffic: N requests, each answered, counted per real server', { skip: !hasTools && 'curl or setsid missing' }, async () => {
  const s = await server();
  try {
    const t = await traffic(local, s.url, 6);
    assert.deepEqual(t.failures, []);
    assert.equal(t.bodies.length, 6);
    const d = distribution(t.bodies, new Map([['web1', '11111'], ['web2', '22222']]));
    assert.deepEqual(d.counts, { web1: 3, web2: 3 });
    s.down(true);
    const bad = await traffic(local, s.url, 2);
    assert.equal(bad.bodies.length, 0);
    assert.equal(bad.failures.length, 2);
    assert.match(bad.failures[0], /^rc=\d+/);
  } finally {
    await s.close();
  }
});

test('probe: a background loop every 100 ms, timestamped on the client; an outage shows in the figures', { skip: !hasTools && 'curl or setsid missing' }, async () => {
  const s = await server();
  let h;
  try {
    const t0 = Date.now();
    h = await startProbe(local, s.url, 20);
    assert.ok(Date.now() - t0 < 5000, 'the probe is started in the background, not waited for');
    await new Promise((r) => setTimeout(r, 1000));
    const fault = Date.now();
    s.down(true);
    await new Promise((r) => setTimeout(r, 800));
    s.down(false);
    await new Promise((r) => setTimeout(r, 1000));
    const partial = await readProbe(h);
    assert.ok(partial.length >= 10, `read while running: ${partial.length} samples`);
    const { samples, malformed } = await stopProbe(h);
    h = undefined;
    assert.equal(malformed, 0);
    // about 28 requests in 2.8 s; a loaded machine may fit fewer
    assert.ok(samples.length >= 12 && samples.length <= 32, `${samples.length} samples`);
    const gaps = samples.slice(1).map((x, i) => x.sent - samples[i].sent);
    assert.ok(Math.max(...gaps) < 600, `sent every ~100 ms: ${gaps.join(' ')}`);
    assert.ok(samples.some((x) => !x.ok) && samples.some((x) => x.ok && x.body === '22222'));
    const o = computeOutage(samples, fault);
    assert.ok(o.outageMs !== undefined && o.outageMs >= 700 && o.outageMs < 2000, `outage ${o.outageMs} ms`);
    assert.ok(o.lost >= 3, `lost ${o.lost}`);
    // stopped: no more lines, files removed
    const after = spawnSync('sh', ['-c', `ls /tmp/harun-verify-probe-${process.pid}-* 2>/dev/null | wc -l`]).stdout.toString().trim();
    assert.equal(after, '0');
  } finally {
    if (h) await stopProbe(h);
    await s.close();
  }
});

test('clock offset of the controller against itself is near zero', async () => {
  const off = await clockOffset(local);
  assert.ok(Math.abs(off) < 100, `offset ${off}`);
});

test('harun verify with an inventory without directors exits 4 before connecting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harun-verify-cli-'));
  try {
    const inv = join(dir, 'hosts.ini');
    writeFileSync(inv, '[realservers]\nweb1 ansible_host=203.0.113.7\n[all:vars]\nlvs_vip=203.0.113.100\n');
    const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/harun.js'), 'verify', '-i', inv], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /no hosts in group 'directors'/);
    assert.equal(r.stdout, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('waitVip: the first check sees loopback at once (no check without it, so no earliest time); an address that never comes is undefined', async () => {
  const t0 = Date.now();
  const seen = await waitVip(local, '127.0.0.1', true, 2000);
  assert.ok(seen, 'loopback holds 127.0.0.1');
  assert.equal(seen.before, undefined);
  assert.ok(seen.at >= t0 - 1000 && seen.at <= Date.now() + 1000, `${seen.at} is this machine's clock in ms`);
  assert.equal(await waitVip(local, '127.0.0.1', false, 300), undefined);
});
