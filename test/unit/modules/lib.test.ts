import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { ONE_TRIP_MAX, convergeFile, readRemoteFile } from '../../../src/modules/lib/file.js';
import { parseMode, resolveMode, fmtMode } from '../../../src/modules/lib/mode.js';
import { parseArgs } from '../../../src/modules/lib/args.js';
import { copy } from '../../../src/modules/copy.js';
import { file } from '../../../src/modules/file.js';
import { template } from '../../../src/modules/template.js';
import { lineinfile } from '../../../src/modules/lineinfile.js';
import { get_url } from '../../../src/modules/get_url.js';
import { unarchive } from '../../../src/modules/unarchive.js';
import { unifiedDiff } from '../../../src/modules/lib/diff.js';
import { testContext } from '../../helpers/ctx.js';
import { tempDir } from './helpers.js';
import type { Sh } from '../../../src/shell/sh.js';

test('parseMode: YAML number, octal strings, symbolic, and bad input', () => {
  assert.deepEqual(parseMode(420), { kind: 'octal', value: 0o644 });
  assert.deepEqual(parseMode('0644'), { kind: 'octal', value: 0o644 });
  assert.deepEqual(parseMode('644'), { kind: 'octal', value: 0o644 });
  assert.deepEqual(parseMode('1777'), { kind: 'octal', value: 0o1777 });
  assert.deepEqual(parseMode('u=rw,g=r,o=r'), { kind: 'symbolic', text: 'u=rw,g=r,o=r' });
  assert.throws(() => parseMode('rw-r--r--'), /neither octal/);
  assert.throws(() => parseMode('0999'), /neither octal/);
});

test('every module with a mode rejects a bad one at argument parsing; copy also takes preserve', () => {
  const bad = /argument mode: mode 'rw-r--r--' is neither octal/;
  assert.throws(() => parseArgs('copy', copy.schema, { content: 'x', dest: '/tmp/x', mode: 'rw-r--r--' }), bad);
  assert.throws(() => parseArgs('template', template.schema, { src: 'a.j2', dest: '/tmp/x', mode: 'rw-r--r--' }), bad);
  assert.throws(() => parseArgs('file', file.schema, { path: '/tmp/x', mode: 'rw-r--r--' }), bad);
  assert.throws(() => parseArgs('lineinfile', lineinfile.schema, { path: '/tmp/x', line: 'a', mode: 'rw-r--r--' }), bad);
  assert.throws(() => parseArgs('get_url', get_url.schema, { url: 'http://x/a', dest: '/tmp/x', mode: 'rw-r--r--' }), bad);
  assert.throws(() => parseArgs('unarchive', unarchive.schema, { src: 'a.tgz', dest: '/tmp', mode: 'rw-r--r--' }), bad);
  assert.throws(() => parseArgs('copy', copy.schema, { src: 'd/', dest: '/tmp/x', directory_mode: '0999' }), /argument directory_mode: mode '0999' is neither octal/);
  assert.throws(() => parseArgs('lineinfile', lineinfile.schema, { path: '/tmp/x', line: 'a', mode: 'preserve' }), /mode 'preserve' is neither octal/);
  assert.throws(() => parseArgs('file', file.schema, { path: '/tmp/x', mode: 0o17777 }), /argument mode: mode 8191 is not a valid file mode/);
  assert.equal(parseArgs('copy', copy.schema, { content: 'x', dest: '/tmp/x', mode: 'preserve' }).mode, 'preserve');
  assert.throws(() => parseArgs('file', file.schema, { path: '/tmp/x', mode: 'preserve' }), /argument mode: mode 'preserve' is neither octal/);
  assert.equal(parseArgs('template', template.schema, { src: 'a.j2', dest: '/tmp/x', mode: 'u=rw,g=r' }).mode, 'u=rw,g=r');
});

test('resolveMode applies symbolic modes like chmod', () => {
  assert.equal(fmtMode(resolveMode('u=rw,g=r,o=r', 0o777, false)), '0644');
  assert.equal(fmtMode(resolveMode('a+x', 0o644, false)), '0755');
  assert.equal(fmtMode(resolveMode('go-w', 0o666, false)), '0644');
  assert.equal(fmtMode(resolveMode('u+X', 0o644, false)), '0644');
  assert.equal(fmtMode(resolveMode('u+X', 0o644, true)), '0744');
  assert.equal(fmtMode(resolveMode('g=u', 0o640, false)), '0660');
  assert.equal(fmtMode(resolveMode('0600', 0o644, false)), '0600');
});

test('unifiedDiff shows changed lines with context and hunk ranges', () => {
  const before = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n';
  const after = 'a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\n';
  const d = unifiedDiff('/etc/x', before, after);
  assert.equal(
    d,
    '--- before: /etc/x\n+++ after: /etc/x\n@@ -2,9 +2,10 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n i\n j\n+k\n',
  );
  assert.equal(unifiedDiff('/x', 'same\n', 'same\n'), '');
  assert.match(unifiedDiff('/x', '', 'new\n'), /@@ -0,0 \+1 @@\n\+new\n$/);
  assert.match(unifiedDiff('/x', 'a', 'a\n'), /-a\n\\ No newline at end of file\n\+a\n/);
});

