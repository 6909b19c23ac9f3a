import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { files, hasAnsible, recap, runIn, sideBySideFleet } from '../helpers/side-by-side.js';
import { failureOf } from '../helpers/tools.js';

/**
 * test/fixtures/compat: roles in the styles public roles use, run by harun and by Debian's
 * ansible-playbook on the same loopback hosts. Both must print the same recap and leave the
 * same files.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const FIX = join(ROOT, 'test/fixtures/compat');
let fleet: Awaited<ReturnType<typeof sideBySideFleet>>;
let inv: string;
const scratch = (name: string) => fleet.scratch(name);
const run = (cmd: string, args: string[], base: string) => runIn(FIX, cmd, args, base);

before(async () => {
  fleet = await sideBySideFleet('compat');
  inv = fleet.inv;
});

after(async () => {
  await fleet?.stop();
});

test('harun runs the public-role styles: first run changes, second is ok, with the expected files', async () => {
  const base = scratch('harun');
  const first = await run('node', [join(ROOT, 'bin/harun.js'), 'play', 'site.yml', '-i', inv, '--output', 'plain'], base);
  assert.equal(first.code, 0, failureOf(first.out));
  const again = await run('node', [join(ROOT, 'bin/harun.js'), 'play', 'site.yml', '-i', inv, '--output', 'plain'], base);
  assert.equal(again.code, 0, failureOf(again.out));
  // only group_by changes on a rerun: it adds to the run's in-memory inventory each time, as in Ansible
  assert.equal(recap(again.out).length, 2);
  for (const line of recap(again.out)) assert.match(line, /changed=1 /, line);
  assert.deepEqual([...again.out.matchAll(/^changed: \[(\w+)\]/gm)].length, 2, again.out);
  const got = files(base);
  assert.equal(got['/compat1/pairs'], 'nginx=1,curl=2\n');
  assert.equal(got['/compat1/setup'], 'debian-like from-default\n');
  assert.equal(got['/compat1/user-ann'], '2\n');
  assert.equal(got['/compat1/bob-k3'], 'bob\n');
  assert.equal(got['/compat1/greet'], 'greet\n');
  assert.equal(got['/compat2/grouped'], 'yes\n');
  assert.equal(got['/compat1/scope-inside'], 'from-defaults from-vars\n');
  assert.equal(got['/compat1/scope-private'], 'unset unset\n', 'a private include_role leaves nothing behind');
  assert.equal(got['/compat1/scope-public'], 'from-defaults from-vars\n');
  assert.equal(got['/compat1/flavour-a'], 'a\n');
  assert.equal(got['/compat1/dated-mtime'], `${new Date(2020, 0, 2, 13, 4, 5).getTime() / 1000}\n`);
  assert.equal(got['/compat2/flavour-b'], 'b-default\n');
  assert.match(got['/compat1/compat.conf'], /^# Ansible managed\nsize=medium\ndefined=yes\njoined=a\+b\ncurl=2\nnginx=1\nhash=\$6\$fixedsalt\$/);
});

test('public-role styles under ansible-playbook on the same hosts: the same recap, byte for byte, and the same files', { skip: !hasAnsible() && 'ansible-playbook is not installed' }, async () => {
  const ours = scratch('ours');
  const theirs = scratch('theirs');
  for (let i = 0; i < 2; i++) {
    const h = await run('node', [join(ROOT, 'bin/harun.js'), 'play', 'site.yml', '-i', inv, '--output', 'plain'], ours);
    const a = await run('ansible-playbook', ['site.yml', '-i', inv], theirs);
    assert.equal(a.code, 0, failureOf(a.out));
    assert.equal(h.code, 0, failureOf(h.out));
    assert.deepEqual(recap(h.out), recap(a.out), `run ${i + 1}: harun vs ansible-playbook`);
  }
  assert.deepEqual(files(ours), files(theirs));
});
