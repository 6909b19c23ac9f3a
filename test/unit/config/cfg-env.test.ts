import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fromEnv, loadConfig } from '../../../src/config/cfg.js';

const dir = mkdtempSync(join(tmpdir(), 'harun-cfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('ANSIBLE_* variables win over ansible.cfg; relative paths from the current directory', () => {
  writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\nroles_path = cfgroles\nforks = 3\nremote_user = cfguser\nhost_key_checking = True\ncollections_path = ./coll\nansible_managed = Managed: {file}\n');
  const cfg = loadConfig(dir);
  assert.deepEqual(cfg.rolesPath, [join(dir, 'cfgroles')]);
  assert.deepEqual(cfg.collectionsPath, [join(dir, 'coll')]);
  assert.equal(cfg.ansibleManaged, 'Managed: {file}');
  const env = fromEnv(cfg, {
    ANSIBLE_ROLES_PATH: 'roles:/abs/roles', ANSIBLE_FORKS: '7', ANSIBLE_REMOTE_USER: 'deploy', ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_TIMEOUT: '30', ANSIBLE_PRIVATE_KEY_FILE: 'keys/id', ANSIBLE_COLLECTIONS_PATHS: '/c1:/c2', ANSIBLE_INVENTORY: 'a,b',
  }, '/work');
  assert.deepEqual(env.rolesPath, ['/work/roles', '/abs/roles']);
  assert.deepEqual([env.forks, env.remoteUser, env.hostKeyChecking, env.timeout], [7, 'deploy', false, 30]);
  assert.equal(env.privateKeyFile, '/work/keys/id');
  assert.deepEqual(env.collectionsPath, ['/c1', '/c2']);
  assert.deepEqual(env.inventory, ['a', 'b']);
  // without the variables the file's values stand
  assert.deepEqual(fromEnv(cfg, {}, '/work'), cfg);
  assert.throws(() => fromEnv(cfg, { ANSIBLE_FORKS: 'many' }, '/work'), /ANSIBLE_FORKS: expected a positive integer/);
});
