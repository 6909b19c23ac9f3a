import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadInventory, unknownConnectionVars } from '../../../src/inventory/index.js';
import { FIX, withTree } from './fixtures.js';

// Ansible's order, lowest first (checked against ansible-inventory 2.14 --host)
const LAYERS = ['all_inv', 'site_inv', 'web_inv', 'inv_gv_all', 'pb_gv_all', 'inv_gv_site', 'inv_gv_web', 'pb_gv_site', 'pb_gv_web', 'host_inv', 'inv_hv', 'pb_hv'];

/** Layer i sets every key k_j with j >= i, so k_j ends up from layer j only if the order is right. */
function keys(i: number): [string, string][] {
  return LAYERS.slice(i).map((_, n) => [`k${String(i + n).padStart(2, '0')}`, LAYERS[i]]);
}
const ini = (i: number) => keys(i).map(([k, v]) => `${k}=${v}`).join('\n');
const yml = (i: number) => keys(i).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n';

const precedenceTree = {
  'inv/hosts': `[web]\nw1 ${keys(9).map(([k, v]) => `${k}=${v}`).join(' ')}\n[web:vars]\n${ini(2)}\n[site:children]\nweb\n[site:vars]\n${ini(1)}\n[all:vars]\n${ini(0)}\n`,
  'inv/group_vars/all.yml': yml(3),
  'pb/group_vars/all.yml': yml(4),
  'inv/group_vars/site.yml': yml(5),
  'inv/group_vars/web.yml': yml(6),
  'pb/group_vars/site.yml': yml(7),
  'pb/group_vars/web.yml': yml(8),
  'inv/host_vars/w1.yml': yml(10),
  'pb/host_vars/w1.yml': yml(11),
};

test("host variables merge in Ansible's precedence order", () => {
  withTree(precedenceTree, (d) => {
    const inv = loadInventory([join(d, 'inv/hosts')], { extraVarDirs: [join(d, 'pb')] });
    const v = inv.hostVars('w1');
    LAYERS.forEach((layer, j) => assert.equal(v[`k${String(j).padStart(2, '0')}`], layer, `k${j}`));
  });
});

test('varOrigin names the file, line and column that won', () => {
  withTree(precedenceTree, (d) => {
    const inv = loadInventory([join(d, 'inv/hosts')], { extraVarDirs: [join(d, 'pb')] });
    // hosts: [web] 1, w1 2, [web:vars] 3, k02.. 4-13, [site:children] 14-15, [site:vars] 16, k01.. 17-27, [all:vars] 28, k00 29
    assert.deepEqual(inv.varOrigin('w1', 'k00'), { file: join(d, 'inv/hosts'), line: 29, col: 1 });
    assert.deepEqual(inv.varOrigin('w1', 'k01'), { file: join(d, 'inv/hosts'), line: 17, col: 1 });
    assert.deepEqual(inv.varOrigin('w1', 'k02'), { file: join(d, 'inv/hosts'), line: 4, col: 1 });
    assert.deepEqual(inv.varOrigin('w1', 'k06'), { file: join(d, 'inv/group_vars/web.yml'), line: 1, col: 1 });
    assert.deepEqual(inv.varOrigin('w1', 'k07'), { file: join(d, 'pb/group_vars/site.yml'), line: 1, col: 1 });
    assert.deepEqual(inv.varOrigin('w1', 'k09'), { file: join(d, 'inv/hosts'), line: 2, col: 4 });
    assert.deepEqual(inv.varOrigin('w1', 'k10'), { file: join(d, 'inv/host_vars/w1.yml'), line: 1, col: 1 });
    assert.deepEqual(inv.varOrigin('w1', 'k11'), { file: join(d, 'pb/host_vars/w1.yml'), line: 1, col: 1 });
    assert.equal(inv.varOrigin('w1', 'nope'), undefined);
  });
});

test('same-depth groups merge by name unless ansible_group_priority says otherwise', () => {
  const hosts = (prio: string) => `[b]\nh\n[a]\nh\n[a:vars]\nx=from_a\n${prio}\n[b:vars]\nx=from_b\n`;
  withTree({ h1: hosts(''), h2: hosts('ansible_group_priority=10') }, (d) => {
    assert.equal(loadInventory([join(d, 'h1')]).hostVars('h').x, 'from_b');
    const inv = loadInventory([join(d, 'h2')]);
    assert.equal(inv.hostVars('h').x, 'from_a');
    assert.equal(inv.hostVars('h').ansible_group_priority, undefined); // a setting, not a variable
  });
});

