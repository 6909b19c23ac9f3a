import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { evaluate, TemplateError } from '../../../src/vars/template.js';

const vars = {
  users: [
    { name: 'bob', uid: 1002, shell: '/bin/sh', admin: true },
    { name: 'alice', uid: 1001, shell: '/bin/bash', admin: false },
    { name: 'Carol', uid: 1003, shell: '/bin/sh' },
  ],
  nums: [3, 1, 2, 3],
  nested: [1, [2, [3, [4]]], null],
  d: { b: 2, a: 1 },
  path: '/etc/nginx/nginx.conf',
  s: ' Hello World ',
  hosts: { web1: { ip: '10.0.0.1' }, web2: { ip: '10.0.0.2' } },
};

const ev = (e: string, extra: Record<string, unknown> = {}) => evaluate(e, { ...vars, ...extra });

const cases: [string, unknown][] = [
  // default / d / mandatory
  ['missing | default(5)', 5],
  ["missing | d('x')", 'x'],
  ["'' | default('e', true)", 'e'],
  ["0 | default(9, boolean=true)", 9],
  ['d.a | default(5)', 1],
  ['d.a | mandatory', 1],
  // types
  ["'yes' | bool", true],
  ["'no' | bool", false],
  ["'True' | bool", true],
  ['1 | bool', true],
  ["'x' | bool", false],
  // narrower than boolean(): 'y', 't' and '1.0' are false for the filter (checked with ansible 2.14)
  ["['y', 't', '1.0', 'on', 1.0, 2] | map('bool') | list", [false, false, false, true, true, false]],
  ["'42' | int", 42],
  ["'4.7' | int", 4],
  ["'x' | int", 0],
  ["'x' | int(7)", 7],
  ["'0x1F' | int(base=16)", 31],
  ["'2.5' | float", 2.5],
  ['3 | string', '3'],
  ['true | string', 'True'],
  ['[1, 2] | string', '[1, 2]'],
  // strings
  ["'AbC' | lower", 'abc'],
  ["'AbC' | upper", 'ABC'],
  ['s | trim', 'Hello World'],
  ["'aXbXc' | replace('X', '-')", 'a-b-c'],
  ["'aXbXc' | replace('X', '-', 1)", 'a-bXc'],
  ["['a', 'b'] | join(',')", 'a,b'],
  ["[1, 2] | join", '12'],
  ["users | join(', ', attribute='name')", 'bob, alice, Carol'],
  ["'a b  c' | split", ['a', 'b', 'c']],
  ["'a,b' | split(',')", ['a', 'b']],
  // lists
  ['nums | first', 3],
  ['nums | last', 3],
  ["'abc' | first", 'a'],
  ['nums | length', 4],
  ['d | length', 2],
  ["'abc' | count", 3],
  ['nums | unique', [3, 1, 2]],
  ['[1, 2] | union([2, 3])', [1, 2, 3]],
  ['[1, 2, 3] | difference([2])', [1, 3]],
  ['[1, 2, 3] | intersect([3, 2, 5])', [2, 3]],
  ['nums | sort', [1, 2, 3, 3]],
  ['nums | sort(reverse=true)', [3, 3, 2, 1]],
  ["users | sort(attribute='uid') | map(attribute='name') | list", ['alice', 'bob', 'Carol']],
  ["['b', 'A', 'c'] | sort", ['A', 'b', 'c']],
  ['nums | min', 1],
  ['nums | max', 3],
  ["users | map(attribute='name') | list", ['bob', 'alice', 'Carol']],
  ["users | map(attribute='admin', default=false) | list", [true, false, false]],
  ["['1', '2'] | map('int') | list", [1, 2]],
  ["['a', 'b'] | map('regex_replace', '^', 'x-') | list", ['x-a', 'x-b']],
  ["nums | select('odd') | list", [3, 1, 3]],
  ["nums | reject('equalto', 3) | list", [1, 2]],
  ["[0, 1, '', 'a'] | select | list", [1, 'a']],
  ["users | selectattr('shell', 'equalto', '/bin/sh') | map(attribute='name') | list", ['bob', 'Carol']],
  ["users | selectattr('admin', 'defined') | map(attribute='name') | list", ['bob', 'alice']],
  ["users | rejectattr('uid', 'gt', 1001) | map(attribute='name') | list", ['alice']],
  ["users | selectattr('admin', 'defined') | rejectattr('admin') | map(attribute='name') | list", ['alice']],
  ["users | selectattr('shell', 'match', '.*bash') | map(attribute='uid') | list", [1001]],
  ['nested | flatten', [1, 2, 3, 4]],
  ['nested | flatten(1)', [1, 2, [3, [4]]]],
  ['[1, 2] | zip([3, 4]) | list', [[1, 3], [2, 4]]],
  ["['a', 'b'] | zip([1, 2]) | list | items2dict(key_name=0, value_name=1)", { a: 1, b: 2 }],
  ['d | list', ['b', 'a']],
  ["[['k', 1]] | dict", { k: 1 }],
  ['-3 | abs', 3],
  ['2.567 | round(2)', 2.57],
  ['2.5 | round', 3],
  ["2.1 | round(0, 'ceil')", 3],
  ['range(2, 8, 3) | list', [2, 5]],
  ['nums | sum', 9],
  ["['web1', 'web2'] | map('extract', hosts, 'ip') | list", ['10.0.0.1', '10.0.0.2']],
  ["0 | extract(['a', 'b'])", 'a'],
  ["d | ansible.builtin.to_json", '{"b": 2, "a": 1}'],
  ["'%s=%d' | format('a', 3)", 'a=3'],
  ["d | attr('a')", 1],
  ["users | groupby('shell') | map('first') | list", ['/bin/bash', '/bin/sh']],
  ["(users | groupby('shell'))[1][1] | map(attribute='name') | list", ['bob', 'Carol']],
  ["[{'n': 1, 'ks': ['a', 'b']}, {'n': 2}] | subelements('ks', skip_missing=True) | map('last') | list", ['a', 'b']],
  // dicts
  ["{'a': 1, 'n': {'x': 1}} | combine({'b': 2, 'n': {'y': 2}})", { a: 1, n: { y: 2 }, b: 2 }],
  ["{'a': 1, 'n': {'x': 1}} | combine({'n': {'y': 2}}, recursive=true)", { a: 1, n: { x: 1, y: 2 } }],
  ["{'l': [1]} | combine({'l': [2]}, list_merge='append')", { l: [1, 2] }],
  ["{'a': 1} | combine({'a': 2}, {'a': 3})", { a: 3 }],
  ['d | dict2items', [{ key: 'b', value: 2 }, { key: 'a', value: 1 }]],
  ["d | dict2items(key_name='k', value_name='v')", [{ k: 'b', v: 2 }, { k: 'a', v: 1 }]],
  ["[{'key': 'x', 'value': 1}] | items2dict", { x: 1 }],
  // serialisation
  ['d | to_json', '{"b": 2, "a": 1}'],
  ["'[1, {\"a\": null}]' | from_json", [1, { a: null }]],
  ['d | to_nice_json', '{\n    "a": 1,\n    "b": 2\n}'],
  ['d | to_yaml', '{a: 1, b: 2}\n'],
  ["{'z': {'b': [1, 2], 'a': 's'}} | to_yaml", 'z:\n  a: s\n  b: [1, 2]\n'],
  ["{'b': {'c': 1}, 'a': [1, 2]} | to_nice_yaml | from_yaml", { a: [1, 2], b: { c: 1 } }],
  ["{'b': {'c': 1}, 'a': 'x'} | to_nice_yaml", 'a: x\nb:\n    c: 1\n'],
  ["'a: yes\\nb: [1, 2]' | from_yaml", { a: true, b: [1, 2] }],
  // regex
  ["'abc123' | regex_replace('[0-9]+', 'N')", 'abcN'],
  ["'key=val' | regex_replace('^(\\\\w+)=(\\\\w+)$', '\\\\2=\\\\1')", 'val=key'],
  ["'key=val' | regex_replace('(?P<k>\\\\w+)=', '\\\\g<k>:')", 'key:val'],
  ["'ABC' | regex_replace('b', 'x', ignorecase=true)", 'AxC'],
  ["'server1 port 80' | regex_search('port (\\\\d+)')", 'port 80'],
  ["'server1 port 80' | regex_search('(\\\\w+) port (\\\\d+)', '\\\\2', '\\\\1')", ['80', 'server1']],
  ["'nothing' | regex_search('\\\\d+')", null],
  ["'a1b22c333' | regex_findall('\\\\d+')", ['1', '22', '333']],
  ["'k1=v1 k2=v2' | regex_findall('(\\\\w)(\\\\d)=')", [['k', '1'], ['k', '2']]],
  // paths, encodings, hashes
  ['path | basename', 'nginx.conf'],
  ['path | dirname', '/etc/nginx'],
  ["'hello' | b64encode", 'aGVsbG8='],
  ["'aGVsbG8=' | b64decode", 'hello'],
  ["'x' | hash('md5')", createHash('md5').update('x').digest('hex')],
  ["'x' | hash('sha256')", createHash('sha256').update('x').digest('hex')],
  ["'x' | hash", createHash('sha1').update('x').digest('hex')],
  ["'x' | checksum", createHash('sha1').update('x').digest('hex')],
  ["\"it's\" | quote", `'it'\\''s'`],
  ["'plain' | quote", 'plain'],
  ["true | ternary('on', 'off')", 'on'],
  ["[] | ternary('on', 'off')", 'off'],
  ["None | ternary('on', 'off', 'unset')", 'unset'],
];

