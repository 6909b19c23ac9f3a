import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evalCondition, evaluate, noTemplate, renderString, renderValue, TemplateError } from '../../../src/vars/template.js';
import { cacheSize } from '../../../src/vars/nunjucks.js';

const vars = {
  l: [1, 2, 3],
  d: { x: 1, y: [1], name: 'web' },
  s: 'Hello World',
  n: null,
  t: true,
  a: '{{ b }}-x',
  b: '{{ c | default(1) }}',
  nested: { deep: ['{{ a }}', 'plain'] },
};

const undefErr = (re: RegExp) => (e: unknown) => e instanceof TemplateError && e.code === 'template' && re.test(e.message);

test('renderValue keeps native types of a single expression', () => {
  assert.deepEqual(renderValue('{{ l }}', vars), [1, 2, 3]);
  // text around the expression makes a string, as in Ansible ("{{ a }}\n" keeps its newline)
  assert.equal(renderValue('{{ s }}\n', { s: 'x' }), 'x\n');
  assert.equal(renderValue('{{ d.x + 1 }}', vars), 2);
  assert.equal(renderValue('{{ t }}', vars), true);
  assert.equal(renderValue('{{ n }}', vars), null);
  assert.equal(renderValue('{{- d.x -}}', vars), 1);
  assert.deepEqual(renderValue("{{ {'k': {'n': [1]}} }}", vars), { k: { n: [1] } }, 'nested dict literal');
  assert.equal(renderString("{{ {'k': {'n': 1}}.k.n }}", vars), '1');
  assert.equal(renderValue('x{{ d.x }}', vars), 'x1');
  assert.equal(renderValue('{{ d.x }}{{ d.x }}', vars), '11');
});

test('renderValue walks containers and returns untouched values as the same object', () => {
  const plain = { a: ['x', 1, { b: 'y' }] };
  assert.equal(renderValue(plain, vars), plain);
  assert.equal(renderValue('no template here', vars), 'no template here');
  assert.equal(renderValue(5, vars), 5);
  const out = renderValue({ k: ['{{ l | length }}', 'p'], m: 'v={{ s }}' }, vars);
  assert.deepEqual(out, { k: [3, 'p'], m: 'v=Hello World' });
  const opaque = noTemplate({ stdout: '{{ l }}' });
  assert.equal((renderValue({ r: opaque }, vars) as { r: unknown }).r, opaque);
});

test('lazy variables render on lookup, recursively', () => {
  assert.equal(evaluate('a', vars), '1-x');
  assert.equal(renderString('{{ a }}/{{ b }}', { ...vars, c: 7 }), '7-x/7');
  assert.deepEqual(evaluate('nested', vars), { deep: ['1-x', 'plain'] });
  assert.equal(evaluate('v.w', { v: { w: '{{ z }}' }, z: 'zz' }), 'zz');
});

test('a variable that refers to itself reports a recursive loop', () => {
  assert.throws(() => evaluate('a', { a: '{{ a }}' }), undefErr(/recursive loop.*'a'/));
  assert.throws(() => evaluate('p', { p: '{{ q }}', q: '{{ p | default(1) }}' }), undefErr(/recursive loop.*p -> q -> p/));
});

test('hostvars-like proxies are looked up as mappings, not walked', () => {
  let walked = 0;
  const hostvars = new Proxy({} as Record<string, unknown>, {
    get: (_t, k) => (k === 'web1' ? { ip: '10.0.0.1' } : undefined),
    ownKeys: () => { walked++; return []; },
  });
  assert.equal(evaluate("hostvars['web1'].ip", { hostvars }), '10.0.0.1');
  assert.equal(evaluate('hostvars.web1.ip', { hostvars }), '10.0.0.1');
  assert.throws(() => evaluate('hostvars.nope.ip', { hostvars }), undefErr(/'dict object' has no attribute 'nope'/));
  assert.equal(walked, 0);
});

