import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from '../../src/modules/command.js';
import { copy } from '../../src/modules/copy.js';
import { fetch } from '../../src/modules/fetch.js';
import { file } from '../../src/modules/file.js';
import { stat } from '../../src/modules/stat.js';
import { sshHost } from '../helpers/remote.js';

const h = sshHost();
const { run } = h;

test('copy over ssh: check, change in one round trip, unchanged in one, diff', async () => {
  const dest = `${h.dir}/app.conf`;
  const chk = await run(copy, { content: 'a=1\n', dest, mode: '0640' }, { check: true, diff: true });
  assert.equal(chk.r.changed, true);
  assert.equal((await h.t.exec(`test -e ${dest}; echo $?`)).stdout.trim(), '1', 'check mode wrote nothing');
  const c1 = await run(copy, { content: 'a=1\n', dest, mode: '0640' });
  assert.deepEqual([c1.r.changed, c1.trips, c1.r.mode, c1.r.owner], [true, 1, '0640', h.fleet.user]);
  assert.equal((await h.t.exec(`cat ${dest}`)).stdout, 'a=1\n');
  const c2 = await run(copy, { content: 'a=1\n', dest, mode: '0640' });
  assert.deepEqual([c2.r.changed, c2.trips], [false, 1]);
  const c3 = await run(copy, { content: 'a=2\n', dest, backup: true }, { diff: true });
  assert.deepEqual(c3.r.diff, [{ path: dest, before: 'a=1\n', after: 'a=2\n' }]);
  assert.equal((await h.t.exec(`cat '${c3.r.backup_file}'`)).stdout, 'a=1\n');
});

test('file and stat over ssh', async () => {
  const d = `${h.dir}/sub/dir`;
  const f1 = await run(file, { path: d, state: 'directory', mode: '0750' });
  assert.deepEqual([f1.r.changed, f1.trips], [true, 1]);
  const f2 = await run(file, { path: d, state: 'directory', mode: '0750' });
  assert.deepEqual([f2.r.changed, f2.trips], [false, 1]);
  const s = await run(stat, { path: d });
  const st = s.r.stat as Record<string, unknown>;
  assert.deepEqual([st.isdir, st.mode, st.pw_name, s.trips], [true, '0750', h.fleet.user, 1]);
  const l = await run(file, { path: `${h.dir}/link`, src: d, state: 'link' });
  assert.equal(l.r.changed, true);
  assert.equal((await h.t.exec(`readlink ${h.dir}/link`)).stdout.trim(), d);
});

test('command with creates, and fetch of binary data over ssh', async () => {
  const c1 = await run(command, { cmd: `creates=${h.dir}/bin.dat sh -c "printf '\\000\\377x' > ${h.dir}/bin.dat"` });
  assert.equal(c1.r.rc, 0);
  const c2 = await run(command, { cmd: `creates=${h.dir}/bin.dat false` });
  assert.deepEqual([c2.r.changed, c2.trips], [false, 1]);
  const local = mkdtempSync(join(tmpdir(), 'harun-fetch-'));
  try {
    const f = await run(fetch, { src: `${h.dir}/bin.dat`, dest: local + '/', flat: true });
    assert.equal(f.r.changed, true);
    assert.deepEqual(readFileSync(join(local, 'bin.dat')), Buffer.from([0, 255, 0x78]));
  } finally {
    rmSync(local, { recursive: true, force: true });
  }
});
