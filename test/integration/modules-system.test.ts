import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gatherFacts } from '../../src/facts/index.js';
import { blockinfile } from '../../src/modules/blockinfile.js';
import { lineinfile } from '../../src/modules/lineinfile.js';
import { replace } from '../../src/modules/replace.js';
import { setup } from '../../src/modules/setup.js';
import { uri } from '../../src/modules/uri.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import { sshHost } from '../helpers/remote.js';

const h = sshHost();
const { run } = h;

test('facts over ssh: one round trip, matching this machine (the fleet runs here)', async () => {
  const n = h.t.channels;
  const f = await gatherFacts((c) => h.t.exec(c));
  assert.equal(h.t.channels - n, 1);
  assert.equal(f.kernel, execSync('uname -r').toString().trim());
  assert.equal(f.user_id, h.fleet.user);
  assert.equal(f.env.USER ?? f.env.LOGNAME, h.fleet.user);
  assert.match(readFileSync('/etc/os-release', 'utf8'), new RegExp(`^VERSION_ID="?${f.distribution_version}"?$`, 'm'));
  assert.deepEqual(f.interfaces, JSON.parse(execSync('ip -j addr').toString()).map((l: { ifname: string }) => l.ifname));
  const s = await run(setup, { gather_subset: '!all', filter: 'ansible_distribution*' });
  assert.equal((s.r.facts as Record<string, unknown>).ansible_distribution, f.distribution);
});

test('lineinfile over ssh: check, changed in two round trips, unchanged in one, diff', async () => {
  const path = `${h.dir}/app.conf`;
  const args = { path, regexp: '^port=', line: 'port=8080', create: true };
  const chk = await run(lineinfile, args, { check: true, diff: true });
  assert.equal(chk.r.changed, true);
  assert.equal((await h.t.exec(`test -e ${path}; echo $?`)).stdout.trim(), '1');
  const r1 = await run(lineinfile, args);
  assert.deepEqual([r1.r.changed, r1.trips], [true, 2]);
  const r2 = await run(lineinfile, args);
  assert.deepEqual([r2.r.changed, r2.trips], [false, 1]);
  const r3 = await run(lineinfile, { ...args, line: 'port=9090' }, { diff: true });
  assert.deepEqual(r3.r.diff?.[0].after, 'port=9090\n');
  assert.equal((await h.t.exec(`cat ${path}`)).stdout, 'port=9090\n');
  const b = await run(blockinfile, { path, block: 'x=1' });
  assert.deepEqual([b.r.changed, b.trips], [true, 2]);
  assert.equal((await run(blockinfile, { path, block: 'x=1' })).r.changed, false);
  const rp = await run(replace, { path, regexp: '^x=(\\d)$', replace: 'x=\\g<1>0' });
  assert.equal(rp.r.changed, true);
  assert.match((await h.t.exec(`cat ${path}`)).stdout, /^x=10$/m);
  assert.throws(() => parseArgs('lineinfile', lineinfile.schema, { path, line: 'a', insertafter: 'x', insertbefore: 'y' }), /argument insertafter/);
});

test('uri over ssh: the request runs on the target', async () => {
  const r = await run(uri, { url: 'http://127.0.0.1:9/', timeout: 3 });
  assert.equal(r.r.failed, true);
  assert.equal(r.trips, 1);
});
