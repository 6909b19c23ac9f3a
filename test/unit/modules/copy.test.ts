import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { copy } from '../../../src/modules/copy.js';
import { template } from '../../../src/modules/template.js';
import { argError, runModule, tempDir } from './helpers.js';

test('copy content: changed, then unchanged; check mode and diff', async (t) => {
  const dir = tempDir(t);
  const dest = join(dir, 'motd');
  const chk = await runModule(copy, { content: 'hi\n', dest }, { check: true, diff: true });
  assert.equal(chk.changed, true);
  assert.deepEqual(chk.diff, [{ path: dest, before: '', after: 'hi\n' }]);
  assert.equal(existsSync(dest), false, 'check mode left the host untouched');
  const r1 = await runModule(copy, { content: 'hi\n', dest, mode: 0o600 });
  assert.equal(r1.changed, true);
  assert.equal(readFileSync(dest, 'utf8'), 'hi\n');
  assert.equal(statSync(dest).mode & 0o777, 0o600);
  assert.equal(r1.checksum, '55ca6286e3e4f4fba5d0448333fa99fc5a404a73');
  const r2 = await runModule(copy, { content: 'hi\n', dest, mode: '0600' });
  assert.equal(r2.changed, false);
  const r3 = await runModule(copy, { content: 'ho\n', dest, force: 'no' });
  assert.equal(r3.changed, false, 'force: no keeps an existing file');
  const r4 = await runModule(copy, { content: 'ho\n', dest }, { diff: true });
  assert.deepEqual(r4.diff, [{ path: dest, before: 'hi\n', after: 'ho\n' }]);
  assert.equal(statSync(dest).mode & 0o777, 0o600, 'mode kept');
});

test('copy src into a directory, mode preserve; missing src fails', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'files'));
  mkdirSync(join(dir, 'out'));
  writeFileSync(join(dir, 'files', 'run.sh'), '#!/bin/sh\n');
  chmodSync(join(dir, 'files', 'run.sh'), 0o750);
  const args = { src: 'run.sh', dest: join(dir, 'out'), mode: 'preserve' };
  const r1 = await runModule(copy, args, { filesDir: join(dir, 'files') });
  assert.equal(r1.changed, true);
  assert.equal(r1.dest, join(dir, 'out', 'run.sh'));
  assert.equal(statSync(join(dir, 'out', 'run.sh')).mode & 0o777, 0o750);
  const r2 = await runModule(copy, args, { filesDir: join(dir, 'files') });
  assert.equal(r2.changed, false);
  const m = await runModule(copy, { src: 'nope', dest: dir }, { filesDir: join(dir, 'files') });
  assert.equal(m.failed, true);
  assert.match(String(m.msg), /Could not find or access 'nope'/);
});

test('copy remote_src: cmp decides; check mode does not write', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a'), 'A\n');
  const args = { src: join(dir, 'a'), dest: join(dir, 'b'), remote_src: true, mode: '0640' };
  const c = await runModule(copy, args, { check: true });
  assert.equal(c.changed, true);
  assert.equal(existsSync(join(dir, 'b')), false);
  const r1 = await runModule(copy, args);
  assert.equal(r1.changed, true);
  assert.equal(readFileSync(join(dir, 'b'), 'utf8'), 'A\n');
  assert.equal(statSync(join(dir, 'b')).mode & 0o777, 0o640);
  const r2 = await runModule(copy, args);
  assert.equal(r2.changed, false);
  const r3 = await runModule(copy, { ...args, mode: '0600' });
  assert.equal(r3.changed, true, 'attribute change alone is a change');
});

test('template renders with the context and converges', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'x.conf.j2'), 'port={{ port }}\n');
  const render = (text: string, extra?: Record<string, unknown>) => {
    assert.ok(String(extra?.template_path).endsWith('x.conf.j2'));
    return text.replace('{{ port }}', '80');
  };
  const dest = join(dir, 'x.conf');
  const r1 = await runModule(template, { src: 'x.conf.j2', dest }, { filesDir: dir, render, diff: true });
  assert.equal(r1.changed, true);
  assert.deepEqual(r1.diff, [{ path: dest, before: '', after: 'port=80\n' }]);
  assert.equal(readFileSync(dest, 'utf8'), 'port=80\n');
  const r2 = await runModule(template, { src: 'x.conf.j2', dest }, { filesDir: dir, render });
  assert.equal(r2.changed, false);
});

test('copy/template bad arguments name the argument', () => {
  assert.match(argError(copy, { dest: '/x' }), /argument src: src \(or content\) is required/);
  assert.match(argError(copy, { content: 'x', dest: '/x/' }), /argument dest: can not use content with a dir as dest/);
  assert.match(argError(copy, { content: 'x', dest: '/x', mode: 'rwx' }), /argument mode: mode 'rwx'/);
  assert.match(argError(copy, { content: 'x', dest: '/x', backup: 'sure' }), /argument backup: expected a boolean/);
  assert.match(argError(copy, { content: 'x' }), /argument dest:/);
  assert.match(argError(template, { src: 'a', dest: 'b', path: 'c' }), /unsupported argument path/);
});
