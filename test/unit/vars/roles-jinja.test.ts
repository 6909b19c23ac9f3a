import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluate, renderString } from '../../../src/vars/template.js';

/**
 * Jinja that public roles write and jinja2 accepts. Expected values were produced by Python 3.11
 * (jinja2, crypt, random.Random) on this machine.
 */

test('chained conditional expressions', () => {
  const t = "{{ 'a' if x == 1 else 'b' if x == 2 else 'c' }}";
  assert.deepEqual([1, 2, 3].map((x) => renderString(t, { x })), ['a', 'b', 'c']);
});

test('a test followed by a filter applies the filter to the test result', () => {
  assert.equal(renderString("{{ x is defined | ternary('yes', 'no') }}", { x: 1 }), 'yes');
  assert.equal(renderString("{{ x is not defined | ternary('yes', 'no') }}", {}), 'yes');
  assert.equal(evaluate('x is defined and y is defined | ternary(1, 2)', { x: 1 }), 2);
});

test('string literals hold escapes and real newlines', () => {
  assert.equal(renderString('{{ ["a", "b"] | join("\\n") }}', {}), 'a\nb');
  assert.equal(renderString("{{ 'a\nb' }}", {}), 'a\nb');
});

test('for with parenthesised targets', () => {
  assert.equal(renderString('{% for (k, v) in d.items() %}{{ k }}={{ v }};{% endfor %}', { d: { a: 1, b: 2 } }), 'a=1;b=2;');
  assert.equal(renderString('{% for (k, v) in d | dictsort %}{{ k }}{% endfor %}({{ 1 }})', { d: { b: 1, a: 2 } }), 'ab(1)');
});

test('#} outside a comment is text', () => {
  assert.equal(renderString('x #} y {# gone #}{{ z }}', { z: 1 }), 'x #} y 1');
});

test('password_hash writes crypt(3) SHA-crypt strings', () => {
  // python3 -c "import crypt; print(crypt.crypt('pw', '$6$saltsalt$'))"
  assert.equal(renderString("{{ 'pw' | password_hash('sha512', 'saltsalt') }}", {}),
    '$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D.PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/');
  assert.equal(renderString("{{ 'secret' | password_hash('sha256', 'abcdefgh', rounds=10000) }}", {}),
    '$5$rounds=10000$abcdefgh$xH5OIv1xXYrZ3ShkQqwef3DzYdGY9C2Tq1B2B75WTC0');
  assert.equal(renderString("{{ 'é' | password_hash('sha512', '0123456789abcdef') }}", {}),
    '$6$0123456789abcdef$DW5yuOpeSKJ4N2n4F1gFYdjln3pcsqdJq8NHP8Yh2vh8xRrW/qbhUs3UJFxDYxakY6Jk7eXw1uLTCB.urS5lU1');
  const random = String(renderString("{{ 'pw' | password_hash('sha512') }}", {}));
  assert.match(random, /^\$6\$[A-Za-z0-9./]{16}\$[A-Za-z0-9./]{86}$/);
  assert.throws(() => renderString("{{ 'pw' | password_hash('blowfish') }}", {}), /not supported/);
});

test('password_hash md5 writes MD5-crypt strings', () => {
  // openssl passwd -1 -salt saltsalt secret; openssl passwd -1 -salt ab 'pässword with a long text over sixteen'
  assert.equal(renderString("{{ 'secret' | password_hash('md5', 'saltsalt') }}", {}), '$1$saltsalt$9xy1btjgzLYfb7hivXtC//');
  assert.equal(renderString("{{ 'pässword with a long text over sixteen' | password_hash('md5_crypt', salt='ab') }}", {}), '$1$ab$Q./dwEanelnz3f3ghyh6x.');
  assert.match(String(renderString("{{ 'pw' | password_hash('md5') }}", {})), /^\$1\$[A-Za-z0-9./]{8}\$[A-Za-z0-9./]{22}$/);
  assert.throws(() => renderString("{{ 'pw' | password_hash('md5', 'toolongsalt') }}", {}), /at most 8 characters/);
  assert.throws(() => renderString("{{ 'pw' | password_hash('bcrypt') }}", {}), /bcrypt is not/);
});

test('seeded random and shuffle pick what Python picks', () => {
  // random.Random('host1').randrange(0, 60); .shuffle(list(range(10))); Random(42).choice(...)
  assert.equal(evaluate("60 | random(seed='host1')", {}), 31);
  assert.deepEqual(evaluate("range(10) | list | shuffle(seed='host1')", {}), [0, 9, 4, 8, 1, 6, 5, 2, 3, 7]);
  assert.equal(evaluate("['a', 'b', 'c', 'd', 'e'] | random(seed=42)", {}), 'a');
  const s = evaluate('[1, 2, 3, 4] | shuffle', {}) as number[];
  assert.deepEqual([...s].sort(), [1, 2, 3, 4]);
});

test('to_uuid, product, path_join', () => {
  assert.equal(evaluate("'x' | to_uuid", {}), '66b2f013-1baa-5313-9c8c-e6f1182e0e90');
  assert.deepEqual(evaluate("[1, 2] | product(['a'])", {}), [[1, 'a'], [2, 'a']]);
  assert.equal(evaluate("['/etc', 'nginx', 'x.conf'] | path_join", {}), '/etc/nginx/x.conf');
});