test('group_vars/NAME/ directories merge in name order; NAME wins over NAME.yml', () => {
  withTree(
    {
      'hosts': '[web]\nw1\n[db]\nd1\n',
      'group_vars/web/10.yml': 'a: 1\nb: 1\n',
      'group_vars/web/20.yaml': 'b: 2\n',
      'group_vars/web/sub/30': 'c: 3\n',
      'group_vars/web/.hidden.yml': 'a: hidden\n',
      'group_vars/web/x.yml~': 'a: backup\n',
      'group_vars/web/notes.txt': 'a: text\n',
      'group_vars/db': 'src: noext\n',
      'group_vars/db.yml': 'src: yml\n',
    },
    (d) => {
      const inv = loadInventory([join(d, 'hosts')]);
      assert.deepEqual({ ...inv.hostVars('w1'), inventory_dir: 0, inventory_file: 0 }, { a: 1, b: 2, c: 3, inventory_dir: 0, inventory_file: 0 });
      assert.equal(inv.hostVars('d1').src, 'noext');
    },
  );
});

test('a vars file that is not a mapping is an error with its position', () => {
  withTree({ hosts: 'w1\n', 'host_vars/w1.yml': '- a\n- b\n' }, (d) => {
    const inv = loadInventory([join(d, 'hosts')]);
    assert.throws(() => inv.hostVars('w1'), (e: Error & { source?: { file: string } }) => /must hold a mapping/.test(e.message) && e.source!.file.endsWith('w1.yml'));
  });
});

test('implicit localhost: local connection, all-group vars, not in all', () => {
  withTree({ hosts: '[web]\nw1\n[all:vars]\nntp=x\n', 'host_vars/localhost.yml': 'extra: 1\n' }, (d) => {
    const inv = loadInventory([join(d, 'hosts')]);
    assert.equal(inv.has('localhost'), false);
    assert.equal(inv.isImplicit('localhost'), true);
    assert.deepEqual(inv.select('localhost'), ['localhost']);
    assert.deepEqual(inv.select('all'), ['w1']);
    assert.deepEqual(inv.groupNames('localhost'), []);
    const v = inv.hostVars('localhost');
    assert.equal(v.ansible_connection, 'local');
    assert.equal(v.ntp, 'x');
    assert.equal(v.extra, 1);
  });
  withTree({ hosts: 'localhost ansible_host=10.1.1.1\n' }, (d) => {
    const inv = loadInventory([join(d, 'hosts')]);
    assert.equal(inv.isImplicit('localhost'), false);
    assert.equal(inv.hostVars('localhost').ansible_connection, undefined);
    assert.deepEqual(inv.select('all'), ['localhost']);
  });
  withTree({ hosts: 'web1\n127.0.0.1 ansible_connection=local\n' }, (d) => {
    // Ansible lets the inventory's localhost-like host answer for `localhost`
    assert.deepEqual(loadInventory([join(d, 'hosts')]).select('localhost'), ['127.0.0.1']);
  });
});

test('inventory_file and inventory_dir name the source that first listed the host', () => {
  const inv = loadInventory([join(FIX, 'basic/hosts.ini'), join(FIX, 'yaml/hosts.yml')]);
  assert.equal(inv.hostVars('web1').inventory_file, join(FIX, 'basic/hosts.ini'));
  assert.equal(inv.hostVars('db1').inventory_dir, join(FIX, 'yaml'));
});

test('unknownConnectionVars lists connection settings harun does not act on', () => {
  const vars = {
    ansible_host: 'h', ansible_port: 22, ansible_user: 'u', ansible_ssh_pass: 'p', ansible_become: true,
    ansible_ssh_common_args: '-o X=y', ansible_ssh_timeout: 5, ansible_python_interpreter: '/usr/bin/python3',
    ansible_winrm_transport: 'ntlm', ansible_shell_type: 'csh', ansible_distribution: 'Debian', ansible_group_priority: 3, http_port: 80,
  };
  assert.deepEqual(unknownConnectionVars(vars), ['ansible_python_interpreter', 'ansible_shell_type', 'ansible_ssh_timeout', 'ansible_winrm_transport']);
});
