import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { slurp } from '../../../src/modules/slurp.js';
import { runModule, tempDir } from './helpers.js';

test('slurp: the exact bytes base64-encoded, in check mode too; Ansible\'s messages when it cannot read', async (t) => {
  const dir = tempDir(t);
  const bin = Buffer.from([0, 1, 2, 255, 254, 10, 0x7f, 0xc3, 0x28]);
  writeFileSync(join(dir, 'bin'), bin);
  const r = await runModule(slurp, { src: join(dir, 'bin') });
  assert.deepEqual(r, { changed: false, content: bin.toString('base64'), encoding: 'base64', source: join(dir, 'bin') });
  assert.equal((await runModule(slurp, { path: join(dir, 'bin') }, { check: true })).content, bin.toString('base64'));
  assert.match(String((await runModule(slurp, { src: join(dir, 'nope') })).msg), /^file not found: /);
  assert.match(String((await runModule(slurp, { src: dir })).msg), /^source is a directory and must be a file/);
  writeFileSync(join(dir, 'empty'), '');
  assert.equal((await runModule(slurp, { src: join(dir, 'empty') })).content, '');
});
