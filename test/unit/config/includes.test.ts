import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Include, Task } from '../../../src/config/model.js';
import { loadPlaybook } from '../../../src/config/playbook.js';
import { playbookError } from '../../helpers/load.js';

const dir = mkdtempSync(join(tmpdir(), 'harun-inc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

test('a templated include_tasks loads every file its fixed parts match; the host picks one later', () => {
  write('a/roles/os/tasks/main.yml', '- include_tasks: "setup-{{ ansible_os_family }}.yml"\n  when: x is defined\n');
  write('a/roles/os/tasks/setup-Debian.yml', '- name: on debian\n  debug: msg=deb\n');
  write('a/roles/os/tasks/setup-RedHat.yml', '- name: on redhat\n  debug: msg=rh\n');
  write('a/roles/os/tasks/other.yml', '- name: other\n  debug: msg=o\n');
  const [play] = loadPlaybook(write('a/site.yml', '- hosts: all\n  roles: [os]\n'));
  const inc = play.sections[1][0] as Include;
  assert.equal(inc.kind, 'include');
  assert.deepEqual(inc.inherited.when, ['x is defined']);
  const deb = inc.resolve('setup-Debian.yml') as Task[];
  assert.equal(deb[0].name, 'on debian');
  // the include's when stays with the include: the tasks it brings do not repeat it
  assert.deepEqual(deb[0].inherited.when, []);
  assert.equal(deb[0].inherited.role?.name, 'os');
  assert.throws(() => inc.resolve('setup-Nope.yml'), /could not find or access 'setup-Nope.yml'/);
});

test('a YAML error in any file an include could name stops the load with file:line:col', () => {
  write('b/roles/os/tasks/main.yml', '- include_tasks: "setup-{{ ansible_os_family }}.yml"\n');
  write('b/roles/os/tasks/setup-Debian.yml', '- debug: msg=ok\n');
  const bad = write('b/roles/os/tasks/setup-FreeBSD.yml', '- debug:\n    msg: [unclosed\n');
  const e = playbookError(write('b/site.yml', '- hosts: all\n  roles: [os]\n'));
  assert.equal(e.source?.file, bad);
  assert.ok(e.source?.line && e.source.col);
});

test('a YAML error in a role vars file only include_vars reads is caught when loading', () => {
  write('c/roles/os/tasks/main.yml', '- include_vars: "{{ ansible_os_family }}.yml"\n');
  const bad = write('c/roles/os/vars/Debian.yml', 'a: 1\n b: 2\n');
  const e = playbookError(write('c/site.yml', '- hosts: all\n  roles: [os]\n'));
  assert.equal(e.source?.file, bad);
});

test('an unknown module in a file only a dynamic include reaches is a warning and a failing task', () => {
  write('d/roles/os/tasks/main.yml', '- include_tasks: "setup-{{ ansible_os_family }}.yml"\n');
  write('d/roles/os/tasks/setup-FreeBSD.yml', '- name: bsd\n  harun_no_such_module: name=x\n');
  const [play] = loadPlaybook(write('d/site.yml', '- hosts: all\n  roles: [os]\n'));
  assert.equal(play.warnings.length, 1);
  assert.match(play.warnings[0], /setup-FreeBSD\.yml:1: module 'harun_no_such_module'/);
  const [t] = (play.sections[1][0] as Include).resolve('setup-FreeBSD.yml') as Task[];
  assert.equal(t.module, 'fail');
  assert.match(String(t.args.msg), /cannot run module 'harun_no_such_module'/);
  // the same task in a file loaded statically is an error
  write('d/static.yml', '- hosts: all\n  tasks:\n    - harun_no_such_module: name=x\n');
  assert.match(playbookError(join(dir, 'd/static.yml')).message, /harun_no_such_module/);
});

test('import_tasks refuses a loop and a templated name; include_tasks takes both', () => {
  write('e/t.yml', '- debug: msg=x\n');
  assert.match(playbookError(write('e/a.yml', '- hosts: all\n  tasks:\n    - import_tasks: t.yml\n      loop: [1]\n')).message, /include_tasks to loop/);
  assert.match(playbookError(write('e/b.yml', '- hosts: all\n  tasks:\n    - import_tasks: "{{ x }}.yml"\n')).message, /needs include_tasks/);
  const [play] = loadPlaybook(write('e/c.yml', '- hosts: all\n  tasks:\n    - include_tasks: t.yml\n      loop: [1, 2]\n      loop_control: { loop_var: n }\n      tags: [t]\n      become: true\n'));
  const inc = play.sections[2][0] as Include;
  assert.deepEqual(inc.loopControl.loopVar, 'n');
  const [t] = inc.resolve('t.yml') as Task[];
  assert.deepEqual(t.inherited.tags, []);
  assert.equal(t.inherited.become, true);
});

test('include_tasks naming a missing file is a warning at load and a failure only when resolved (import_tasks stays an error)', () => {
  write('m/roles/r/tasks/main.yml', "- include_tasks: setup-Plan9.yml\n  when: ansible_os_family == 'Plan9'\n- name: after\n  debug: msg=x\n");
  const [play] = loadPlaybook(write('m/site.yml', '- hosts: all\n  roles: [r]\n'));
  assert.match(play.warnings.join('\n'), /main\.yml:1: include_tasks: no such file: setup-Plan9\.yml .*fails only on a host that reaches it/);
  const inc = play.sections[1][0] as Include;
  assert.throws(() => inc.resolve('setup-Plan9.yml'), /could not find or access 'setup-Plan9\.yml'/);
  write('m/imp.yml', '- hosts: all\n  tasks:\n    - import_tasks: nope.yml\n');
  assert.match(playbookError(join(dir, 'm/imp.yml')).message, /import_tasks: no such file: nope\.yml/);
});

test('a templated include_role loads every role its fixed parts match; import_role with one is refused at its line', () => {
  write('t/roles/web-nginx/tasks/main.yml', '- name: nginx\n  debug: msg=n\n');
  write('t/roles/web-apache/tasks/main.yml', '- name: apache\n  debug: msg=a\n');
  write('t/roles/db/tasks/main.yml', '- name: db\n  debug: msg=d\n');
  const [play] = loadPlaybook(write('t/site.yml', '- hosts: all\n  tasks:\n    - include_role:\n        name: "web-{{ flavour }}"\n'));
  const inc = play.sections[2][0] as Include;
  assert.equal((inc.resolve('web-nginx')[0] as Task).name, 'nginx');
  assert.equal((inc.resolve('web-apache')[0] as Task).inherited.role?.name, 'web-apache');
  assert.deepEqual(play.roles.map((r) => r.name).sort(), ['web-apache', 'web-nginx'], 'the role the name cannot give is not loaded');
  assert.ok(play.roles.every((r) => !r.exposed), "an include_role's defaults and vars stay its own");
  assert.throws(() => inc.resolve('web-lighttpd'), /role 'web-lighttpd' not found/);
  // a YAML error in a role the name could give stops the load
  const bad = write('u/roles/web-bad/tasks/main.yml', '- debug:\n    msg: [unclosed\n');
  write('u/roles/web-ok/tasks/main.yml', '- debug: msg=ok\n');
  assert.equal(playbookError(write('u/site.yml', '- hosts: all\n  tasks:\n    - include_role: name="web-{{ x }}"\n')).source?.file, bad);
  const e = playbookError(write('t/static.yml', '- hosts: all\n  tasks:\n    - import_role:\n        name: "web-{{ flavour }}"\n'));
  assert.match(e.message, /a templated role name needs include_role/);
  assert.equal(e.source?.line, 3);
});
