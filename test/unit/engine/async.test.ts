import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runAsync } from '../../../src/engine/async.js';
import { asyncStatus } from '../../../src/modules/async_status.js';
import { command } from '../../../src/modules/command.js';
import { debug } from '../../../src/modules/debug.js';
import { LocalTransport } from '../../../src/transport/local.js';
import { testContext } from '../../helpers/ctx.js';

// jobs run on this machine through the local transport; their files go to a scratch async dir
const dir = mkdtempSync(join(tmpdir(), 'harun-async-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function setup() {
  const transport = new LocalTransport('localhost');
  return { transport, ctx: testContext({ transport, vars: { ansible_async_dir: dir } }) };
}

const args = (cmd: string) => command.schema.parse({ cmd });

test('a polled job costs one exec to start and one per poll; the files go in the poll that finds it done', async () => {
  const { transport, ctx } = setup();
  const r = await runAsync(ctx, command, args("sh -c 'echo out; echo err >&2; exit 3'"), 10, 0.5);
  assert.equal(r.rc, 3);
  assert.equal(r.failed, true);
  assert.equal(r.msg, 'non-zero return code');
  assert.equal(r.stdout, 'out');
  assert.equal(r.stderr, 'err');
  assert.equal(r.finished, 1);
  assert.match(String(r.ansible_job_id), /^j\d+\.\d+$/);
  assert.equal(transport.execs, 2, 'launch + one poll');
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(String(r.ansible_job_id))), []);
});

test('poll 0 fires and forgets in one exec; async_status reports it, then cleanup removes its files', async () => {
  const { transport, ctx } = setup();
  const fired = await runAsync(ctx, command, args('sh -c "sleep 0.3; echo late"'), 10, 0);
  assert.equal(transport.execs, 1);
  assert.deepEqual({ ...fired, ansible_job_id: 'x' }, { changed: true, failed: false, ansible_job_id: 'x', started: 1, finished: 0, results_file: join(dir, String(fired.ansible_job_id)) });
  const jid = String(fired.ansible_job_id);
  const running = await asyncStatus.run(ctx, { jid, mode: 'status' });
  assert.equal(running.finished, 0);
  await new Promise((res) => setTimeout(res, 1000));
  const done = await asyncStatus.run(ctx, { jid, mode: 'status' });
  assert.equal(done.finished, 1);
  assert.equal(done.stdout, 'late');
  assert.equal(done.changed, true);
  assert.ok(readdirSync(dir).includes(jid), 'status alone leaves the results file');
  const gone = await asyncStatus.run(ctx, { jid, mode: 'cleanup' });
  assert.equal(gone.erased, join(dir, jid));
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(jid)), []);
  const missing = await asyncStatus.run(ctx, { jid, mode: 'status' });
  assert.equal(missing.failed, true);
  assert.equal(missing.msg, 'could not find job');
});

test("a job still running when the polls ran out fails with Ansible's message", async () => {
  const { transport, ctx } = setup();
  const r = await runAsync(ctx, command, args('sleep 2'), 1, 0.5);
  assert.equal(r.failed, true);
  assert.equal(r.msg, 'async task did not complete within the requested time - 1s');
  assert.equal((r.async_result as Record<string, unknown>).finished, 0);
  assert.equal(transport.execs, 3, 'launch + two polls');
});

test('check mode and controller modules refuse async as Ansible does, before anything runs', async () => {
  const { transport } = setup();
  const check = testContext({ transport, check: true, vars: { ansible_async_dir: dir } });
  assert.equal((await runAsync(check, command, args('true'), 5, 1)).msg, 'check mode and async cannot be used on same task.');
  const { ctx } = setup();
  assert.equal((await runAsync(ctx, debug, debug.schema.parse({ msg: 'x' }), 5, 1)).msg, 'async is not supported for this task.');
  assert.equal(transport.execs, 0);
});

test('async_status on a job launched a moment ago, whose output files do not exist yet: running, not a failure', async () => {
  const { ctx } = setup();
  // what launchJob leaves before the detached shell has opened the job's .out and .err (a loaded host)
  const jid = 'j123456789.42';
  writeFileSync(join(dir, jid), `{"started": 1, "finished": 0, "ansible_job_id": "${jid}"}\n`);
  writeFileSync(join(dir, `${jid}.spec`), '{"kind": "command"}');
  const r = await asyncStatus.run(ctx, { jid, mode: 'status' });
  assert.equal(r.failed, undefined, String(r.msg));
  assert.equal(r.finished, 0);
  assert.equal(r.started, 1);
});
