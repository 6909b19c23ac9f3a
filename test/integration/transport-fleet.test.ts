import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { TransportPool } from '../../src/transport/pool.js';
import { startFleet } from '../fixtures/sshd.js';
import { sh } from '../../src/shell/sh.js';

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

test('a fleet of 17 hosts (two sshd processes) answers on each address, and stop() cleans up', async () => {
  const fleet = await startFleet({ count: 17, prefix: 'node' });
  const pool = new TransportPool({ sshConfigFile: '/dev/null' });
  try {
    assert.equal(fleet.hosts.length, 17);
    assert.match(fleet.inventory, /^node17 ansible_host=127\.0\.0\.18 ansible_port=\d+$/m);
    const rs = await Promise.all(fleet.hosts.map((h, i) => pool.get(h.name, fleet.vars(i)).exec(sh`echo $SSH_CONNECTION`)));
    // SSH_CONNECTION = client-ip client-port server-ip server-port
    assert.deepEqual(
      rs.map((r) => r.stdout.trim().split(' ').slice(2).join(':')),
      fleet.hosts.map((h) => `${h.addr}:${h.port}`),
    );
    assert.equal(pool.execs, 17);
  } finally {
    await pool.closeAll();
    await fleet.stop();
  }
  assert.ok(!existsSync(fleet.dir));
  assert.equal(await accepts(fleet.hosts[16].addr, fleet.port), false);
  assert.equal(await accepts(fleet.hosts[0].addr, fleet.port), false);
});
