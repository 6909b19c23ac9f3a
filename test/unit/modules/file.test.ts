import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { file } from '../../../src/modules/file.js';
import { stat } from '../../../src/modules/stat.js';
import { fetch } from '../../../src/modules/fetch.js';
import { argError, runModule, tempDir } from './helpers.js';
import type { Sh } from '../../../src/shell/sh.js';

test('file state=directory: created, unchanged, mode change, check mode untouched', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'a/b');
  const chk = await runModule(file, { path, state: 'directory', mode: '0750' }, { check: true });
  assert.equal(chk.changed, true);
  assert.equal(existsSync(path), false, 'check mode left the host untouched');
  const r1 = await runModule(file, { path, state: 'directory', mode: '0750' });
  assert.equal(r1.changed, true);
  assert.ok(statSync(path).isDirectory());
  assert.equal(statSync(path).mode & 0o7777, 0o750);
  assert.equal(r1.mode, '0750');
  const r2 = await runModule(file, { dest: path, state: 'directory', mode: 0o750 });
  assert.equal(r2.changed, false);
  const r3 = await runModule(file, { name: path, state: 'directory', mode: 'g+w' }, { diff: true });
  assert.equal(r3.changed, true);
  assert.equal(statSync(path).mode & 0o7777, 0o770);
  assert.deepEqual(r3.diff?.[0], { path, before: `path: ${path}\nstate: directory\nmode: 0750\n`, after: `path: ${path}\nstate: directory\nmode: 0770\n` });
});

test('file recurse applies the mode below the directory', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'r/s'), { recursive: true });
  writeFileSync(join(dir, 'r/s/f'), '');
  const args = { path: join(dir, 'r'), state: 'directory', mode: '0700', recurse: true };
  const r1 = await runModule(file, args);
  assert.equal(r1.changed, true);
  assert.equal(statSync(join(dir, 'r/s/f')).mode & 0o777, 0o700);
  const r2 = await runModule(file, args);
  assert.equal(r2.changed, false);
});

test('file link, hard, touch, absent, and state=file on a missing path', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'target'), 'x');
  const link = join(dir, 'link');
  const l1 = await runModule(file, { path: link, src: join(dir, 'target'), state: 'link' });
  assert.equal(l1.changed, true);
  assert.equal(readlinkSync(link), join(dir, 'target'));
  const l2 = await runModule(file, { path: link, src: join(dir, 'target'), state: 'link' });
  assert.equal(l2.changed, false);
  const l3 = await runModule(file, { path: link, src: 'nowhere', state: 'link' });
  assert.equal(l3.failed, true);
  assert.match(String(l3.msg), /src file does not exist/);
  writeFileSync(join(dir, 'plain'), '');
  const l4 = await runModule(file, { path: join(dir, 'plain'), src: 'target', state: 'link' });
  assert.match(String(l4.msg), /refusing to convert from file to symlink/);
  const l5 = await runModule(file, { path: join(dir, 'plain'), src: 'target', state: 'link', force: true });
  assert.equal(l5.changed, true);
  assert.equal(lstatSync(join(dir, 'plain')).isSymbolicLink(), true);

  const hard = join(dir, 'hard');
  const h1 = await runModule(file, { path: hard, src: join(dir, 'target'), state: 'hard' });
  assert.equal(h1.changed, true);
  assert.equal(statSync(hard).ino, statSync(join(dir, 'target')).ino);
  const h2 = await runModule(file, { path: hard, src: join(dir, 'target'), state: 'hard' });
  assert.equal(h2.changed, false);

  const touched = join(dir, 'touched');
  const t1 = await runModule(file, { path: touched, state: 'touch', mode: '0600' });
  assert.equal(t1.changed, true);
  assert.equal(statSync(touched).mode & 0o777, 0o600);

  const f = await runModule(file, { path: join(dir, 'missing') });
  assert.equal(f.failed, true);
  assert.match(String(f.msg), /is absent, cannot continue/);
  const fm = await runModule(file, { path: touched, mode: '0644' });
  assert.deepEqual([fm.changed, fm.state], [true, 'file']);

  const a1 = await runModule(file, { path: touched, state: 'absent' });
  assert.equal(a1.changed, true);
  assert.equal(existsSync(touched), false);
  const a2 = await runModule(file, { path: touched, state: 'absent' });
  assert.equal(a2.changed, false);
});

