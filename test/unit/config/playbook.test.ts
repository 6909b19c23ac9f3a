import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { playbookError } from '../../helpers/load.js';
import assert from 'node:assert/strict';
import { parseKv } from '../../../src/config/kv.js';
import type { Block, Task } from '../../../src/config/model.js';
import { loadPlaybook } from '../../../src/config/playbook.js';
import { parseYaml, yamlWarnings } from '../../../src/config/yaml.js';
import { ValidationError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'harun-pb-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

/** The error of loading `text` as a playbook file of its own. */
const loadError = (text: string) => playbookError(write(`pb-${Math.random().toString(36).slice(2)}.yml`, text));

test('YAML 1.1 scalars as Ansible reads them; y/n stay strings', () => {
  const v = parseYaml('a: yes\nb: off\nc: 0644\nd: y\ne: "0644"\n', 'x.yml') as Record<string, unknown>;
  assert.deepEqual(v, { a: true, b: false, c: 420, d: 'y', e: '0644' });
});

test('a duplicate key: the last value and a warning with file:line:col, as Ansible; tabs are errors', () => {
  yamlWarnings.splice(0);
  assert.deepEqual(parseYaml('a: 1\nb: 2\na: 3\n<<: {b: 9, c: 4}\n', 'dup.yml'), { a: 3, b: 2, c: 4 });
  assert.deepEqual(yamlWarnings.splice(0), ['dup.yml:3:1: found a duplicate key (a); using the last value only, as Ansible does']);
  assert.throws(() => parseYaml('a:\n\tb: 1\n', 'tab.yml'), (e: ValidationError) => e.source?.line === 2 && /[Tt]ab/.test(e.message));
});

test('k=v arguments keep quoted spaces and templates', () => {
  assert.deepEqual(parseKv(`src=a.txt dest="/tmp/a b" mode=0644 content='{{ x | default("y z") }}'`).args, {
    src: 'a.txt',
    dest: '/tmp/a b',
    mode: '0644',
    content: '{{ x | default("y z") }}',
  });
  const cmd = parseKv('creates=/tmp/x echo "a  b" > /tmp/x', new Set(['creates']));
  assert.deepEqual(cmd.args, { creates: '/tmp/x' });
  assert.equal(cmd.free, 'echo "a  b" > /tmp/x');
});

test('unknown module: position and the nearest name', () => {
  const e = loadError('- hosts: all\n  tasks:\n    - name: x\n      coppy: dest=/tmp/x content=y\n');
  assert.equal(e.source?.line, 4);
  assert.equal(e.source?.col, 7);
  assert.match(e.message, /'coppy' is not a known module \(did you mean 'copy'\?\)/);
});

test('unknown task keyword and play keyword suggest the right word', () => {
  assert.match(loadError('- hosts: all\n  tasks:\n    - copy: dest=/x content=y\n      whn: false\n').message, /'whn' is not a valid task keyword or module \(did you mean 'when'\?\)/);
  assert.match(loadError('- hosts: all\n  taks: []\n').message, /'taks' is not a valid play keyword \(did you mean 'tasks'\?\)/);
});

test('bad module arguments are named before anything runs; templated values wait', () => {
  const e = loadError('- hosts: all\n  tasks:\n    - copy:\n        dest: /x\n        contnet: y\n');
  assert.match(e.message, /unsupported argument 'contnet' for module 'copy' \(did you mean 'content'\?\)/);
  assert.equal(e.source?.line, 5);
  const ok = write('templated.yml', '- hosts: all\n  tasks:\n    - file:\n        path: /x\n        state: "{{ wanted_state }}"\n');
  assert.equal(loadPlaybook(ok).length, 1);
  const bad = loadError('- hosts: all\n  tasks:\n    - file:\n        path: /x\n        state: sideways\n');
  assert.match(bad.message, /state/);
});

test('roles: defaults, handlers, tasks with the role attached; blocks and includes expanded', () => {
  write('roles/web/defaults/main.yml', 'port: 80\n');
  write('roles/web/tasks/main.yml', '- name: in role\n  debug: msg=hi\n- import_tasks: more.yml\n');
  write('roles/web/tasks/more.yml', '- name: more\n  debug: msg=more\n  tags: [x]\n');
  write('roles/web/handlers/main.yml', '- name: restart web\n  debug: msg=restart\n');
  const p = write('site.yml', [
    '- hosts: all',
    '  roles: [web]',
    '  tasks:',
    '    - block:',
    '        - name: inner',
    '          command: /bin/true',
    '      rescue:',
    '        - debug: msg=rescued',
    '      when: port == 80',
    '      become: true',
  ].join('\n'));
  const [play] = loadPlaybook(p);
  assert.equal(play.roles[0].defaults.port, 80);
  assert.deepEqual(play.handlers.map((h) => h.name), ['restart web']);
  const roleTasks = play.sections[1] as Task[];
  assert.equal(roleTasks[0].name, 'in role');
  assert.equal(roleTasks[0].inherited.role?.name, 'web');
  const more = (roleTasks[1] as unknown as Block).block[0] as Task;
  assert.equal(more.name, 'more');
  assert.deepEqual(more.inherited.tags, ['x']);
  assert.equal(more.inherited.role?.name, 'web');
  const block = play.sections[2][0] as Block;
  const inner = block.block[0] as Task;
  assert.deepEqual(inner.inherited.when, ['port == 80']);
  assert.equal(inner.inherited.become, true);
  assert.equal(block.rescue.length, 1);
});

test('a missing role names where it looked and the nearest role', () => {
  write('roles/webserver/tasks/main.yml', '- debug: msg=x\n');
  const e = loadError('- hosts: all\n  roles:\n    - webservr\n');
  assert.match(e.message, /role 'webservr' not found \(did you mean 'webserver'\?\)/);
});

test('a flow collection whose lines sit left of its key is read as PyYAML reads it; other bad YAML still fails', () => {
  const text = [
    'headers: [',
    '# a comment inside',
    '"X-One a",',
    "'it''s [b]', {k: [1,",
    '2]} ]',
    'after: "x [y"',
    'block: |',
    '  [not flow',
    'last: a[0]',
    '',
  ].join('\n');
  assert.deepEqual(parseYaml(text, 'flow.yml'), { headers: ['X-One a', "it's [b]", { k: [1, 2] }], after: 'x [y', block: '[not flow\n', last: 'a[0]' });
  assert.throws(() => parseYaml('a: [1,\n2\nb: 3\n', 'bad.yml'), (e: ValidationError) => e.source?.file === 'bad.yml' && /YAML error/.test(e.message));
});
