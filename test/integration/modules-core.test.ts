import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

test('copy decides on the host: small text compared by the shell, byte for byte, in one round trip', async () => {
  const dest = `${h.dir}/cmp.conf`;
  const tricky = 'a\\b $x `y` "q" \'s\'  \t trailing  \r\n\n\u00e9t\u00e9 \\n no final newline';
  // [what the file holds, the content asked for, changed?] (the fleet's hosts are this machine)
  const cases: [string | Buffer, string, boolean][] = [
    [tricky, tricky, false],
    ['', '', false],
    ['\n\n', '\n\n', false],
    // same size, other bytes: a NUL the shell cannot hold, a missing final newline, a byte that is not UTF-8
    [Buffer.from('ab\0d\n'), 'abcd\n', true],
    ['abc', 'ab\n', true],
    [Buffer.from([0xff, 0x0a]), 'y\n', true],
    ['x=1\n', 'x=2\n', true],
    // larger than the shell's builtins take: sha1sum decides
    [`${'z'.repeat(3000)}\n`, `${'z'.repeat(3000)}\n`, false],
    [`${'z'.repeat(3000)}\n`, `${'z'.repeat(2999)}y\n`, true],
  ];
  for (const [held, content, changed] of cases) {
    writeFileSync(dest, held);
    const c = await run(copy, { content, dest });
    assert.deepEqual([c.r.changed, c.trips], [changed, 1], JSON.stringify([held.slice(0, 40).toString(), content.slice(0, 40)]));
    assert.equal(readFileSync(dest, 'utf8'), content);
  }
  // the content goes on stdin, never into a command's text (which the host's process list shows)
  const sent: string[] = [];
  const exec = h.t.exec.bind(h.t);
  h.t.exec = (cmd, o) => (sent.push(cmd), exec(cmd, o));
  try {
    for (const held of ['', 'password=old-one\n', 'password=0123456789\n']) {
      writeFileSync(dest, held);
      assert.equal((await run(copy, { content: 'password=0123456789\n', dest })).r.changed, held !== 'password=0123456789\n');
    }
  } finally {
    h.t.exec = exec;
  }
  assert.equal(sent.length, 3);
  assert.equal(sent.filter((c) => c.includes('0123456789')).length, 0);
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