test('undefined variables fail with the variable named', () => {
  assert.throws(() => renderValue('{{ foo }}', vars), undefErr(/^'foo' is undefined$/));
  assert.throws(() => renderString('x {{ foo.bar }}', vars), undefErr(/^'foo' is undefined$/));
  assert.throws(() => evaluate("foo['x']", vars), undefErr(/^'foo' is undefined$/));
  assert.throws(() => evaluate('d.bar', vars), undefErr(/^'dict object' has no attribute 'bar'$/));
  assert.throws(() => evaluate("d['bar']", vars), undefErr(/'dict object' has no attribute 'bar'/));
  assert.throws(() => renderString('{% for x in foo %}{{ x }}{% endfor %}', vars), undefErr(/'foo' is undefined/));
  assert.throws(() => evaluate('foo == 1', vars), undefErr(/'foo' is undefined/));
  assert.throws(() => evaluate('not foo', vars), undefErr(/'foo' is undefined/));
  assert.throws(() => evaluate('foo | upper', vars), undefErr(/'foo' is undefined/));
  assert.throws(() => renderString('{% if foo %}x{% endif %}', vars), undefErr(/'foo' is undefined/));
  assert.throws(() => renderValue('{{ [1, foo] }}', vars), undefErr(/'foo' is undefined/));
  assert.throws(() => renderValue("{{ {'k': d.nope} }}", vars), undefErr(/'dict object' has no attribute 'nope'/));
  assert.throws(() => evaluate('l | union(foo)', vars), undefErr(/'foo' is undefined/));
  assert.throws(() => evaluate('[] | max', vars), undefErr(/sequence was empty/));
  assert.equal(evaluate("t | ternary('a', foo)", vars), 'a');
  const e = (() => { try { renderValue('{{ foo }}', vars); } catch (x) { return x as TemplateError; } })();
  assert.equal(e?.template, '{{ foo }}');
});

test('defined/undefined tests and default work on undefined values', () => {
  assert.equal(evaluate('foo is defined', vars), false);
  assert.equal(evaluate('foo is undefined', vars), true);
  assert.equal(evaluate('foo is not defined', vars), true);
  assert.equal(evaluate('d.bar is defined', vars), false);
  assert.equal(evaluate('foo.bar.baz is defined', vars), false);
  assert.equal(evaluate('foo | default(3)', vars), 3);
  assert.equal(evaluate('foo | d(3)', vars), 3);
  assert.equal(evaluate('foo.bar | default("z")', vars), 'z');
  assert.equal(evaluate('d.x | default(9)', vars), 1);
  assert.equal(evaluate("'' | default('e', true)", vars), 'e');
  assert.equal(evaluate("'' | default('e')", vars), '');
  assert.equal(evaluate('foo is defined and foo > 1', vars), false);
});

test('globals: range, dict, lookup env', () => {
  assert.deepEqual(evaluate('range(3)', vars), [0, 1, 2]);
  assert.deepEqual(evaluate('dict(a=1, b=l)', vars), { a: 1, b: [1, 2, 3] });
  process.env.HARUN_TEMPLATE_TEST = 'v1';
  try {
    assert.equal(evaluate("lookup('env', 'HARUN_TEMPLATE_TEST')", vars), 'v1');
  } finally {
    delete process.env.HARUN_TEMPLATE_TEST;
  }
  assert.equal(evaluate('range', { range: 'mine' }), 'mine', 'variables shadow globals');
  assert.equal(evaluate("lookup('x')", vars, { lookup: () => 'local' }), 'local', 'locals provide per-task functions');
});

test('locals win over vars, also inside a templated var', () => {
  assert.equal(renderString('{{ x }}', { x: 'var' }, { x: 'local' }), 'local');
  assert.equal(renderString('{{ y }}', { x: 'var', y: '{{ x }}!' }, { x: 'local' }), 'local!');
  assert.equal(evaluate('x', { x: 1 }, { x: 2 }), 2);
});

test('Python literals and operators', () => {
  assert.equal(evaluate('True and not False', vars), true);
  assert.equal(evaluate('None', vars), null);
  assert.equal(evaluate("'a' ~ 1 ~ True", vars), 'a1True');
  assert.equal(evaluate('2 in l and 5 not in l', vars), true);
  assert.equal(evaluate("'ell' in s", vars), true);
  assert.equal(evaluate("'x' in d", vars), true);
  assert.equal(evaluate('n is not none', vars), false);
  assert.equal(evaluate('7 // 2', vars), 3);
  assert.equal(evaluate('2 ** 10', vars), 1024);
  assert.equal(evaluate('-7 % 3', vars), 2);
  assert.equal(evaluate("'%s-%05d' % ('a', 42)", vars), 'a-00042');
  assert.equal(evaluate("'%s!' % s", vars), 'Hello World!');
  assert.deepEqual(evaluate('l + [4]', vars), [1, 2, 3, 4]);
  assert.equal(evaluate("'-' * 3", vars), '---');
  assert.equal(evaluate('l == [1, 2, 3]', vars), true);
  assert.equal(evaluate("d == {'x': 1, 'y': [1], 'name': 'web'}", vars), true);
  assert.equal(evaluate('True == 1', vars), true);
  assert.equal(evaluate('[] == False', vars), false);
  assert.equal(evaluate("'1' == 1", vars), false);
  assert.equal(evaluate('None == None', vars), true);
  assert.equal(evaluate('1 < 2 < 3', vars), true);
  assert.equal(evaluate('3 > 2 > 2', vars), false);
  assert.equal(evaluate('[] or "fallback"', vars), 'fallback');
  assert.equal(evaluate('0 and 1', vars), 0);
  assert.equal(evaluate("'yes' if l else 'no'", vars), 'yes');
  assert.equal(evaluate("'yes' if [] else 'no'", vars), 'no');
  assert.throws(() => evaluate("'1' < 2", vars), undefErr(/not supported between instances of 'str' and 'int'/));
});

