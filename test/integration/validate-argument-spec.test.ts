import { join, resolve } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasAnsible } from '../helpers/side-by-side.js';
import { execFile } from 'node:child_process';

/**
 * validate_argument_spec and gather_facts as tasks, run by harun and by Debian's ansible-playbook
 * on the same playbook (localhost): the same outcomes and the same argument errors, word for word.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const FIX = join(ROOT, 'test/fixtures/validate_argument_spec');

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd: FIX, env: { ...process.env, ANSIBLE_NOCOLOR: '1', ...env }, maxBuffer: 1 << 26 }, (e, out, err) =>
      res({ code: e ? Number((e as any).code) : 0, out, err }),
    );
  });
}

/**
 * Two parts of Ansible's messages follow the order of a Python set, which changes from run to run:
 * the valid booleans (sorted here) and whose supported parameters the unsupported ones get (cut).
 */
const setOrder = (m: string) =>
  m
    .replace(/(Valid booleans include: )([^\n]*)/g, (_, head: string, list: string) => head + list.split(', ').sort().join(', '))
    .replace(/(\. Supported parameters include: )[^\n]*\./g, '$1…');

/** Each task's outcome and what the test compares of its result. */
function tasks(doc: any) {
  return doc.plays[0].tasks.map((t: any) => {
    const r = t.hosts.localhost;
    const state = r.failed ? 'failed' : r.changed ? 'changed' : 'ok';
    return { name: t.task.name, state, errors: r.argument_errors?.map(setOrder), msg: typeof r.msg === 'string' ? setOrder(r.msg) : undefined, dist: r.ansible_distribution };
  });
}

test('harun: argument errors in Ansible order and words; gather_facts as a task', async () => {
  const r = await run('node', [join(ROOT, 'bin/harun.js'), 'play', 'site.yml', '--output', 'json']);
  assert.equal(r.code, 0, r.err);
  const got = tasks(JSON.parse(r.out));
  assert.deepEqual(got[0].errors?.slice(0, 2), [
    'missing required arguments: other',
    "argument 'port' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int",
  ]);
  assert.equal(got[0].state, 'failed');
  assert.equal(got[2].msg, 'The arg spec validation passed');
  assert.equal(got[3].state, 'ok');
  assert.match(String(got[4].dist), /^\w+/);
});

test('the same as ansible-playbook: outcomes, messages and errors', { skip: !hasAnsible() && 'ansible-playbook is not installed' }, async () => {
  const [h, a] = await Promise.all([
    run('node', [join(ROOT, 'bin/harun.js'), 'play', 'site.yml', '--output', 'json']),
    run('ansible-playbook', ['site.yml'], { ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_LOCALHOST_WARNING: 'False' }),
  ]);
  assert.equal(a.code, 0, a.err);
  assert.equal(h.code, 0, h.err);
  // Ansible's values read from YAML are of its own string class; harun's are plain str
  const theirs = JSON.parse(a.out.replaceAll('ansible.parsing.yaml.objects.AnsibleUnicode', 'str'));
  assert.deepEqual(tasks(JSON.parse(h.out)), tasks(theirs));
});
