import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

// Engine keywords that once went wrong: each playbook here runs on the controller (local
// connection) or against a port that refuses, so no sshd is needed.
const HARUN = join(resolve(import.meta.dirname, '../../..'), 'bin/harun.js');
let work: string;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'harun-keywords-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

const writePlay = (name: string, yaml: string) => (writeFileSync(join(work, `${name}.yml`), yaml), join(work, `${name}.yml`));
const writeInventory = (name: string, text: string) => (writeFileSync(join(work, `${name}.ini`), text), join(work, `${name}.ini`));

function play(name: string, yaml: string, inventory: string, ...extra: string[]) {
  const r = spawnSync('node', [HARUN, 'play', writePlay(name, yaml), '-i', writeInventory(name, inventory), '--output', 'json', ...extra], { cwd: work, encoding: 'utf8' });
  let json: any;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    /* the assertions report stdout */
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, json };
}

test('ignore_errors is rendered with the host\'s variables (play vars), per host', () => {
  const r = play('ignore', `
- hosts: all
  gather_facts: false
  vars:
    ign: "{{ inventory_hostname == 'a' }}"
  tasks:
    - name: fails everywhere
      command: /bin/false
      ignore_errors: "{{ ign }}"
`, '[g]\na ansible_connection=local\nb ansible_connection=local\n');
  assert.equal(r.code, 2, r.stderr + r.stdout);
  assert.deepEqual(
    { a: r.json.stats.a.ignored, b: r.json.stats.b.failed },
    { a: 1, b: 1 },
    JSON.stringify(r.json?.stats),
  );
});

test('a host that refuses the connection while facts are gathered is unreachable (exit 3)', () => {
  const yaml = (facts: boolean) => `
- hosts: all
  gather_facts: ${facts}
  tasks:
    - ping:
`;
  const inv = '[g]\nghost ansible_host=127.0.0.1 ansible_port=1 ansible_user=nobody\n';
  for (const facts of [true, false]) {
    const r = play(`unreach-${facts}`, yaml(facts), inv);
    assert.equal(r.code, 3, `gather_facts ${facts}: ${r.stderr}${r.stdout}`);
    assert.equal(r.json.stats.ghost.unreachable, 1, JSON.stringify(r.json.stats));
    assert.equal(r.json.stats.ghost.failed, 0, JSON.stringify(r.json.stats));
  }
});

test('hostvars values are templated on access with that host\'s variables, as in Ansible', () => {
  const r = play('hostvars', `
- hosts: all
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ hostvars['h1'].a }} {{ ['h1'] | map('extract', hostvars, 'a') | map('int') | list }}"
`, 'h1 ansible_connection=local b=7 a="{{ b }}"\n');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const res = r.json.plays[0].tasks[0].hosts.h1;
  assert.equal(res.msg, '7 [7]', JSON.stringify(res));
});

test('an until condition that cannot be judged on a failed result names the module\'s failure too (not with no_log)', () => {
  const yaml = (noLog: boolean) => `
- hosts: all
  gather_facts: false
  tasks:
    - name: fails, and its result has no 'finished'
      command: sh -c 'echo broken >&2; exit 3'
      register: st
      until: st.finished
      retries: 2
      delay: 0
      no_log: ${noLog}
`;
  const r = play('until', yaml(false), 'h1 ansible_connection=local\n');
  assert.equal(r.code, 2, r.stderr + r.stdout);
  const res = r.json.plays[0].tasks[0].hosts.h1;
  assert.match(res.msg, /'finished'.*; the module had failed: non-zero return code/, JSON.stringify(res));
  const secret = play('until-secret', yaml(true), 'h1 ansible_connection=local\n');
  assert.equal(secret.code, 2, secret.stderr + secret.stdout);
  assert.doesNotMatch(secret.stdout, /the module had failed|broken/, secret.stdout);
});

test('check mode: a command it skips is not judged by changed_when/failed_when, and its result has the module\'s keys (as Ansible)', () => {
  const r = play('checkskip', `
- hosts: all
  gather_facts: false
  tasks:
    - command: echo hi
      register: r
      changed_when: r.stdout is search('x')
      failed_when: r.stdout is search('y')
    - assert:
        that:
          - r is skipped and r is not changed and r is not failed
          - r.rc == 0 and r.stdout == '' and r.stdout_lines == [] and r.start is none
`, 'h1 ansible_connection=local\n', '--check');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  const stats = r.json.stats.h1;
  assert.deepEqual({ ok: stats.ok, skipped: stats.skipped, failed: stats.failed }, { ok: 1, skipped: 1, failed: 0 }, JSON.stringify(stats));
});

test('a serial batch that fails past max_fail_percentage stops the playbook: no later batch, no later play (as Ansible)', () => {
  const r = play('stop', `
- hosts: all
  gather_facts: false
  serial: 1
  max_fail_percentage: 0
  tasks:
    - command: /bin/false
      when: inventory_hostname == 'a'
- hosts: all
  gather_facts: false
  tasks:
    - debug: msg=two
`, 'a ansible_connection=local\nb ansible_connection=local\n');
  assert.equal(r.code, 2, r.stderr + r.stdout);
  assert.deepEqual(r.json.plays.map((p: { tasks: unknown[] }) => p.tasks.length), [1], JSON.stringify(r.json.plays));
  // the recap lists only hosts that ran a task: b, whose batch never came, is not in it (as in Ansible's)
  assert.deepEqual(Object.keys(r.json.stats), ['a'], JSON.stringify(r.json.stats));
  assert.equal(r.json.stats.a.failed, 1);
});

test('task and handler names are templated as ansible-playbook shows and matches them (checked with ansible-playbook 2.14)', () => {
  const r = play('names', `
- hosts: all
  gather_facts: false
  vars:
    label: "lo:0"
  tasks:
    - name: Put the VIP on lo as {{ label }}
      command: "true"
      notify: restart {{ label }}
    - name: Undefined {{ nope }} and {{ label }}
      debug: msg=hi
    - name: Loop {{ item }} {{ label }}
      debug: msg={{ item }}
      loop: [a]
  handlers:
    - name: restart {{ label }}
      debug: msg="handler ran"
`, 'h1 ansible_connection=local\n');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  // a name with any part that cannot be rendered (an undefined variable, the loop's item before
  // the loop) is shown as written; the handler's templated name matches the rendered notify
  assert.deepEqual(
    r.json.plays[0].tasks.map((t: any) => [t.task.name, Boolean(t.task.handler)]),
    [['Put the VIP on lo as lo:0', false], ['Undefined {{ nope }} and {{ label }}', false], ['Loop {{ item }} {{ label }}', false], ['restart lo:0', true]],
  );
  assert.equal(r.json.plays[0].tasks[3].hosts.h1.msg, 'handler ran');
});
