import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findModule, isModule } from '../../../../src/modules/index.js';
import { candidateNames, resolveAnsibleModule } from '../../../../src/modules/fallback/resolve.js';

// Resolution reads the controller's real Ansible installation (Debian's ansible-core and
// ansible packages, which scripts/setup.sh installs); nothing here runs a module.
const installed = existsSync('/usr/lib/python3/dist-packages/ansible_collections/community/general');
const skip = !installed && "Debian's ansible collections are not installed";

test('builtins resolve from ansible-core, short or FQCN', { skip }, () => {
  const r = resolveAnsibleModule('getent') as any;
  assert.equal(r.fqcn, 'ansible.builtin.getent');
  assert.match(r.path, /ansible\/modules\/getent\.py$/);
  assert.equal((resolveAnsibleModule('ansible.legacy.getent') as any).fqcn, 'ansible.builtin.getent');
  assert.equal((resolveAnsibleModule('ansible.builtin.getent') as any).path, r.path);
});

test("short names that moved follow ansible-core's runtime.yml to their collection", { skip }, () => {
  assert.equal((resolveAnsibleModule('mount') as any).fqcn, 'ansible.posix.mount');
  assert.equal((resolveAnsibleModule('ini_file') as any).fqcn, 'community.general.ini_file');
  assert.equal((resolveAnsibleModule('ansible.builtin.timezone') as any).fqcn, 'community.general.timezone');
  assert.match((resolveAnsibleModule('ansible.posix.mount') as any).path, /ansible_collections\/ansible\/posix\/plugins\/modules\/mount\.py$/);
});

test("a collection's runtime.yml: redirects followed, tombstones refused with their text", { skip }, () => {
  // community.general routes docker_container to community.docker
  assert.equal((resolveAnsibleModule('community.general.docker_container') as any).fqcn, 'community.docker.docker_container');
  assert.match((resolveAnsibleModule('community.general.docker_service') as any).error, /was removed in 2\.0\.0: Use community\.docker\.docker_compose instead/);
});

test('unknown names: undefined, and near names for the hint', { skip }, () => {
  assert.equal(resolveAnsibleModule('no_such_module_here'), undefined);
  assert.equal(resolveAnsibleModule('community.general.ini_fil'), undefined);
  assert.equal(resolveAnsibleModule('nonexistent.collection.thing'), undefined);
  assert.equal(resolveAnsibleModule('../etc/passwd'), undefined);
  assert.ok(candidateNames('community.general.ini_fil').includes('community.general.ini_file'));
  assert.ok(candidateNames('getnt').includes('getent'));
});

test('a module that is only an action plugin in Ansible is refused, saying so', { skip }, () => {
  assert.match((resolveAnsibleModule('wait_for_connection') as any).error, /action plugin in Ansible \(it runs on the controller\)/);
});

test('the registry: native first, then the fallback, one definition per module', { skip }, () => {
  assert.equal(findModule('ansible.builtin.copy')!.fallback, undefined);
  const a = findModule('ini_file')!;
  assert.equal(a.name, 'community.general.ini_file');
  assert.ok(a.fallback);
  assert.equal(findModule('community.general.ini_file'), a);
  assert.equal(isModule('community.general.docker_service'), true, 'a removed module is still a module name');
  assert.throws(() => findModule('community.general.docker_service'), /was removed/);
  assert.equal(isModule('whenn'), false);
});

test('ansible-playbook resolves the same names the same way', { skip: skip || (!hasDoc() && 'ansible-doc is missing') }, () => {
  for (const [name, fqcn] of [['mount', 'ansible.posix.mount'], ['getent', 'ansible.builtin.getent']]) {
    const out = execFileSync('ansible-doc', ['-j', name], { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' }, stdio: ['ignore', 'pipe', 'ignore'] });
    const doc = JSON.parse(out);
    const key = Object.keys(doc)[0];
    assert.equal(doc[key].doc.collection, fqcn.split('.').slice(0, 2).join('.'), `${name}: ansible-doc's collection`);
    assert.equal((resolveAnsibleModule(name) as any).fqcn, fqcn);
  }
});

function hasDoc(): boolean {
  try {
    execFileSync('ansible-doc', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('systemd_service is the native systemd', () => {
  assert.equal(findModule('ansible.builtin.systemd_service')?.name, 'systemd');
  assert.equal(findModule('systemd_service')?.fallback, undefined);
});
