import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { blockinfile, blockinfileEdit, type BlockArgs } from '../../../../src/modules/blockinfile.js';
import { replace, replaceContent } from '../../../../src/modules/replace.js';
import { pyRegex } from '../../../../src/vars/regex.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { runModule, tempDir } from './helpers.js';

const B: BlockArgs = { state: 'present', marker: '# {mark} ANSIBLE MANAGED BLOCK', marker_begin: 'BEGIN', marker_end: 'END', block: 'a\nb' };
const blk = '# BEGIN ANSIBLE MANAGED BLOCK\na\nb\n# END ANSIBLE MANAGED BLOCK\n';

test('blockinfile: append at EOF, replace in place, remove, BOF, insertafter', () => {
  assert.equal(blockinfileEdit('x', B).content, `x\n${blk}`);
  assert.equal(blockinfileEdit(null, B).msg, 'File created');
  const inplace = `top\n${blk.replace('a\nb', 'old')}tail\n`;
  assert.equal(blockinfileEdit(inplace, B).content, `top\n${blk}tail\n`);
  assert.equal(blockinfileEdit(`top\n${blk}tail\n`, B).changed, false);
  const rm = blockinfileEdit(`top\n${blk}tail\n`, { ...B, state: 'absent' });
  assert.deepEqual([rm.content, rm.msg], ['top\ntail\n', 'Block removed']);
  assert.equal(blockinfileEdit('x\n', { ...B, insertbefore: 'BOF' }).content, `${blk}x\n`);
  assert.equal(blockinfileEdit('[a]\n[b]\n', { ...B, insertafter: '^\\[a\\]' }).content, `[a]\n${blk}[b]\n`);
  assert.equal(blockinfileEdit('x\n', { ...B, marker: '<!-- {mark} -->', marker_begin: 'B', marker_end: 'E' }).content, 'x\n<!-- B -->\na\nb\n<!-- E -->\n');
});

test('replace: Python syntax, sections, counts', () => {
  assert.deepEqual(replaceContent('a1 a2\nb3\n', { regexp: 'a(\\d)', replace: 'A\\1' }), { content: 'A1 A2\nb3\n', count: 2 });
  assert.equal(replaceContent('host=x\n', { regexp: '^(?P<k>host)=.*$', replace: '\\g<k>=y' }).content, 'host=y\n');
  const c = 'x=1\n[s]\nx=1\n[t]\nx=1\n';
  assert.equal(replaceContent(c, { regexp: 'x=1', replace: 'x=2', after: '\\[s\\]', before: '\\[t\\]' }).content, 'x=1\n[s]\nx=2\n[t]\nx=1\n');
  assert.equal(replaceContent('same\n', { regexp: 'same', replace: 'same' }).count, 0);
  assert.equal(pyRegex('(?i)abc').test('ABC'), true);
  assert.throws(() => pyRegex('(?x) a b'), /verbose/);
});

test('blockinfile and replace on this host: changed, unchanged, check mode, bad args', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = `${dir}/f`;
    writeFileSync(path, 'keep\n');
    const args = { path, block: 'one\ntwo', marker: '# {mark} harun' };
    const chk = await runModule(blockinfile, args, { check: true });
    assert.equal(chk.changed, true);
    assert.equal(readFileSync(path, 'utf8'), 'keep\n');
    assert.equal((await runModule(blockinfile, args)).changed, true);
    assert.equal(readFileSync(path, 'utf8'), 'keep\n# BEGIN harun\none\ntwo\n# END harun\n');
    assert.equal((await runModule(blockinfile, args)).changed, false);

    const rargs = { path, regexp: '^(one)$', replace: '\\1 more' };
    assert.equal((await runModule(replace, rargs, { check: true })).changed, true);
    assert.match(readFileSync(path, 'utf8'), /^one$/m);
    const r1 = await runModule(replace, rargs);
    assert.deepEqual([r1.changed, r1.msg], [true, '1 replacements made']);
    assert.match(readFileSync(path, 'utf8'), /^one more$/m);
    assert.equal((await runModule(replace, { path, regexp: '^(one)$', replace: '\\1 more' })).changed, false);
    assert.throws(() => parseArgs('replace', replace.schema, { path }), /argument regexp/);
    assert.throws(() => parseArgs('blockinfile', blockinfile.schema, { path, state: 'x' }), /argument state/);
  } finally {
    cleanup();
  }
});