test('stat reports Ansible keys; missing path; symlink', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'f'), 'hi\n', { mode: 0o640 });
  symlinkSync(join(dir, 'f'), join(dir, 'l'));
  const r = await runModule(stat, { path: join(dir, 'f') });
  const s = r.stat as Record<string, unknown>;
  assert.equal(r.changed, false);
  assert.deepEqual([s.exists, s.isreg, s.isdir, s.mode, s.size, s.checksum], [true, true, false, '0640', 3, '55ca6286e3e4f4fba5d0448333fa99fc5a404a73']);
  assert.equal(s.uid, process.getuid!());
  assert.equal(typeof s.pw_name, 'string');
  assert.equal(s.mtime, Math.floor(statSync(join(dir, 'f')).mtimeMs / 1000));
  const l = (await runModule(stat, { path: join(dir, 'l'), get_checksum: false })).stat as Record<string, unknown>;
  assert.deepEqual([l.islnk, l.lnk_source, l.checksum], [true, join(dir, 'f'), undefined]);
  const lf = (await runModule(stat, { path: join(dir, 'l'), follow: true, checksum_algorithm: 'sha256' })).stat as Record<string, unknown>;
  assert.equal(lf.isreg, true);
  assert.equal(String(lf.checksum).length, 64);
  const m = await runModule(stat, { path: join(dir, 'nope') });
  assert.deepEqual(m.stat, { exists: false });
});

test('fetch: host/path layout, flat, unchanged second time, missing file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'remote.bin'), Buffer.from([0, 1, 2, 255, 10]));
  const out = join(dir, 'out');
  const chk = await runModule(fetch, { src: join(dir, 'remote.bin'), dest: out }, { check: true });
  assert.equal(chk.changed, true);
  assert.equal(existsSync(out), false);
  const r1 = await runModule(fetch, { src: join(dir, 'remote.bin'), dest: out });
  const where = join(out, 'localhost', dir, 'remote.bin');
  assert.equal(r1.changed, true);
  assert.equal(r1.dest, where);
  assert.deepEqual(readFileSync(where), Buffer.from([0, 1, 2, 255, 10]));
  const r2 = await runModule(fetch, { src: join(dir, 'remote.bin'), dest: out });
  assert.equal(r2.changed, false);
  const flat = await runModule(fetch, { src: join(dir, 'remote.bin'), dest: out + '/', flat: 'yes' });
  assert.equal(flat.dest, join(out, 'remote.bin'));
  const miss = await runModule(fetch, { src: join(dir, 'nope'), dest: out, fail_on_missing: false });
  assert.deepEqual([miss.failed, miss.changed], [false, false]);
  const miss2 = await runModule(fetch, { src: join(dir, 'nope'), dest: out });
  assert.equal(miss2.failed, true);
});

test('file/stat/fetch bad arguments name the argument', () => {
  assert.match(argError(file, { path: '/x', state: 'gone' }), /argument state: expected one of absent/);
  assert.match(argError(file, { path: '/x', state: 'link' }), /argument src: src is required for state=link/);
  assert.match(argError(file, { path: '/x', recurse: true }), /argument recurse: recurse option requires state to be directory/);
  assert.match(argError(file, { path: '/x', dest: '/y' }), /argument dest: dest is an alias of path/);
  assert.match(argError(stat, { path: '/x', checksum_algorithm: 'crc' }), /argument checksum_algorithm/);
  assert.match(argError(fetch, { src: '/x' }), /argument dest/);
});

