import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { evaluate, renderString } from '../../../src/vars/template.js';

/** Expected values are what ansible-playbook 2.14 prints for the same expressions. */

const dir = mkdtempSync(join(tmpdir(), 'harun-lookups-'));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'role/vars'), { recursive: true });
mkdirSync(join(dir, 'role/files'), { recursive: true });
mkdirSync(join(dir, 'role/templates'), { recursive: true });
writeFileSync(join(dir, 'role/vars/Debian.yml'), 'a: 1\n');
writeFileSync(join(dir, 'role/files/motd'), 'hello\n\n');
writeFileSync(join(dir, 'role/files/a.conf'), '');
writeFileSync(join(dir, 'role/files/b.conf'), '');
writeFileSync(join(dir, 'role/templates/t.j2'), '{{ who }}-{{ extra }}');
writeFileSync(join(dir, 'users.csv'), 'alice,1001\nbob,1002\n');
writeFileSync(join(dir, 'x.ini'), '[global]\nuser = root\n[db]\nuser=pg\nport=5432\n');
const vars = { ansible_search_path: [join(dir, 'role')], playbook_dir: dir, os: 'Debian', who: 'me', xs: [1, 2] };
const ev = (e: string) => evaluate(e, vars);

test('lookup joins strings with commas; query and wantlist give lists', () => {
  assert.equal(ev("lookup('items', ['a', 'b'])"), 'a,b');
  assert.deepEqual(ev("query('items', ['a', 'b'])"), ['a', 'b']);
  assert.deepEqual(ev("lookup('list', 'a', wantlist=True)"), ['a']);
  assert.deepEqual(ev("q('indexed_items', xs)"), [[0, 1], [1, 2]]);
  assert.deepEqual(ev("lookup('items', xs)"), [1, 2]);
});

test('first_found searches the role, honours paths and skip', () => {
  assert.equal(ev("lookup('first_found', {'files': ['nope.yml', os ~ '.yml'], 'paths': ['vars']})"), join(dir, 'role/vars/Debian.yml'));
  assert.deepEqual(ev("q('first_found', ['nope'], skip=True)"), []);
  assert.throws(() => ev("lookup('first_found', ['nope'])"), /No file was found/);
});

test('file, fileglob, template', () => {
  assert.equal(ev("lookup('file', 'motd')"), 'hello');
  assert.deepEqual(ev("q('fileglob', '*.conf')"), [join(dir, 'role/files/a.conf'), join(dir, 'role/files/b.conf')]);
  assert.equal(ev("lookup('template', 't.j2', template_vars={'extra': 'x'})"), 'me-x');
});

test('sequence, nested, together, subelements, dict, vars, varnames, env', () => {
  assert.deepEqual(ev("q('sequence', 'start=1 end=3 format=n%02d')"), ['n01', 'n02', 'n03']);
  assert.deepEqual(ev("q('sequence', '2-6/2')"), ['2', '4', '6']);
  assert.deepEqual(ev("q('sequence', 'count=2')"), ['1', '2']);
  assert.deepEqual(ev("q('nested', [1, 2], ['a'])"), [[1, 'a'], [2, 'a']]);
  assert.deepEqual(ev("q('together', [1, 2], ['a'])"), [[1, 'a'], [2, null]]);
  assert.deepEqual(ev("q('subelements', [{'n': 'u', 'k': [1, 2]}], 'k')"), [[{ n: 'u' }, 1], [{ n: 'u' }, 2]]);
  assert.deepEqual(ev("q('dict', {'a': 1})"), [{ key: 'a', value: 1 }]);
  assert.equal(ev("lookup('vars', 'who')"), 'me');
  assert.equal(ev("lookup('vars', 'nope', default='d')"), 'd');
  assert.deepEqual(ev("q('varnames', '^x')"), ['xs']);
  assert.equal(ev("lookup('env', 'HARUN_NO_SUCH_VAR', default='dflt')"), 'dflt');
});

test('csvfile, ini, pipe, lines', () => {
  assert.equal(ev("lookup('csvfile', 'bob file=users.csv delimiter=, col=1')"), '1002');
  assert.equal(ev("lookup('ini', 'user section=db file=x.ini')"), 'pg');
  assert.equal(ev("lookup('ini', 'user file=x.ini')"), 'root');
  assert.equal(ev("lookup('pipe', 'echo hi')"), 'hi');
  assert.deepEqual(ev("q('lines', 'printf \"a\\nb\\n\"')"), ['a', 'b']);
});

test('password creates its file once and reads it back', () => {
  const pw = String(ev("lookup('password', 'creds/db length=12 chars=digits')"));
  assert.match(pw, /^[0-9]{12}$/);
  assert.equal(readFileSync(join(dir, 'creds/db'), 'utf8'), `${pw}\n`);
  assert.equal(ev("lookup('password', 'creds/db length=12 chars=digits')"), pw);
  assert.ok(existsSync(join(dir, 'creds/db')));
});

test('an unknown lookup names the ones harun has', () => {
  assert.throws(() => renderString("{{ lookup('nope', 'x') }}", vars), /lookup plugin 'nope' not found/);
  assert.equal(ev("lookup('nope', 'x', errors='ignore')"), null);
});

test('community.general.flattened flattens to any depth and stops at a None term (ansible-playbook 2.14)', () => {
  assert.deepEqual(ev("q('community.general.flattened', [1, [2, [3, [4]]], [['a']], 'x', 'None', 6])"), [1, 2, 3, 4, 'a', 'x']);
  assert.equal(ev("lookup('community.general.flattened', [['a', ['b']], 'c'])"), 'a,b,c');
});
