import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { files, hasAnsible, recap, runIn, sideBySideFleet } from '../helpers/side-by-side.js';
import { failureOf } from '../helpers/tools.js';

/**
 * test/fixtures/task-keywords: async/poll, fire-and-forget jobs and async_status, module_defaults,
 * run by harun and by
 * Debian's ansible-playbook on the same loopback hosts: the same recap and the same files.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const FIX = join(ROOT, 'test/fixtures/task-keywords');
let fleet: Awaited<ReturnType<typeof sideBySideFleet>>;
let inv: string;
const scratch = (name: string) => fleet.scratch(name);
const run = (cmd: string, args: string[], base: string) => runIn(FIX, cmd, args, base);
const harun = (base: string, ...extra: string[]) => run('node', [join(ROOT, 'bin/harun.js'), 'play', 'site.yml', '-i', inv, '--output', 'plain', ...extra], base);


before(async () => {
  fleet = await sideBySideFleet('async');
  inv = fleet.inv;
});

after(async () => {
  await fleet?.stop();
});

test('harun: polled jobs, a fired job waited for with async_status, a job past its limit (one launch exec per job); module_defaults', async () => {
  const base = scratch('harun');
  const first = await harun(base, '-vv');
  assert.equal(first.code, 0, failureOf(first.out));
  for (const line of recap(first.out)) assert.match(line, /ok=19 +changed=12 .*ignored=1 /, line);
  assert.match(first.out, /fatal: \[async1\]: FAILED! =>.*async task did not complete within the requested time - 1s/);
  const got = files(base);
  assert.equal(got['/async1/report'], [
    'fg=polled/to-stderr/0',
    "guarded=Did not run command since 'BASE' exists",
    'fired=fired',
    'late=True',
    'nojob=could not find job',
    '',
  ].join('\n'));
  assert.equal(got['/async2/item-b'], 'b\n');
  assert.equal(got['/async1/lines'], 'async line\n');
  assert.equal(got['/async1/md-report'], 'True md-a 600,md-b 640,md-c 604,md-d 444\n');
  // the fired job's launch is one exec: its async_status then reads the file it wrote
  const launches = first.out.split('\n').filter((l) => l.includes('exec: umask 077; d="$HOME"/.ansible_async'));
  assert.equal(launches.length, 2 * 7, 'one launch per job and host: 4 polled, 1 fired, 1 late, 1 lineinfile');
  const again = await harun(base);
  assert.equal(again.code, 0, failureOf(again.out));
  for (const line of recap(again.out)) assert.match(line, /ok=19 +changed=5 .*ignored=1 /, line);
});

test('async and module_defaults under ansible-playbook on the same hosts: the same recap, byte for byte, and the same files', { skip: !hasAnsible() && 'ansible-playbook is not installed' }, async () => {
  const ours = scratch('ours');
  const theirs = scratch('theirs');
  for (let i = 0; i < 2; i++) {
    const h = await harun(ours);
    const a = await run('ansible-playbook', ['site.yml', '-i', inv], theirs);
    assert.equal(a.code, 0, failureOf(a.out));
    assert.equal(h.code, 0, failureOf(h.out));
    assert.deepEqual(recap(h.out), recap(a.out), `run ${i + 1}: harun vs ansible-playbook`);
  }
  assert.deepEqual(files(ours), files(theirs));
});
