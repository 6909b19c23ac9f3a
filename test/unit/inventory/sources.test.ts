import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OptionsError } from '../../../src/errors.js';
import { loadInventory } from '../../../src/inventory/index.js';
import { FIX, withTree } from './fixtures.js';

test('a directory: every file in name order, recursively, minus ignored names', () => {
  const inv = loadInventory([join(FIX, 'dir')]);
  // README.md, notes.txt, old.ini and 03.bak would fail to parse if they were read
  assert.deepEqual(inv.hosts(), ['web1', 'web2', 'web3', 'db1', 'db2']);
  assert.equal(inv.hostVars('db2').ansible_port, 2200);
  // group_vars/ inside the directory beat the INI and YAML group vars
  assert.equal(inv.hostVars('web1').from, 'group_vars');
});

test('several -i sources merge in order; later variables override', () => {
  withTree({ 'a.ini': '[web]\nw1 x=1\n[web:vars]\ng=a\n', 'b.yml': 'web:\n  hosts:\n    w1: {x: 2}\n    w2:\n  vars: {g: b}\n' }, (d) => {
    const inv = loadInventory([join(d, 'a.ini'), join(d, 'b.yml')]);
    assert.deepEqual(inv.hosts(), ['w1', 'w2']);
    assert.equal(inv.hostVars('w1').x, 2);
    assert.equal(inv.hostVars('w2').g, 'b');
  });
});

test('a comma-separated host list, with ports', () => {
  const inv = loadInventory(['a, b:2222 ,[fe80::1]:2200,c,']);
  assert.deepEqual(inv.hosts(), ['a', 'b', 'fe80::1', 'c']);
  assert.deepEqual(inv.groups().ungrouped, ['a', 'b', 'fe80::1', 'c']);
  assert.equal(inv.hostVars('b').ansible_port, 2222);
  assert.equal(inv.hostVars('fe80::1').ansible_port, 2200);
  assert.deepEqual(inv.groupNames('a'), ['ungrouped']);
});

test('a single host with a trailing comma', () => {
  assert.deepEqual(loadInventory(['web1,']).hosts(), ['web1']);
});

test('a missing source is an OptionsError naming it', () => {
  assert.throws(() => loadInventory(['/nonexistent/inventory']), (e: Error) => e instanceof OptionsError && /'\/nonexistent\/inventory' does not exist/.test(e.message));
});

test('the same host and group in two files are one host and one group', () => {
  withTree({ '1.ini': '[g]\nh\n', '2.ini': '[g]\nh\ni\n' }, (d) => {
    const inv = loadInventory([join(d, '1.ini'), join(d, '2.ini')]);
    assert.deepEqual(inv.groups().g, ['h', 'i']);
  });
});

test('a name used for a group and a host gives a warning', () => {
  withTree({ 'h.ini': '[web]\nweb\n' }, (d) => {
    assert.match(loadInventory([join(d, 'h.ini')]).warnings.join('\n'), /both group and host with same name: web/);
  });
});