test('file: directory, touch, file and absent converge in one round trip; links take two', async (t) => {
  const dir = tempDir(t);
  const { testContext } = await import('../../helpers/ctx.js');
  const { parseArgs } = await import('../../../src/modules/lib/args.js');
  let calls = 0;
  const go = (args: unknown, o: { check?: boolean } = {}) => {
    const ctx = testContext(o);
    const run = ctx.run;
    calls = 0;
    return file.run({ ...ctx, run: (c: Sh, x?: any) => (calls++, run(c, x)) }, parseArgs('file', file.schema, args));
  };
  const d = join(dir, 'x/y');
  const d1 = await go({ path: d, state: 'directory', mode: '0700' });
  assert.deepEqual([d1.changed, d1.mode, calls, statSync(d).mode & 0o7777], [true, '0700', 1, 0o700]);
  const d2 = await go({ path: d, state: 'directory', mode: 0o755 });
  assert.deepEqual([d2.changed, d2.mode, calls, statSync(d).mode & 0o7777], [true, '0755', 1, 0o755]);
  const d3 = await go({ path: d, state: 'directory', mode: 0o755, owner: String(process.getuid!()) });
  assert.deepEqual([d3.changed, calls], [false, 1]);

  const f = join(dir, 'f');
  const c = await go({ path: f, state: 'touch', mode: '0600' }, { check: true });
  assert.deepEqual([c.changed, existsSync(f)], [true, false]);
  const t1 = await go({ path: f, state: 'touch', mode: '0600' });
  assert.deepEqual([t1.changed, calls, statSync(f).mode & 0o7777], [true, 1, 0o600]);
  const f1 = await go({ path: f, state: 'file', mode: '0640' });
  assert.deepEqual([f1.changed, f1.mode, calls, statSync(f).mode & 0o7777], [true, '0640', 1, 0o640]);
  const f2 = await go({ path: f, state: 'file', mode: '0640' });
  assert.deepEqual([f2.changed, calls], [false, 1]);
  const bad = await go({ path: join(dir, 'nope'), state: 'file' });
  assert.deepEqual([bad.failed, existsSync(join(dir, 'nope'))], [true, false]);
  const notDir = await go({ path: f, state: 'directory' });
  assert.deepEqual([notDir.failed, statSync(f).isFile()], [true, true]);

  const chkAbsent = await go({ path: f, state: 'absent' }, { check: true });
  assert.deepEqual([chkAbsent.changed, existsSync(f)], [true, true]);
  const a1 = await go({ path: f, state: 'absent' });
  assert.deepEqual([a1.changed, calls, existsSync(f)], [true, 1, false]);
  const a2 = await go({ path: f, state: 'absent' });
  assert.deepEqual([a2.changed, calls], [false, 1]);

  // through a link the probe decides and a second exec acts
  const l = join(dir, 'l');
  symlinkSync(d, l);
  const l1 = await go({ path: l, state: 'directory', mode: '0711' });
  assert.deepEqual([l1.changed, calls, statSync(d).mode & 0o7777], [true, 2, 0o711]);
});

test('file state=touch with both times preserved is ok on an existing file, changed when it creates one', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'stamp');
  const args = { path: p, state: 'touch', modification_time: 'preserve', access_time: 'preserve' };
  const first = await runModule(file, args);
  assert.equal(first.changed, true);
  const before = statSync(p).mtimeMs;
  for (let i = 0; i < 2; i++) assert.equal((await runModule(file, args)).changed, false, `rerun ${i + 1}`);
  assert.equal(statSync(p).mtimeMs, before);
  assert.equal((await runModule(file, { path: p, state: 'touch' })).changed, true, 'a plain touch always changes');
  assert.equal((await runModule(file, { ...args, mode: '0600' })).changed, true, 'attributes still converge');
});

test('file times: a value in its format (the host\'s local time), now, preserve; idempotent on state=file; a bad value names the format', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'timed');
  writeFileSync(path, 'x');
  const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) => new Date(y, mo - 1, d, h, mi, s).getTime() / 1000;
  // state=touch: the default format, access time kept
  const before = statSync(path).atimeMs;
  const r1 = await runModule(file, { path, state: 'touch', modification_time: '202001021304.05', access_time: 'preserve' });
  assert.equal(r1.changed, true, String(r1.msg));
  assert.equal(statSync(path).mtimeMs / 1000, local(2020, 1, 2, 13, 4, 5));
  assert.equal(statSync(path).atimeMs, before);
  // state=file: set when different, then nothing to do; a format of one's own
  const args = { path, state: 'file', modification_time: '03/04/2021 05:06', modification_time_format: '%d/%m/%Y %H:%M' };
  const chk = await runModule(file, args, { check: true });
  assert.equal(chk.changed, true);
  assert.equal(statSync(path).mtimeMs / 1000, local(2020, 1, 2, 13, 4, 5), 'check mode left the times alone');
  assert.equal((await runModule(file, args)).changed, true);
  assert.equal(statSync(path).mtimeMs / 1000, local(2021, 4, 3, 5, 6, 0));
  assert.equal((await runModule(file, args)).changed, false, 'the same time again changes nothing');
  // now on state=file always sets them, as in Ansible
  const now = await runModule(file, { path, state: 'file', modification_time: 'now' });
  assert.equal(now.changed, true);
  assert.ok(Math.abs(statSync(path).mtimeMs - Date.now()) < 60_000);
  // bad input: the value and the format it was held to
  const bad = await runModule(file, { path, state: 'touch', modification_time: 'yesterday' });
  assert.equal(bad.failed, true);
  assert.equal(bad.msg, 'modification_time: expected preserve, now or a time in the format %Y%m%d%H%M.%S, got "yesterday"');
  const badFmt = await runModule(file, { path, state: 'touch', access_time: '2020', access_time_format: '%G' });
  assert.match(String(badFmt.msg), /access_time_format: %G is not supported/);
});
