import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, TemplateError } from '../../../src/vars/template.js';

const vars = {
  ok: { changed: false, rc: 0 },
  bad: { failed: true, rc: 1, changed: false },
  chg: { changed: true },
  skp: { skipped: true, changed: false },
  n: null,
  s: 'web01.example.com',
  l: [1, 2, 3],
  d: { a: 1 },
};

const cases: [string, boolean][] = [
  ['missing is defined', false],
  ['missing is undefined', true],
  ['s is defined', true],
  ['d.a is defined', true],
  ['d.b is undefined', true],
  ['n is none', true],
  ['s is none', false],
  ['n is not none', false],
  ["'x' is truthy", true],
  ["'' is falsy", true],
  ['l is truthy', true],
  ['ok is success', true],
  ['ok is succeeded', true],
  ['ok is failed', false],
  ['bad is failed', true],
  ['bad is success', false],
  ['chg is changed', true],
  ['ok is changed', false],
  ['skp is skipped', true],
  ['ok is skipped', false],
  ["s is match('web\\\\d+')", true],
  ["s is match('example')", false],
  ["s is search('example')", true],
  ["s is regex('^WEB', ignorecase=true)", true],
  ["s is regex('example', match_type='match')", false],
  ["'1.10.2' is version('1.9', '>')", true],
  ["'1.10.2' is version('1.9', 'gt')", true],
  ["'2.0' is version('2.0.0', '==')", false],
  ["'2.0' is version('2.0', 'eq')", true],
  ["'2.0' is version('2.0.0', 'eq', strict=true)", true],
  ["'1.2' is version('1.2.1', '<')", true],
  ["'1.2' is version('1.2.1', 'lt')", true],
  ["'1.2' is version('1.2', '<=')", true],
  ["'1.2' is version('1.2', 'le')", true],
  ["'3' is version('2.99', '>=')", true],
  ["'3' is version('2.99', 'ge')", true],
  ["'3.1' is version('3.0', '!=')", true],
  ["'3.1' is version('3.1', 'ne')", false],
  ["'1.0a1' is version('1.0', '<', strict=true)", true],
  ["'10.2' is version_compare('9.3', '>')", true],
  ["'10.2' is ansible.builtin.version('9.3', '>')", true],
  ['bad is ansible.builtin.failed', true],
  ["'5.4.0-150-generic' is version('5.4', '>=')", true],
  ['2 is in(l)', true],
  ['7 is in(l)', false],
  ["s is string", true],
  ['l is string', false],
  ['3 is number', true],
  ["'3' is number", false],
  ['d is mapping', true],
  ['l is mapping', false],
  ['l is sequence', true],
  ['3 is sequence', false],
  ['l is iterable', true],
  ['true is boolean', true],
  ['1 is boolean', false],
  ['3 is integer', true],
  ['3.5 is integer', false],
  ['3.5 is float', true],
  ['3 is equalto(3)', true],
  ["d is equalto({'a': 1})", true],
  ['d is sameas(d)', true],
  ["d is sameas({'a': 1})", false],
  ['9 is divisibleby(3)', true],
  ['10 is divisibleby(3)', false],
  ['4 is even', true],
  ['3 is odd', true],
  ['-3 is odd', true],
  ['4 is odd', false],
  ['[1, 2] is subset(l)', true],
  ['l is superset([3])', true],
  ['l is contains(2)', true],
  ["'/etc' is abs", true],
  ['9 is divisibleby 3', true],
  ["'x' is sameas true", false],
  ['(1 == 1) is sameas true', true],
  ['n is sameas none', true],
  ['2 is in [1, 2]', true],
  ["'b' is in 'abc' and 1 is odd", true],
  ['3 is not in l and l is not none', false],
  ["s is not match 'web' or false", false],
];

test('Jinja2 and Ansible tests', () => {
  for (const [expr, want] of cases) assert.equal(evaluate(expr, vars), want, expr);
});

test('tests fail on undefined values except defined/undefined', () => {
  for (const t of ['none', 'string', 'failed', 'changed', "match('x')", "version('1', '<')"]) {
    assert.throws(() => evaluate(`missing is ${t}`, vars), (e: unknown) => e instanceof TemplateError && /'missing' is undefined/.test(e.message), t);
  }
});

test('result tests want a registered result; version wants a known operator', () => {
  assert.throws(() => evaluate("'x' is failed", vars), /expects a dictionary/);
  assert.throws(() => evaluate("'1' is version('2', 'bigger')", vars), /Invalid operator/);
  assert.throws(() => evaluate("'1.x' is version('2.0', '<', strict=true)", vars), /invalid version number '1.x'/);
});
