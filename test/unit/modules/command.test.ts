import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { command } from '../../../src/modules/command.js';
import { shell } from '../../../src/modules/shell.js';
import { rawModule } from '../../../src/modules/raw.js';
import { script } from '../../../src/modules/script.js';
import { extractKv, shlexSplit } from '../../../src/modules/lib/shlex.js';
import { argError, runModule, tempDir } from './helpers.js';

test('shlexSplit and extractKv follow sh quoting', () => {
  assert.deepEqual(shlexSplit(`echo 'a b' "c \\"d\\"" e\\ f`), ['echo', 'a b', 'c "d"', 'e f']);
  assert.throws(() => shlexSplit(`echo 'open`), /unterminated single quote/);
  assert.deepEqual(extractKv(`creates=/x chdir="/a b" make  install 'chdir=/no'`, ['creates', 'chdir']), {
    rest: `make  install 'chdir=/no'`,
    kv: { creates: '/x', chdir: '/a b' },
  });
});

test('command runs argv without a shell and reports Ansible keys', async () => {
  const r = await runModule(command, { cmd: `printf '%s|' "a b" $HOME '$(id)' ; echo` });
  assert.equal(r.changed, true);
  assert.equal(r.rc, 0);
  // no shell: ; and the $(...) stay literal words, $HOME is expanded as Ansible does
  assert.equal(r.stdout, `a b|${process.env.HOME}|$(id)|;|echo|`);
  assert.deepEqual(r.cmd, ['printf', '%s|', 'a b', '$HOME', '$(id)', ';', 'echo']);
  assert.match(String(r.start), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  assert.match(String(r.delta), /^0:00:0\d\.\d{6}$/);
  const argv = await runModule(command, { argv: ['echo', 'x  y'] });
  assert.deepEqual(argv.stdout_lines, ['x  y']);
});

test('command: non-zero rc fails; stdin; strip_empty_ends', async () => {
  const f = await runModule(command, { cmd: 'sh -c "echo out; echo err >&2; exit 3"' });
  assert.deepEqual([f.failed, f.rc, f.msg, f.stdout, f.stderr], [true, 3, 'non-zero return code', 'out', 'err']);
  const s = await runModule(command, { cmd: 'cat', stdin: 'hello' });
  assert.equal(s.stdout, 'hello');
  const k = await runModule(command, { cmd: 'cat', stdin: 'hello', strip_empty_ends: false });
  assert.equal(k.stdout, 'hello\n');
  assert.deepEqual(k.stdout_lines, ['hello']);
});

test('command: creates/removes/chdir from free-form text; first run changes, second skips', async (t) => {
  const dir = tempDir(t);
  const args = { cmd: `creates=made chdir=${dir} touch made` };
  const r1 = await runModule(command, args);
  assert.equal(r1.changed, true);
  assert.ok(existsSync(join(dir, 'made')));
  const r2 = await runModule(command, args);
  assert.equal(r2.changed, false);
  assert.equal(r2.msg, `Did not run command since 'made' exists`);
  const rm = await runModule(command, { cmd: `rm ${dir}/gone`, removes: `${dir}/gone*` });
  assert.equal(rm.changed, false);
  assert.match(String(rm.msg), /does not exist/);
});

test('command/shell in check mode run only the guards', async (t) => {
  const dir = tempDir(t);
  const c = await runModule(command, { cmd: `touch ${dir}/x` }, { check: true });
  assert.deepEqual([c.skipped, c.changed], [true, false]);
  const s = await runModule(shell, { cmd: `touch ${dir}/x`, creates: `${dir}/x` }, { check: true });
  assert.equal(s.changed, true);
  assert.equal(existsSync(join(dir, 'x')), false, 'check mode left the host untouched');
  writeFileSync(join(dir, 'x'), '');
  const s2 = await runModule(shell, { cmd: `rm ${dir}/x`, creates: `${dir}/x` }, { check: true });
  assert.equal(s2.changed, false);
  assert.ok(existsSync(join(dir, 'x')));
});

test('shell uses a shell, chdir and executable; raw passes text as is', async (t) => {
  const dir = tempDir(t);
  const r = await runModule(shell, { cmd: 'echo $((1+2)) | tr 3 z; pwd', chdir: dir });
  assert.deepEqual(r.stdout_lines, ['z', dir]);
  assert.equal(r.cmd, 'echo $((1+2)) | tr 3 z; pwd');
  const e = await runModule(shell, { cmd: 'executable=/bin/sh echo $0' });
  assert.equal(e.stdout, '/bin/sh');
  const raw = await runModule(rawModule, { cmd: 'echo a; echo b >&2; exit 4' });
  assert.deepEqual([raw.rc, raw.stdout, raw.stderr, raw.failed], [4, 'a\n', 'b\n', true]);
});

test('script uploads, runs with args and cleans up; creates guard', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 's.sh'), '#!/bin/sh\necho "args:$1:$2"\ntouch "$3"\n');
  const args = { cmd: `s.sh one "two three" ${dir}/done creates=${dir}/done` };
  const r1 = await runModule(script, args, { filesDir: dir });
  assert.equal(r1.changed, true);
  assert.equal(r1.stdout, 'args:one:two three\n');
  const r2 = await runModule(script, args, { filesDir: dir });
  assert.equal(r2.changed, false);
  const missing = await runModule(script, { cmd: 'nope.sh' }, { filesDir: dir });
  assert.equal(missing.failed, true);
});

test('bad arguments name the argument', () => {
  assert.match(argError(command, { cmd: 'ls', bogus: 1 }), /unsupported argument bogus/);
  assert.match(argError(command, {}), /argument cmd: no command given/);
  assert.match(argError(command, { cmd: 'ls', argv: ['ls'] }), /argument argv: cmd and argv are mutually exclusive/);
  assert.match(argError(shell, { cmd: 'ls', strip_empty_ends: 'maybe' }), /argument strip_empty_ends: expected a boolean/);
  assert.match(argError(rawModule, { cmd: 'ls', chdir: '/' }), /unsupported argument chdir/);
});

test("command and shell: the removed 'warn' argument runs the task and warns, free-form or not", async () => {
  const r = await runModule(command, { cmd: 'echo hi warn=no' });
  assert.equal(r.stdout, 'hi');
  assert.match(String((r.warnings as string[])[0]), /'warn' argument was removed in ansible-core 2\.14/);
  const s = await runModule(shell, { cmd: 'echo ok', warn: false });
  assert.equal(s.stdout, 'ok');
  assert.equal((s.warnings as string[]).length, 1);
  assert.equal((await runModule(command, { cmd: 'true' })).warnings, undefined);
});
