import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../../../src/modules/wait_for.js';
import { argError, runModule, tempDir } from './helpers.js';

test('wait_for port: started while listening, stopped after close, timeout fails', async () => {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const r = await runModule(waitFor, { port, timeout: 5 });
    assert.deepEqual([r.failed, r.changed, r.port], [undefined, false, port]);
    const still = await runModule(waitFor, { port, state: 'stopped', timeout: 1 });
    assert.equal(still.failed, true);
    assert.equal(still.msg, `Timeout when waiting for 127.0.0.1:${port} to stop`);
  } finally {
    await new Promise((r) => server.close(r));
  }
  const stopped = await runModule(waitFor, { port, state: 'stopped', timeout: 5 });
  assert.equal(stopped.failed, undefined);
  const closed = await runModule(waitFor, { port, timeout: 1, msg: 'no web' });
  assert.deepEqual([closed.failed, closed.msg], [true, 'no web']);
});

test('wait_for path: appears later, regex, absent', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'ready');
  const timer = setTimeout(() => writeFileSync(path, 'state: up\n'), 700);
  const r = await runModule(waitFor, { path, timeout: 10 });
  clearTimeout(timer);
  assert.equal(r.failed, undefined);
  assert.ok(Number(r.elapsed) >= 0);
  const re = await runModule(waitFor, { path, search_regex: 'state: (up|ready)', timeout: 2 });
  assert.equal(re.failed, undefined);
  const miss = await runModule(waitFor, { path, search_regex: 'down', timeout: 1 });
  assert.equal(miss.msg, `Timeout when waiting for search string down in ${path}`);
  const abs = await runModule(waitFor, { path, state: 'absent', timeout: 1 });
  assert.equal(abs.msg, `Timeout when waiting for ${path} to be absent`);
});

test('wait_for bad arguments name the argument', () => {
  assert.match(argError(waitFor, { port: 1, path: '/x' }), /argument path: port and path/);
  assert.match(argError(waitFor, { port: 'http' }), /argument port: expected a number/);
  assert.match(argError(waitFor, { port: 80, state: 'drained' }), /argument state: state=drained is not supported/);
  assert.match(argError(waitFor, { port: 80, state: 'up' }), /argument state: expected one of/);
});