test('convergeFile: create, unchanged, content change with diff and backup, attributes only', async (t) => {
  const dir = tempDir(t);
  const dest = join(dir, 'conf');
  const r1 = await convergeFile(testContext(), { dest, content: 'one\n', mode: '0640' });
  assert.equal(r1.changed, true);
  assert.equal(readFileSync(dest, 'utf8'), 'one\n');
  assert.equal(statSync(dest).mode & 0o7777, 0o640);
  assert.equal(r1.mode, '0640');
  assert.equal(r1.checksum, createHash('sha1').update('one\n').digest('hex'));

  const ctx = testContext();
  let calls = 0;
  const run = ctx.run;
  const counted = { ...ctx, run: (c: Sh, o?: any) => (calls++, run(c, o)) };
  const r2 = await convergeFile(counted, { dest, content: 'one\n', mode: 0o640 });
  assert.equal(r2.changed, false);
  assert.equal(calls, 1, 'an unchanged file costs one round trip');

  calls = 0;
  const dctx = testContext({ diff: true });
  const drun = dctx.run;
  const r3 = await convergeFile({ ...dctx, run: (c: Sh, o?: any) => (calls++, drun(c, o)) }, { dest, content: 'two\n', backup: true });
  assert.equal(calls, 1, 'a change of a small file costs one round trip too');
  assert.equal(r3.changed, true);
  assert.deepEqual(r3.diff, [{ path: dest, before: 'one\n', after: 'two\n' }]);
  assert.equal(readFileSync(dest, 'utf8'), 'two\n');
  assert.equal(statSync(dest).mode & 0o7777, 0o640, 'existing mode is kept');
  assert.match(String(r3.backup_file), /conf\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$/);
  assert.equal(readFileSync(String(r3.backup_file), 'utf8'), 'one\n');
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.harun')), [], 'no temp file left');

  const r4 = await convergeFile(testContext(), { dest, content: 'two\n', mode: 'u=rw,g=,o=' });
  assert.equal(r4.changed, true);
  assert.equal(statSync(dest).mode & 0o7777, 0o600);
  assert.equal(r4.diff, undefined);

  // attributes only, in one trip: mode changes, content and the rest stay
  calls = 0;
  const r5 = await convergeFile(counted, { dest, content: 'two\n', mode: '0644', owner: String(process.getuid!()) });
  assert.deepEqual([r5.changed, r5.mode, calls], [true, '0644', 1]);
  assert.equal(statSync(dest).mode & 0o7777, 0o644);
  assert.equal(readFileSync(dest, 'utf8'), 'two\n');
  const r6 = await convergeFile(counted, { dest, content: 'two\n', mode: '0644', owner: r5.owner as string, group: String(process.getgid!()) });
  assert.deepEqual([r6.changed, calls], [false, 2]);
  // force: false leaves different content alone
  const r7 = await convergeFile(testContext(), { dest, content: 'three\n', force: false });
  assert.equal(r7.changed, false);
  assert.equal(readFileSync(dest, 'utf8'), 'two\n');
});

test('convergeFile: a file above ONE_TRIP_MAX is probed first, so unchanged content is not sent', async (t) => {
  const dir = tempDir(t);
  const dest = join(dir, 'big');
  const big = 'x'.repeat(ONE_TRIP_MAX + 1);
  const ctx = testContext();
  const sent: (string | Buffer | undefined)[] = [];
  const counted = { ...ctx, run: (c: Sh, o?: any) => (sent.push(o?.stdin), ctx.run(c, o)) };
  const r1 = await convergeFile(counted, { dest, content: big, mode: '0600' });
  assert.deepEqual([r1.changed, sent.length, readFileSync(dest, 'utf8') === big], [true, 2, true]);
  const r2 = await convergeFile(counted, { dest, content: big, mode: '0600' });
  assert.deepEqual([r2.changed, sent.length, sent[2]], [false, 3, undefined]);
});

test('convergeFile: check mode touches nothing; validate failure keeps dest', async (t) => {
  const dir = tempDir(t);
  const dest = join(dir, 'f');
  writeFileSync(dest, 'old\n');
  const r = await convergeFile(testContext({ check: true, diff: true }), { dest, content: 'new\n' });
  assert.equal(r.changed, true);
  assert.deepEqual(r.diff, [{ path: dest, before: 'old\n', after: 'new\n' }]);
  assert.equal(readFileSync(dest, 'utf8'), 'old\n');

  const v = await convergeFile(testContext(), { dest, content: 'bad\n', validate: 'grep -q good %s' });
  assert.equal(v.failed, true);
  assert.equal(v.msg, 'failed to validate');
  assert.equal(readFileSync(dest, 'utf8'), 'old\n');
  const ok = await convergeFile(testContext(), { dest, content: 'good\n', validate: 'grep -q good %s' });
  assert.equal(ok.changed, true);
  assert.equal(readFileSync(dest, 'utf8'), 'good\n');
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('.harun')), []);
});

test('convergeFile: missing parent, create: false, links followed; readRemoteFile', async (t) => {
  const dir = tempDir(t);
  const r = await convergeFile(testContext(), { dest: join(dir, 'no/such/f'), content: 'x' });
  assert.equal(r.failed, true);
  assert.match(String(r.msg), /Destination directory .*no\/such does not exist/);
  const c = await convergeFile(testContext(), { dest: join(dir, 'f'), content: 'x', create: false });
  assert.equal(c.failed, true);

  writeFileSync(join(dir, 'target'), 'a\n');
  symlinkSync(join(dir, 'target'), join(dir, 'link'));
  const l = await convergeFile(testContext(), { dest: join(dir, 'link'), content: 'b\n' });
  assert.equal(l.changed, true);
  assert.equal(readFileSync(join(dir, 'target'), 'utf8'), 'b\n');

  const f = await readRemoteFile(testContext(), join(dir, 'target'));
  assert.equal(f.exists, true);
  assert.equal(f.content, 'b\n');
  assert.equal(f.mode, (statSync(join(dir, 'target')).mode & 0o7777).toString(8).padStart(4, '0'));
  assert.equal(typeof f.owner, 'string');
  const missing = await readRemoteFile(testContext(), join(dir, 'nope'));
  assert.deepEqual([missing.exists, missing.content], [false, '']);
});
