import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseKv } from '../../../src/config/kv.js';

// expected values: ansible.parsing.splitter.parse_kv of ansible-core 2.14 (Debian) on the same strings
test("k=v values decode escapes as Ansible's parse_kv does, quoted or not", () => {
  assert.deepEqual(parseKv(String.raw`content="x\n" a=b\tc`).args, { content: 'x\n', a: 'b\tc' });
  assert.deepEqual(parseKv(String.raw`msg="say \"hi\"" p='it\'s'`).args, { msg: 'say "hi"', p: "it's" });
  assert.deepEqual(parseKv(String.raw`u="\u00e9\x41" w=C:\\temp q="a\\b"`).args, { u: 'éA', w: 'C:\\temp', q: 'a\\b' });
  assert.deepEqual(parseKv(String.raw`k="{{ x | join('\n') }}"`).args, { k: "{{ x | join('\n') }}" });
});

test('free-form words stay as written; only k=v values are decoded', () => {
  const r = parseKv(String.raw`echo a\nb chdir=/tmp\tx`, new Set(['chdir']));
  assert.equal(r.free, String.raw`echo a\nb`);
  assert.deepEqual(r.args, { chdir: '/tmp\tx' });
});
