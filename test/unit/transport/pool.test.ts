import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OptionsError } from '../../../src/errors.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { TransportPool } from '../../../src/transport/pool.js';
import { SshTransport } from '../../../src/transport/ssh.js';

test('one transport per host, by ansible_connection, closed together', async () => {
  const pool = new TransportPool({ sshConfigFile: '/dev/null' });
  const local = pool.get('me', { ansible_connection: 'local' });
  assert.ok(local instanceof LocalTransport);
  assert.equal(pool.get('me', { ansible_connection: 'local' }), local);
  const ssh = pool.get('web', { ansible_host: '127.0.0.9', ansible_port: 2222 });
  assert.ok(ssh instanceof SshTransport);
  assert.equal((ssh as SshTransport).target.port, 2222);
  await local.exec('true');
  assert.equal(pool.execs, 1);
  assert.throws(() => pool.get('w', { ansible_connection: 'winrm' }), OptionsError);
  await pool.closeAll();
  await assert.rejects(ssh.exec('true'), /closed/);
});