test('string literals use Python escapes; unknown escapes keep the backslash', () => {
  assert.equal(evaluate("'a.b' | regex_replace('\\.', '-')", vars), 'a-b');
  assert.equal(evaluate("'x\\ty\\n'", vars), 'x\ty\n');
  assert.equal(evaluate("'it\\'s' ~ \"\\\"q\\\"\"", vars), 'it\'s"q"');
  assert.equal(evaluate("'\\x41\\u00e9\\\\'", vars), 'A\u00e9\\');
  assert.equal(evaluate("'10.0.0.1' is match('\\d+\\.\\d+')", vars), true);
});

test('Python methods, negative indexes and slices', () => {
  assert.deepEqual(evaluate("' a  b '.split()", vars), ['a', 'b']);
  assert.deepEqual(evaluate("'a,b,c'.split(',', 1)", vars), ['a', 'b,c']);
  assert.equal(evaluate("s.startswith('He') and s.endswith(('x', 'ld'))", vars), true);
  assert.equal(evaluate("'  x '.strip()", vars), 'x');
  assert.equal(evaluate("s.lower() ~ s.upper()", vars), 'hello worldHELLO WORLD');
  assert.equal(evaluate("s.replace('l', 'L')", vars), 'HeLLo WorLd');
  assert.equal(evaluate("'-'.join(['a', 'b'])", vars), 'a-b');
  assert.equal(evaluate("'{} {name}'.format(1, name='n')", vars), '1 n');
  assert.deepEqual(evaluate('d.keys() | list', vars), ['x', 'y', 'name']);
  assert.deepEqual(evaluate('d.values() | first', vars), 1);
  assert.deepEqual(evaluate('d.items() | first', vars), ['x', 1]);
  assert.equal(evaluate("d.get('x')", vars), 1);
  assert.equal(evaluate("d.get('q', 'dflt')", vars), 'dflt');
  assert.equal(evaluate('l[-1]', vars), 3);
  assert.deepEqual(evaluate('l[1:]', vars), [2, 3]);
  assert.deepEqual(evaluate('l[:-1]', vars), [1, 2]);
  assert.equal(evaluate('s[::-1]', vars), 'dlroW olleH');
  assert.equal(evaluate("'/a/b/c'.split('/')[-1]", vars), 'c');
  assert.equal(evaluate('l.index(2)', vars), 1);
  const pairs = { item: [{ name: 'a', ips: ['10.0.0.1', '10.0.0.2'] }, 'x'] };
  assert.equal(evaluate('item.0.name', vars, pairs), 'a');
  assert.equal(evaluate('item.1', vars, pairs), 'x');
  assert.equal(evaluate('item.0.ips.1', vars, pairs), '10.0.0.2');
  assert.equal(evaluate('item.0.ips.1 ~ item.1', vars, pairs), '10.0.0.2x');
  assert.equal(evaluate('item.0.ips[0]', vars, pairs), '10.0.0.1');
  assert.equal(evaluate('1.5 + 0.5', vars), 2);
});

