import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mask, maskDeep, masking, registerSecret, registerSecretsIn } from '../../../src/report/mask.js';
import type { RunEvent } from '../../../src/report/events.js';

test('registered secrets are masked in strings, in JSON-escaped and sh-quoted forms, line by line', () => {
  registerSecret('s3cr3t-"quoted"');
  registerSecret("it's-mine");
  registerSecret('first line of a key\nsecond line of a key');
  assert.equal(mask('pw=s3cr3t-"quoted" end'), 'pw=******** end');
  assert.equal(mask(JSON.stringify({ pw: 's3cr3t-"quoted"' })), '{"pw":"********"}');
  assert.equal(mask(`echo 'it'\\''s-mine'`), `echo '********'`);
  assert.equal(mask('-second line of a key\n'), '-********\n', 'one line of a multi-line secret, as a diff shows it');
  assert.equal(mask('nothing here'), 'nothing here');
  registerSecret('---\nkey: value-in-a-vaulted-file\n}\n');
  assert.equal(mask('--- before\n+key: value-in-a-vaulted-file'), '--- before\n+********', 'lines without a letter or digit are not registered');
});

test('very short values are not registered (they would mask ordinary words); numbers of 4 digits are', () => {
  registerSecretsIn({ a: 'ab', n: 80, big: 123456, t: true });
  assert.equal(mask('ab 80 true'), 'ab 80 true');
  assert.equal(mask('port 123456'), 'port ********');
});

test('the masking reporter hands every event on with its strings masked, keys included', () => {
  registerSecret('event-secret-1');
  const seen: RunEvent[] = [];
  const r = masking({ on: (e) => seen.push(e), done: async () => {} });
  r.on({ kind: 'host_result', task: 't', host: 'h', status: 'ok', result: { changed: false, msg: 'got event-secret-1', list: ['event-secret-1'], ['event-secret-1']: 1 }, ms: 1 });
  r.on({ kind: 'diff', host: 'h', task: 't', path: '/p', text: '+event-secret-1\n' });
  assert.equal(JSON.stringify(seen).includes('event-secret-1'), false);
  assert.deepEqual(maskDeep({ x: ['event-secret-1'] }), { x: ['********'] });
});
