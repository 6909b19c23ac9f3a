import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debug } from '../../../src/modules/debug.js';
import { setFact } from '../../../src/modules/set_fact.js';
import { assertModule } from '../../../src/modules/assert.js';
import { failModule } from '../../../src/modules/fail.js';
import { pause } from '../../../src/modules/pause.js';
import { ping } from '../../../src/modules/ping.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { argError, runModule } from './helpers.js';

// a tiny evaluator for tests: variables by name, and `x == y` on numbers
const vars: Record<string, unknown> = { answer: 42, empty: [] };
const evaluate = (e: string) => {
  const m = e.match(/^(\w+) == (\d+)$/);
  if (m) return vars[m[1]] === Number(m[2]);
  if (!(e in vars)) throw new Error(`'${e}' is undefined`);
  return vars[e];
};

test('debug: msg, var, undefined var, verbosity', async () => {
  assert.deepEqual(await runModule(debug, {}), { changed: false, msg: 'Hello world!' });
  assert.deepEqual(await runModule(debug, { msg: ['a', 1] }), { changed: false, msg: ['a', 1] });
  assert.deepEqual(await runModule(debug, { var: 'answer' }, { evaluate }), { changed: false, answer: 42 });
  assert.deepEqual(await runModule(debug, { var: 'nope' }, { evaluate }), { changed: false, nope: 'VARIABLE IS NOT DEFINED!' });
  const s = await runModule(debug, { msg: 'x', verbosity: 2 }, { vars: { ansible_verbosity: 1 } });
  assert.equal(s.skipped, true);
  const shown = await runModule(debug, { msg: 'x', verbosity: '2' }, { vars: { ansible_verbosity: 2 } });
  assert.equal(shown.msg, 'x');
  assert.match(argError(debug, { msg: 'a', var: 'b' }), /argument var: msg and var are mutually exclusive/);
  assert.match(argError(debug, { msg: 'a', verbosity: 'loud' }), /argument verbosity/);
});

test('set_fact returns facts; bad names are named', async () => {
  const r = await runModule(setFact, { a: 1, b_2: { c: [1] }, cacheable: 'yes' });
  assert.deepEqual(r.facts, { a: 1, b_2: { c: [1] } });
  assert.equal(r.changed, false);
  assert.match(argError(setFact, { 'bad-name': 1 }), /argument bad-name: The variable name 'bad-name' is not valid/);
  assert.match(argError(setFact, {}), /at least one is required/);
});

test('assert and fail', async () => {
  const ok = await runModule(assertModule, { that: ['answer == 42', 'answer'] }, { evaluate });
  assert.deepEqual(ok, { changed: false, msg: 'All assertions passed' });
  const no = await runModule(assertModule, { that: ['answer == 42', 'empty'], msg: 'nope' }, { evaluate });
  assert.deepEqual([no.failed, no.assertion, no.msg], [true, 'empty', 'nope']);
  const err = await runModule(assertModule, { that: 'missing' }, { evaluate });
  assert.match(String(err.msg), /The conditional check 'missing' failed/);
  assert.equal((await runModule(assertModule, { that: 'answer', success_msg: 'good' }, { evaluate })).msg, 'good');
  assert.match(argError(assertModule, { that: 'x', fail_msg: 'a', msg: 'b' }), /argument msg: msg is an alias of fail_msg/);
  assert.match(argError(assertModule, {}), /argument that/);
  assert.deepEqual(await runModule(failModule, {}), { changed: false, failed: true, msg: 'Failed as requested from task' });
  assert.equal((await runModule(failModule, { msg: 'stop' })).msg, 'stop');
});

test('pause sleeps; prompt without a time is refused with a reason', async () => {
  const t0 = Date.now();
  const r = await runModule(pause, { seconds: '0.2' });
  assert.ok(Date.now() - t0 >= 190);
  assert.equal(r.changed, false);
  assert.match(argError(pause, { prompt: 'Continue?' }), /argument prompt: harun does not read answers from a terminal/);
  assert.match(argError(pause, { seconds: 1, minutes: 1 }), /argument minutes: seconds and minutes are mutually exclusive/);
});

test('ping: one round trip answering pong', async () => {
  const tr = new LocalTransport('localhost');
  const r = await runModule(ping, {}, { transport: tr });
  assert.deepEqual(r, { changed: false, ping: 'pong' });
  assert.equal(tr.execs, 1);
  assert.deepEqual(await runModule(ping, { data: 'hi' }), { changed: false, ping: 'hi' });
});