test('filters behave like Ansible/Jinja2', () => {
  for (const [expr, want] of cases) {
    if (want === undefined) continue;
    assert.deepEqual(ev(expr), want, expr);
  }
});

test('filters refuse undefined input, naming the variable', () => {
  for (const f of ['lower', 'int', 'join', 'length', 'to_json', 'indent', 'title']) {
    assert.throws(() => ev(`missing | ${f}`), (e: unknown) => e instanceof TemplateError && /'missing' is undefined/.test(e.message), f);
  }
  assert.throws(() => ev('missing | mandatory'), /^TemplateError: Mandatory variable 'missing' not defined\.$/);
  assert.throws(() => ev('d.zz | mandatory'), /Mandatory variable 'zz' not defined/);
  assert.throws(() => ev("missing | mandatory('set missing!')"), /set missing!/);
});

test('nunjucks builtins that Ansible also has still work', () => {
  assert.equal(ev("'a b' | title"), 'A B');
  assert.equal(ev("'x\\ny' | indent(2)"), 'x\n  y');
  assert.deepEqual(ev('[1, 2] | reverse | list'), [2, 1]);
});

test('combine does not modify its inputs', () => {
  const a = { x: { y: 1 } };
  const out = evaluate("a | combine({'x': {'z': 2}}, recursive=True)", { a });
  assert.deepEqual(out, { x: { y: 1, z: 2 } });
  assert.deepEqual(a, { x: { y: 1 } });
});