test('renderString: trim_blocks on, lstrip_blocks off, whitespace control, comments, set', () => {
  const tpl = '{% for i in l %}\n  {{ i }}\n{% endfor %}\n{# gone #}\n{% set z = l | length %}z={{ z }}\n';
  assert.equal(renderString(tpl, vars), '  1\n  2\n  3\nz=3\n');
  assert.equal(renderString('a {# c #} b\n{#\n multi\n#}\r\nc', vars), 'a  b\nc');
  assert.equal(renderString('  {% if t %}\nyes\n  {% endif %}\n', vars), '  yes\n  ');
  assert.equal(renderString('a\n{%- if t %} b{% endif -%}\n c', vars), 'a bc');
  assert.equal(renderString('{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}', vars), 'x=1;y=[1];name=web;');
  assert.equal(renderString('{% for k in d %}{{ k }}{% if not loop.last %},{% endif %}{% endfor %}', vars), 'x,y,name');
  assert.equal(renderString('{{ t }} {{ n }} {{ l }} {{ d.name }}', vars), 'True None [1, 2, 3] web');
  assert.equal(renderString("{{ {'k': 'v'} }}", vars), "{'k': 'v'}");
  assert.equal(renderString('keep trailing newline\n', vars), 'keep trailing newline\n');
  assert.equal(renderString('<{{ s }}>', vars), '<Hello World>', 'no autoescape');
  assert.equal(renderString('{% if l %}a{% elif t %}b{% else %}c{% endif %}', vars), 'a');
  assert.equal(renderString('{% if [] %}a{% elif {} %}b{% else %}c{% endif %}', vars), 'c');
  assert.equal(renderString('{% for x in l if x > 1 %}{{ x }}{{ loop.index }}{{ "." if loop.last }}{% endfor %}', vars), '2132.');
  assert.equal(renderString('{% for k, v in d.items() if v is number %}{{ k }}{% endfor %}', vars), 'x');
  assert.equal(renderString('{% set ns = namespace(found=false) %}{% for x in l %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}', vars), 'True');
  assert.throws(() => renderString('{% set d.x = 2 %}', vars), /use namespace\(\)/);
  assert.equal(renderString('{% macro m(a, b=2) %}[{{ a }}-{{ b }}]{% endmacro %}{{ m(1) }}{{ m(3, b=4) }}', vars), '[1-2][3-4]');
  assert.equal(renderString('{% set blk %}n={{ l | length }}{% endset %}{{ blk }} {% raw %}{{ x }}{% endraw %}', vars), 'n=3 {{ x }}');
});

test('syntax errors are TemplateErrors that show the template', () => {
  assert.throws(() => renderString('{{ foo }', vars), undefErr(/template error.*\{\{ foo \}.*expected variable end/));
  assert.throws(() => evaluate('l | nosuchfilter', vars), undefErr(/no filter named 'nosuchfilter'/));
  assert.throws(() => evaluate('l is nosuchtest', vars), undefErr(/no test named 'nosuchtest'/));
});

test('evaluate accepts a wrapped {{ }} and evalCondition follows Ansible', () => {
  assert.equal(evaluate('{{ d.x == 1 }}', vars), true);
  assert.equal(evalCondition('d.x == 1', vars), true);
  assert.equal(evalCondition(['d.x == 1', 'l | length > 2'], vars), true);
  assert.equal(evalCondition(['d.x == 1', 'l | length > 3'], vars), false);
  assert.equal(evalCondition(true, vars), true);
  assert.equal(evalCondition(false, vars), false);
  assert.equal(evalCondition('l', vars), true);
  assert.equal(evalCondition('[]', vars), false);
  assert.equal(evalCondition('{}', vars), false);
  for (const s of ['false', 'no', 'False', '0', 'off', '']) assert.equal(evalCondition('v', { v: s }), false, s);
  for (const s of ['true', 'yes', 'True', '1', 'on', 'anything']) assert.equal(evalCondition('v', { v: s }), true, s);
  assert.equal(evalCondition('v', { v: '{{ 1 == 2 }}' }), false);
  assert.equal(evalCondition('item > 1', vars, { item: 2 }), true);
  assert.throws(() => evalCondition('missing', vars), undefErr(/'missing' is undefined/));
});

test('compiled templates are cached by source', () => {
  renderValue('{{ l | length }} cached', vars);
  const n = cacheSize();
  for (let i = 0; i < 100; i++) renderValue('{{ l | length }} cached', vars);
  assert.equal(cacheSize(), n);
});

test('the no-template fast path is much cheaper than rendering', () => {
  const time = (f: () => void) => {
    const t0 = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - t0);
  };
  // Relative timings, so a loaded machine does not fail the test.
  const plainRun = (n: number) => { for (let i = 0; i < n; i++) renderValue('apt-get install -y nginx', vars); };
  const templatedRun = (n: number) => { for (let i = 0; i < n; i++) renderValue('{{ s }}-y', vars); };
  plainRun(2000);
  templatedRun(2000);
  const plain = time(() => plainRun(20000));
  const templated = time(() => templatedRun(5000));
  assert.ok(plain < templated, `20000 plain strings took ${plain} ns, 5000 templated ones ${templated} ns`);
  const big = { list: Array.from({ length: 1000 }, (_x, i) => ({ name: `n${i}`, v: i })) };
  renderValue(big, vars);
  const again = time(() => { for (let i = 0; i < 100; i++) renderValue(big, vars); });
  const fresh = time(() => { for (let i = 0; i < 10; i++) renderValue(structuredClone(big), vars); });
  assert.ok(again < fresh, `100 walks of a known template-free value took ${again} ns, 10 fresh ones ${fresh} ns`);
});
