import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { evaluate } from '../../../src/vars/template.js';

// the lookup reads the project config once, from the cwd: a scratch dir with an ansible.cfg
const dir = mkdtempSync(join(tmpdir(), 'harun-cfglookup-'));
const cwd = process.cwd();
before(() => {
  writeFileSync(join(dir, 'ansible.cfg'), '[defaults]\nroles_path = r1:/abs/r2\nforks = 7\n');
  for (const k of ['HARUN_CONFIG', 'ANSIBLE_CONFIG', 'ANSIBLE_ROLES_PATH', 'ANSIBLE_FORKS', 'ANSIBLE_TIMEOUT']) delete process.env[k];
  process.chdir(dir);
});
after(() => {
  process.chdir(cwd);
  rmSync(dir, { recursive: true, force: true });
});

// expected values: ansible-playbook 2.14 with the same ansible.cfg (paths made absolute, defaults for the rest)
test('config lookup: settings from the cfg file, Ansible defaults for the rest, wantlist and query', () => {
  assert.deepEqual(evaluate("lookup('config', 'DEFAULT_ROLES_PATH')", {}), [join(dir, 'r1'), '/abs/r2']);
  assert.equal(evaluate("lookup('config', 'DEFAULT_FORKS')", {}), 7);
  assert.equal(evaluate("lookup('config', 'DEFAULT_TIMEOUT')", {}), 10);
  assert.equal(evaluate("lookup('config', 'DEFAULT_MANAGED_STR')", {}), 'Ansible managed');
  assert.deepEqual(evaluate("lookup('config', 'DEFAULT_FORKS', 'DEFAULT_TIMEOUT', wantlist=True)", {}), [7, 10]);
  assert.deepEqual(evaluate("query('config', 'HOST_KEY_CHECKING')", {}), [true]);
});

test('config lookup: on_missing for an unknown name; a setting harun does not read is an error naming it', () => {
  assert.deepEqual(evaluate("query('config', 'NO_SUCH_SETTING', on_missing='skip')", {}), []);
  assert.throws(() => evaluate("lookup('config', 'NO_SUCH_SETTING')", {}), /Unable to find setting NO_SUCH_SETTING/);
  assert.throws(() => evaluate("lookup('config', 'X', on_missing='maybe')", {}), /on_missing must be error, warn or skip/);
  // a real Ansible setting (ansible-core's config/base.yml, installed by scripts/setup.sh): even skip does not hide it
  assert.throws(() => evaluate("lookup('config', 'DEFAULT_BECOME', on_missing='skip')", {}), /harun does not read the Ansible setting DEFAULT_BECOME/);
  assert.throws(() => evaluate("lookup('config', 'remote_tmp', plugin_type='shell', plugin_name='sh')", {}), /plugin_type\/plugin_name/);
});
