import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIniValue } from '../../../src/inventory/literal.js';
import { expandHostSpec, expandRange, splitPort } from '../../../src/inventory/range.js';

test('INI values: Python literals become values, anything else stays text', () => {
  const cases: [string, unknown][] = [
    ['42', 42], ['-7', -7], ['1_000', 1000], ['0x1F', 31], ['0o17', 15], ['0b101', 5], ['1.5', 1.5], ['1e3', 1000], ['0', 0],
    ['True', true], ['False', false], ['None', null],
    ["'quoted'", 'quoted'], ['"a\\tb"', 'a\tb'], ["r'a\\tb'", 'a\\tb'], ["'a' 'b'", 'ab'],
    ['[1, "two", [3]]', [1, 'two', [3]]], ['(1, 2)', [1, 2]], ["{'a': 1, 'b': [True]}", { a: 1, b: [true] }],
    ['5 # a comment', 5],
    ['true', 'true'], ['yes', 'yes'], ['0644', '0644'], ['1.2.3', '1.2.3'], ['a b', 'a b'], ['', ''],
    ['10.0.0.1', '10.0.0.1'], ['{{ x }}', '{{ x }}'], ["'unclosed", "'unclosed"], ['1x', '1x'], ['-', '-'],
  ];
  for (const [text, want] of cases) assert.deepEqual(parseIniValue(text), want, text);
});

test('ranges: numeric, zero-padded, alphabetic, stepped and several in one name', () => {
  assert.deepEqual(expandRange('web[1:3]'), ['web1', 'web2', 'web3']);
  assert.deepEqual(expandRange('web[08:10]'), ['web08', 'web09', 'web10']);
  assert.deepEqual(expandRange('db[a:c].x'), ['dba.x', 'dbb.x', 'dbc.x']);
  assert.deepEqual(expandRange('n[1:9:4]'), ['n1', 'n5', 'n9']);
  assert.deepEqual(expandRange('r[1:2]-[a:b]'), ['r1-a', 'r1-b', 'r2-a', 'r2-b']);
  assert.deepEqual(expandRange('w[:2]'), ['w0', 'w1', 'w2']);
  assert.throws(() => expandRange('w[1:2:0]'), /step must be a positive integer/);
  assert.throws(() => expandRange('w[1:2'), /unclosed/);
  assert.throws(() => expandRange('w[1]'), /begin:end/);
});

test('ports: host:port, [v6]:port, ranges with ports, bare IPv6 has none', () => {
  assert.deepEqual(splitPort('web:2222'), { name: 'web', port: 2222 });
  assert.deepEqual(splitPort('[::1]:22'), { name: '::1', port: 22 });
  assert.deepEqual(splitPort('fe80::1'), { name: 'fe80::1' });
  assert.deepEqual(expandHostSpec('w[1:2]:2200'), { names: ['w1', 'w2'], port: 2200 });
  assert.throws(() => expandHostSpec('---'), /YAML/);
});
