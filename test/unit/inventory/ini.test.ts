import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ValidationError } from '../../../src/errors.js';
import { loadInventory } from '../../../src/inventory/index.js';
import { FIX, withTree } from './fixtures.js';

const basic = () => loadInventory([join(FIX, 'basic/hosts.ini')], { extraVarDirs: [] });

test('INI: groups, children, ranges and hosts in file order', () => {
  const inv = basic();
  assert.deepEqual(inv.hosts(), ['solo', 'web1', 'web2', 'web3', 'web01', 'web02', 'dba', 'dbb', 'dbc', '10.0.0.1']);
  const g = inv.groups();
  assert.deepEqual(g.ungrouped, ['solo']);
  assert.deepEqual(g.web, ['web1', 'web2', 'web3', 'web01', 'web02']);
  assert.deepEqual(g.db, ['dba', 'dbb', 'dbc']);
  assert.deepEqual(g.site, ['web1', 'web2', 'web3', 'web01', 'web02', 'dba', 'dbb', 'dbc', '10.0.0.1']);
  assert.deepEqual(inv.group('all')!.children, ['ungrouped', 'site']);
  assert.deepEqual(inv.groupNames('web01'), ['site', 'web']);
  assert.deepEqual(inv.groupNames('solo'), ['ungrouped']);
});

test('INI: host values are typed like Python literals, as Ansible does', () => {
  const v = basic().hostVars('web01');
  assert.equal(v.ansible_port, 2222);
  assert.equal(v.x, 'a b');
  assert.equal(v.n, 42);
  assert.equal(v.t, true);
  assert.equal(v.f, false);
  assert.equal(v.s, 'true'); // lower-case true is not a Python literal
  assert.deepEqual(v.l, [1, 'a']);
  assert.equal(v.o, '0644'); // Python 3 rejects leading zeros
  assert.equal(v.h, 31);
  assert.equal(basic().hostVars('dba').ansible_user, 'postgres'); // trailing # comment dropped
});

test('INI: [group:vars] split on the first = and trimmed', () => {
  const v = basic().hostVars('10.0.0.1');
  assert.equal(v.vip, '10.0.0.100');
  assert.equal(v.weight, 3);
});

test('INI: a children entry may come before the child group is declared', () => {
  withTree({ h: '[parent:children]\nkid\n\n[kid]\nk1\n' }, (d) => {
    const inv = loadInventory([join(d, 'h')]);
    assert.deepEqual(inv.groups().parent, ['k1']);
    assert.deepEqual(inv.groupNames('k1'), ['kid', 'parent']);
  });
});

test('INI: shlex quoting and escapes in host lines', () => {
  withTree({ 'h.ini': `a msg='it''s' q="say \\"hi\\"" e=x\\ y d='{"k": 1}' ip=10.0.0.1#c\n` }, (d) => {
    const v = loadInventory([join(d, 'h.ini')]).hostVars('a');
    assert.equal(v.msg, 'its');
    assert.equal(v.q, 'say "hi"');
    assert.equal(v.e, 'x y');
    assert.deepEqual(v.d, { k: 1 });
    assert.equal(v.ip, '10.0.0.1');
  });
});

function iniError(text: string): ValidationError {
  return withTree({ 'hosts.ini': text }, (d) => {
    try {
      loadInventory([join(d, 'hosts.ini')]);
    } catch (e) {
      assert.ok(e instanceof ValidationError, String(e));
      assert.equal(e.exitCode, 4);
      assert.ok(e.source?.file.endsWith('hosts.ini'));
      return e;
    }
    assert.fail('expected a ValidationError');
  });
}

test('INI errors: unknown section type, with line, column and the line', () => {
  const e = iniError('[web]\nw1\n\n[web:hostz]\n');
  assert.match(e.message, /unknown type 'hostz'/);
  assert.deepEqual([e.source!.line, e.source!.col], [4, 6]);
  assert.equal(e.excerpt, '[web:hostz]');
  assert.match(e.describe(), /hosts\.ini:4:6: section \[web:hostz\].*\n {2}\[web:hostz\]\n {7}\^/);
});

test('INI errors: bad ranges', () => {
  let e = iniError('[web]\n  web[3:1]\n');
  assert.match(e.message, /begin <= end/);
  assert.deepEqual([e.source!.line, e.source!.col], [2, 3]);
  e = iniError('[web]\nweb[01:100]\n');
  assert.match(e.message, /equal-length/);
  e = iniError('[web]\nweb[1:]\n');
  assert.match(e.message, /end value/);
  e = iniError('[web]\nweb[a:5]\n');
  assert.match(e.message, /numbers or both single letters/);
});

test('INI errors: host variables, quotes, sections, undefined groups', () => {
  let e = iniError('[web]\nw1 ansible_host=1.2.3.4 oops\n');
  assert.match(e.message, /expected key=value .* got 'oops'/);
  assert.deepEqual([e.source!.line, e.source!.col], [2, 25]);
  e = iniError('w1 x="unclosed\n');
  assert.match(e.message, /no closing quotation/);
  assert.equal(e.source!.col, 6);
  e = iniError('[web servers]\n');
  assert.match(e.message, /invalid section header/);
  e = iniError('[ghost:vars]\nx=1\n');
  assert.match(e.message, /\[ghost:vars\] is not valid for undefined group 'ghost'/);
  assert.equal(e.source!.line, 1);
  e = iniError('[a]\nh\n[p:children]\na\nnope\n');
  assert.match(e.message, /\[p:children\] includes undefined group 'nope'/);
  assert.equal(e.source!.line, 5);
  e = iniError('[a:vars]\nnovalue\n[a]\n');
  assert.match(e.message, /expected key=value in \[a:vars\]/);
  e = iniError('web1:\n');
  assert.match(e.message, /reserved for a port/);
  e = iniError('[a:children]\nb\n[b:children]\na\n');
  assert.match(e.message, /recursive dependency loop/);
});

test('INI: tabs are ordinary whitespace', () => {
  withTree({ 'h.ini': '[web]\n\tw1\tport=1\n' }, (d) => {
    assert.equal(loadInventory([join(d, 'h.ini')]).hostVars('w1').port, 1);
  });
});
