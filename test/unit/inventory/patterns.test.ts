import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { OptionsError } from '../../../src/errors.js';
import { loadInventory } from '../../../src/inventory/index.js';
import { globToRegExp, splitPatterns } from '../../../src/inventory/patterns.js';
import { FIX } from './fixtures.js';

const inv = loadInventory([join(FIX, 'basic/hosts.ini')]);
const WEB = ['web1', 'web2', 'web3', 'web01', 'web02'];

// expectations checked against `ansible PATTERN -i basic/hosts.ini --list-hosts` (ansible-core 2.14)
const cases: [string, string[]][] = [
  ['web', WEB],
  ['web1', ['web1']],
  ['all', ['solo', ...WEB, 'dba', 'dbb', 'dbc', '10.0.0.1']],
  ['*', ['solo', ...WEB, 'dba', 'dbb', 'dbc', '10.0.0.1']],
  ['web*', WEB],
  ['web0?', ['web01', 'web02']],
  ['db[ab]', ['dba', 'dbb']], // a glob class, not a subscript
  ['~db[ab]', ['dba', 'dbb']],
  ['~web\\d$', ['web1', 'web2', 'web3']],
  ['~eb', []], // re.match is anchored at the start
  ['site:!web', ['dba', 'dbb', 'dbc', '10.0.0.1']],
  ['db:&site', ['dba', 'dbb', 'dbc']],
  ['db,lb', ['dba', 'dbb', 'dbc', '10.0.0.1']],
  ['lb:db', ['10.0.0.1', 'dba', 'dbb', 'dbc']], // order of the pattern, as Ansible
  ['web:web1:db', [...WEB, 'dba', 'dbb', 'dbc']], // no duplicates
  ['!web', ['solo', 'dba', 'dbb', 'dbc', '10.0.0.1']], // only exclusions start from all
  ['&web', WEB],
  ['!db:web:&site', WEB], // regular first, then &, then !
  ['web[0]', ['web1']],
  ['web[-1]', ['web02']],
  ['web[1:2]:db[0]', ['web2', 'web3', 'dba']],
  ['web[3:]', ['web01', 'web02']],
  ['10.0.0.1', ['10.0.0.1']],
  ['nomatch', []],
  ['nomatch*', []],
  ['localhost', ['localhost']], // implicit
  ['all:localhost', ['solo', ...WEB, 'dba', 'dbb', 'dbc', '10.0.0.1', 'localhost']],
];

for (const [pattern, want] of cases) {
  test(`pattern ${pattern}`, () => assert.deepEqual(inv.select(pattern), want));
}

test('a list of patterns is their union', () => {
  assert.deepEqual(inv.select(['lb', 'db[0]']), ['10.0.0.1', 'dba']);
});

test('an invalid regex is a clear OptionsError', () => {
  assert.throws(() => inv.select('~web(+'), (e: Error) => e instanceof OptionsError && /invalid host pattern '~web\(\+'.*regular expression/.test(e.message));
});

test('an out-of-range subscript fails like Ansible', () => {
  assert.throws(() => inv.select('db[7]'), /no hosts matched the subscripted pattern 'db\[7\]'/);
});

test('splitting keeps IPv6 addresses, ports and ranges whole', () => {
  assert.deepEqual(splitPatterns('a:b:!c:&d'), ['a', 'b', '!c', '&d']);
  assert.deepEqual(splitPatterns('web[1:2]:db'), ['web[1:2]', 'db']);
  assert.deepEqual(splitPatterns('fe80::1'), ['fe80::1']);
  assert.deepEqual(splitPatterns('a, b ,'), ['a', 'b']);
});

test('glob translation follows fnmatch', () => {
  assert.ok(globToRegExp('w[!0-4]x').test('w9x'));
  assert.ok(!globToRegExp('w[!0-4]x').test('w3x'));
  assert.ok(globToRegExp('a.b').test('a.b'));
  assert.ok(!globToRegExp('a.b').test('axb'));
  assert.ok(globToRegExp('x[').test('x['));
});
