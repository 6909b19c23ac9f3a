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

// expected values: parse_kv(s, check_raw=True) of ansible-core 2.14 (Debian)
test('a multi-line free-form command keeps its newlines and spacing, as split_args and join_args do', () => {
  const FREE = new Set(['creates', 'chdir']);
  const script = 'd=$(ipvsadm -L --daemon 2>/dev/null) || exit 0\nfor s in master backup; do\n  case $d in *"$s sync daemon"*) ipvsadm --stop-daemon "$s" && echo "stopped $s" ;; esac\ndone\n';
  assert.deepEqual(parseKv(script, FREE), { args: {}, free: script });
  assert.deepEqual(parseKv('echo a  b\n  c=d\ttab creates=/tmp/x\n', FREE), { args: { creates: '/tmp/x' }, free: 'echo a  b\n  c=d\ttab' });
  assert.deepEqual(parseKv('echo "multi\nline" chdir=/tmp', FREE), { args: { chdir: '/tmp' }, free: 'echo "multi\nline"' });
  assert.deepEqual(parseKv('a=1 \\\n b=2', FREE), { args: {}, free: 'a=1 b=2' });
  assert.deepEqual(parseKv("echo {{ x |\n default('y') }} done", FREE), { args: {}, free: "echo {{ x |\n default('y') }} done" });
  assert.deepEqual(parseKv("k='a b' free  two", FREE), { args: {}, free: "k='a b' free  two" });
  assert.throws(() => parseKv('echo {{ x', FREE), /unbalanced jinja2 block/);
});
