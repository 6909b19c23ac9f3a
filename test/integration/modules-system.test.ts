import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gatherFacts } from '../../src/facts/index.js';
import { blockinfile } from '../../src/modules/blockinfile.js';
import { addsAtEof, lineinfile, runLineinfile } from '../../src/modules/lineinfile.js';
import { replace } from '../../src/modules/replace.js';
import { setup } from '../../src/modules/setup.js';
import { uri } from '../../src/modules/uri.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import { testContext } from '../helpers/ctx.js';
import { sshHost } from '../helpers/remote.js';

const h = sshHost();
const { run } = h;

test('facts over ssh: one round trip, matching this machine (the fleet runs here)', async () => {
  const n = h.t.execs;
  const f = await gatherFacts((c) => h.t.exec(c));
  assert.equal(h.t.execs - n, 1);
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

test('lineinfile with only line: one exec, and the same results as reading first', async () => {
  // initial content (null: no file, its directory missing too), args, run options; trips of the one-exec path
  const cases: [string | null, Record<string, unknown>, { check?: boolean; diff?: boolean }, number][] = [
    [null, { create: true, mode: '0644' }, {}, 1],
    [null, { create: true }, { check: true, diff: true }, 1],
    [null, {}, {}, 1],
    ['', {}, { diff: true }, 1],
    ['a=1\n', { mode: '0600', backup: true }, {}, 1],
    ['a=1', {}, { diff: true }, 1],
    ['bench=1\n', {}, {}, 1],
    ['bench=1\n', { mode: '0600' }, {}, 1],
    ['bench=1\n', { mode: '0600' }, { check: true }, 1],
    ['x\n\nbench=1\ny', {}, {}, 1],
    ['x\nbench=1\r\nbench=1\n', {}, {}, 1],
    ['bench=1', {}, { diff: true }, 2],
    ['bench=1\nx\r\nbench=1\r\n', {}, {}, 2],
    ['bench=1\r\n', {}, { check: true }, 1],
    ['é=1\nbench=1\n', { line: 'é=1' }, {}, 1],
    ['é=1\n', { line: 'ü=2', insertafter: 'EOF' }, {}, 1],
    ['a\n', { validate: 'grep -q nope %s' }, {}, 1],
    ['a\n', { validate: 'grep -q bench %s' }, {}, 1],
    // the shell's read loop drops NUL bytes: its count then differs, and cat and awk decide
    ['a\0b', {}, {}, 1],
    ['bench=1\0\n', {}, {}, 1],
    ['x\0\nbench=1\n', {}, {}, 1],
    ['bench=1\n\0', {}, {}, 1],
    // larger than the shell's read loop takes
    [`${'y'.repeat(1500)}\nbench=1\n`, {}, {}, 1],
    [`${'y'.repeat(1500)}\n`, {}, { diff: true }, 1],
    ['bench=1\r\r\n', {}, {}, 2],
    // pattern characters and expansions in the line are text
    ['bxx=\na\\b*[x]\n', { line: 'b*=' }, {}, 1],
    ['b*=\n', { line: 'b*=' }, {}, 1],
    ['x\n', { line: '$HOME `id` \\n' }, {}, 1],
  ];
  let i = 0;
  for (const [content, extra, o, trips] of cases) {
    const seen: unknown[] = [];
    for (const oneExec of [true, false]) {
      const path = `${h.dir}/li${i++}/f.conf`;
      await h.t.exec(`mkdir -p $(dirname '${path}')`);
      if (content !== null) await h.t.exec(`cat > '${path}' && chmod 0640 '${path}'`, { stdin: content });
      else await h.t.exec(`rmdir $(dirname '${path}')`);
      const args = parseArgs('lineinfile', lineinfile.schema, { path, line: 'bench=1', ...extra });
      assert.equal(addsAtEof(args), true);
      const n = h.t.execs;
      const r = await runLineinfile(testContext({ transport: h.t, ...o }), args, oneExec);
      if (oneExec) assert.equal(h.t.execs - n, trips, JSON.stringify(content));
      const made = (await h.t.exec(`stat -c %a '${path}' && cat '${path}'`)).stdout;
      const backup = r.backup_file ? (await h.t.exec(`cat '${r.backup_file}'`)).stdout : undefined;
      seen.push(JSON.parse(JSON.stringify({ ...r, backup, made }).replaceAll(path, 'PATH').replace(/"backup_file":"[^"]*"/, '"backup_file":"B"')));
    }
    assert.deepEqual(seen[0], seen[1], JSON.stringify([content, extra, o]));
  }
});

test('uri over ssh: the request runs on the target', async () => {
  const r = await run(uri, { url: 'http://127.0.0.1:9/', timeout: 3 });
  assert.equal(r.r.failed, true);
  assert.equal(r.trips, 1);
});
