import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { lineinfile, lineinfileEdit, type LineArgs } from '../../../../src/modules/lineinfile.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { runModule, tempDir } from './helpers.js';

const edit = (c: string | null, a: Partial<LineArgs>) => lineinfileEdit(c, { state: 'present', ...a });

test('regexp replaces the last matching line; firstmatch the first', () => {
  const c = 'a=1\nb=2\na=3\n';
  assert.equal(edit(c, { regexp: '^a=', line: 'a=9' }).content, 'a=1\nb=2\na=9\n');
  assert.equal(edit(c, { regexp: '^a=', line: 'a=9', firstmatch: true }).content, 'a=9\nb=2\na=3\n');
  assert.equal(edit('a=9\n', { regexp: '^a=', line: 'a=9' }).changed, false);
});

test('no match: appends at EOF, adding a missing final newline first', () => {
  assert.equal(edit('x', { regexp: '^a=', line: 'a=1' }).content, 'x\na=1\n');
  assert.equal(edit(null, { line: 'only' }).content, 'only\n');
  assert.equal(edit('only\n', { line: 'only' }).changed, false);
});

test('insertafter / insertbefore regexes, BOF, and no duplicate next to the anchor', () => {
  const c = '[main]\nx=1\n[other]\n';
  assert.equal(edit(c, { line: 'y=2', insertafter: '^\\[main\\]' }).content, '[main]\ny=2\nx=1\n[other]\n');
  assert.equal(edit(c, { line: 'y=2', insertbefore: '^\\[other\\]' }).content, '[main]\nx=1\ny=2\n[other]\n');
  assert.equal(edit(c, { line: 'top', insertbefore: 'BOF' }).content, 'top\n' + c);
  assert.equal(edit(c, { line: 'top', insertafter: 'nomatch' }).content, c + 'top\n');
  // regexp found: insertafter is ignored and the line replaced in place
  assert.equal(edit(c, { regexp: '^x=', line: 'x=5', insertafter: '^\\[other' }).content, '[main]\nx=5\n[other]\n');
  // the line exists anywhere: unchanged
  assert.equal(edit(c, { line: 'x=1', insertafter: '^\\[other' }).changed, false);
});

test('backrefs with Python groups; no match with backrefs changes nothing', () => {
  const c = 'host=old\n';
  assert.equal(edit(c, { regexp: '^(host=).*', line: '\\g<1>new', backrefs: true }).content, 'host=new\n');
  assert.equal(edit(c, { regexp: '^(?P<k>host)=(.*)$', line: '\\g<k>:\\2', backrefs: true }).content, 'host:old\n');
  assert.equal(edit(c, { regexp: '^nope', line: 'x', backrefs: true }).changed, false);
});

test('search_string and absent', () => {
  assert.equal(edit('PermitRootLogin yes\n', { search_string: 'PermitRootLogin', line: 'PermitRootLogin no' }).content, 'PermitRootLogin no\n');
  const r = lineinfileEdit('a\nb\na\n', { state: 'absent', line: 'a' });
  assert.deepEqual([r.content, r.found, r.msg], ['b\n', 2, '2 line(s) removed']);
  assert.equal(lineinfileEdit('ab\nc\n', { state: 'absent', regexp: '^a' }).content, 'c\n');
  assert.equal(lineinfileEdit('c\n', { state: 'absent', regexp: '^a' }).changed, false);
});

test('bad arguments name the argument', () => {
  assert.throws(() => parseArgs('lineinfile', lineinfile.schema, { path: '/x' }), /argument line: line is required/);
  assert.throws(() => parseArgs('lineinfile', lineinfile.schema, { path: '/x', line: 'a', bogus: 1 }), /unsupported argument bogus/);
  assert.throws(() => parseArgs('lineinfile', lineinfile.schema, { path: '/x', line: 'a', state: 'gone' }), /argument state/);
  assert.throws(() => parseArgs('lineinfile', lineinfile.schema, { path: '/x', line: 'a', regexp: '(' }), /argument regexp/);
  assert.equal(parseArgs('lineinfile', lineinfile.schema, { dest: '/x', line: 'a' }).path, '/x');
});

test('on this host: changed, then unchanged; check mode and create; validate; mode', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = `${dir}/sub/conf`;
    const args = { path, line: 'answer=42', regexp: '^answer=', create: true, mode: '0600' };
    const chk = await runModule(lineinfile, args, { check: true, diff: true });
    assert.equal(chk.changed, true);
    assert.equal(existsSync(path), false);
    const r1 = await runModule(lineinfile, args);
    assert.equal(r1.changed, true);
    assert.equal(r1.msg, 'line added');
    assert.equal(readFileSync(path, 'utf8'), 'answer=42\n');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const r2 = await runModule(lineinfile, args);
    assert.equal(r2.changed, false);
    writeFileSync(path, 'answer=1\nother\n');
    const d = await runModule(lineinfile, args, { check: true, diff: true });
    assert.equal(d.changed, true);
    assert.deepEqual(d.diff?.[0].after, 'answer=42\nother\n');
    assert.equal(readFileSync(path, 'utf8'), 'answer=1\nother\n');
    const bad = await runModule(lineinfile, { ...args, validate: 'grep -q nothing-like-this %s' });
    assert.equal(bad.failed, true);
    assert.equal(readFileSync(path, 'utf8'), 'answer=1\nother\n');
    const missing = await runModule(lineinfile, { path: `${dir}/none`, line: 'x' });
    assert.equal(missing.failed, true);
    assert.match(String(missing.msg), /does not exist/);
  } finally {
    cleanup();
  }
});
