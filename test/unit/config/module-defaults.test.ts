import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Block, Task } from '../../../src/config/model.js';
import { loadPlaybook } from '../../../src/config/playbook.js';
import { playbookError } from '../../helpers/load.js';

const dir = mkdtempSync(join(tmpdir(), 'harun-mdef-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(rel: string, text: string): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
  return p;
}

test('module_defaults of play, role, block and task reach the task, short and FQCN keys alike, inner ones last', () => {
  write('r/roles/web/tasks/main.yml', '- copy: dest=/x content=y\n');
  const p = write('r/site.yml', `
- hosts: all
  module_defaults:
    ansible.builtin.copy: {mode: "0600", owner: a}
    file: {state: touch}
  roles:
    - role: web
      module_defaults: {ansible.legacy.copy: {owner: b}}
  tasks:
    - block:
        - copy: dest=/y content=z
          module_defaults: {copy: {group: "{{ g }}"}}
      module_defaults: [{copy: {mode: "0644"}}]
    - command: pwd
      module_defaults: {command: "{{ cmd_defaults }}"}
`);
  const [play] = loadPlaybook(p);
  const roleTask = play.sections[1][0] as Task;
  assert.deepEqual(roleTask.defaults, [{ mode: '0600', owner: 'a' }, { owner: 'b' }]);
  const inBlock = (play.sections[2][0] as Block).block[0] as Task;
  assert.deepEqual(inBlock.defaults, [{ mode: '0600', owner: 'a' }, { mode: '0644' }, { group: '{{ g }}' }]);
  assert.deepEqual((play.sections[2][1] as Task).defaults, ['{{ cmd_defaults }}']);
});

test('an action group, an unknown module or a bad default is refused at load, naming file:line:col', () => {
  const group = playbookError(write('g.yml', '- hosts: all\n  module_defaults:\n    group/aws: {region: x}\n  tasks: [{ping: }]\n'));
  assert.match(group.describe(), /g\.yml:3:5.*action group 'group\/aws' is not supported by harun/s);
  const unknown = playbookError(write('u.yml', '- hosts: all\n  tasks:\n    - ping:\n      module_defaults: {no_such_mod: {a: 1}}\n'));
  assert.match(unknown.describe(), /u\.yml:4:25.*Could not resolve action no_such_mod in module_defaults/s);
  const bad = playbookError(write('b.yml', '- hosts: all\n  module_defaults:\n    copy: [1]\n  tasks: [{ping: }]\n'));
  assert.match(bad.describe(), /b\.yml:3:5.*must be a mapping of arguments/s);
  // a default the module does not take is an argument error of the task that gets it
  const arg = playbookError(write('a.yml', '- hosts: all\n  module_defaults:\n    copy: {nosuch: 1}\n  tasks:\n    - copy: dest=/x content=y\n'));
  assert.match(arg.describe(), /unsupported argument 'nosuch' for module 'copy'/);
});
