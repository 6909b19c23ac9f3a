/**
 * known_hosts over ssh against the loopback sshd: add, the unchanged rerun in one exec, a changed
 * key replaced, hash_host, [host]:port, absent, check mode, diff, keys for another host rejected,
 * the default ~/.ssh made 0700 (under a HOME inside the scratch dir), and the same tasks run by
 * Ansible's own module compared file by file. Every file lives in h.dir; keys are made by
 * ssh-keygen in a temp dir.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContext } from '../../src/engine/context.js';
import { ansibleModule } from '../../src/modules/index.js';
import { known_hosts } from '../../src/modules/known_hosts.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import type { ModuleDef } from '../../src/modules/types.js';
import { sshHost } from '../helpers/remote.js';

const h = sshHost();
const { run } = h;

// host keys: two ed25519 (a key and its replacement) and one ecdsa
const keyDir = mkdtempSync(join(tmpdir(), 'harun-kh-'));
after(() => rmSync(keyDir, { recursive: true, force: true }));
function pubKey(name: string, type: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `${name}@test`, '-f', join(keyDir, name)]);
  // "type base64 comment": known_hosts wants the first two
  return readFileSync(join(keyDir, `${name}.pub`), 'utf8').split(' ').slice(0, 2).join(' ');
}
const A = pubKey('a', 'ed25519');
const B = pubKey('b', 'ed25519');
const C = pubKey('c', 'ecdsa');

const sh = async (cmd: string) => (await h.t.exec(cmd)).stdout;
const cat = (p: string) => sh(`cat '${p}' 2>/dev/null || echo MISSING`);
let n = 0;
/** A fresh directory in the scratch dir and the known_hosts path in it. */
async function fresh(): Promise<string> {
  const d = `${h.dir}/kh${n++}`;
  await h.t.exec(`mkdir '${d}'`);
  return `${d}/known_hosts`;
}

test('present: added, unchanged rerun in one exec, another type appended, a changed key replaced, mode kept', async () => {
  const path = await fresh();
  const args = { name: 'Foo.Example', key: `foo.example ${A}`, path };
  const r1 = await run(known_hosts, args, { diff: true });
  assert.deepEqual([r1.r.changed, r1.r.failed, r1.trips], [true, undefined, 2]);
  assert.equal(await cat(path), `foo.example ${A}\n`);
  assert.deepEqual(r1.r.diff, [{ path, before: '', after: `foo.example ${A}\n`, beforeHeader: '/dev/null', afterHeader: path }]);
  assert.deepEqual([r1.r.name, r1.r.path, r1.r.state, r1.r.hash_host, r1.r.size], ['Foo.Example', path, 'file', false, A.length + 13]);

  const r2 = await run(known_hosts, args, { diff: true });
  assert.deepEqual([r2.r.changed, r2.trips, r2.r.diff], [false, 1, undefined]);

  await h.t.exec(`chmod 0600 '${path}'`);
  const r3 = await run(known_hosts, { ...args, key: `foo.example ${C}` });
  assert.equal(r3.r.changed, true);
  const r4 = await run(known_hosts, { ...args, key: `foo.example ${B}` }, { diff: true });
  assert.equal(r4.r.changed, true);
  // the old key of the same type goes, the new one is appended; the ecdsa key stays
  assert.equal(await cat(path), `foo.example ${C}\nfoo.example ${B}\n`);
  assert.equal(r4.r.diff?.[0].before, `foo.example ${A}\nfoo.example ${C}\n`);
  assert.equal((await sh(`stat -c %a '${path}'`)).trim(), '600');
  assert.equal((await run(known_hosts, { ...args, key: `foo.example ${C}` })).r.changed, false);
});

test('check mode reports the change and leaves the file alone', async () => {
  const path = await fresh();
  const chk = await run(known_hosts, { name: 'foo.example', key: `foo.example ${A}`, path }, { check: true, diff: true });
  assert.deepEqual([chk.r.changed, chk.trips, chk.r.diff?.[0].after], [true, 1, `foo.example ${A}\n`]);
  assert.equal(await cat(path), 'MISSING\n');
  await h.t.exec(`printf '%s\\n' 'foo.example ${A}' > '${path}'`);
  assert.equal((await run(known_hosts, { name: 'foo.example', key: `foo.example ${B}`, path }, { check: true })).r.changed, true);
  assert.equal((await run(known_hosts, { name: 'foo.example', path, state: 'absent' }, { check: true })).r.changed, true);
  assert.equal(await cat(path), `foo.example ${A}\n`);
});

test('hash_host: a hashed line ssh-keygen -F finds, kept on the rerun, made plain again without hash_host', async () => {
  const path = await fresh();
  const args = { name: 'bar.example', key: `bar.example ${A}`, path, hash_host: true };
  assert.equal((await run(known_hosts, args)).r.changed, true);
  const line = (await cat(path)).trim();
  assert.match(line, /^\|1\|[A-Za-z0-9+/=]{28}\|[A-Za-z0-9+/=]{28} ssh-ed25519 /);
  assert.equal(line.split(' ').slice(1).join(' '), A);
  assert.match(await sh(`ssh-keygen -F bar.example -f '${path}'`), /found: line 1/);
  const again = await run(known_hosts, args);
  assert.deepEqual([again.r.changed, again.trips], [false, 1]);
  assert.equal((await cat(path)).trim(), line);
  // a hashed entry for a plain key (and the reverse) is replaced
  assert.equal((await run(known_hosts, { ...args, hash_host: false })).r.changed, true);
  assert.equal(await cat(path), `bar.example ${A}\n`);
});

test('[host]:port is its own entry; absent removes the host lines (with a key: that line only)', async () => {
  const path = await fresh();
  await run(known_hosts, { name: 'foo.example', key: `foo.example ${A}`, path });
  const port = { name: '[foo.example]:2222', key: `[foo.example]:2222 ${A}`, path };
  assert.equal((await run(known_hosts, port)).r.changed, true);
  assert.equal((await run(known_hosts, port)).r.changed, false);
  // lines of other hosts, a multi-name line, a pattern and a CA line around them
  await h.t.exec(`printf '%s\\n' '# keep me' 'other ${B}' 'foo.example,10.9.9.9 ${C}' '@cert-authority foo.example ${C}' >> '${path}'`);
  assert.equal(await cat(path), `foo.example ${A}\n[foo.example]:2222 ${A}\n# keep me\nother ${B}\nfoo.example,10.9.9.9 ${C}\n@cert-authority foo.example ${C}\n`);

  // with a key: the host's line of that key's type (as Ansible, also when its key differs); a
  // key of no type the host has changes nothing
  const gone = await run(known_hosts, { ...port, state: 'absent', key: `[foo.example]:2222 ${B}` });
  assert.equal(gone.r.changed, true);
  assert.doesNotMatch(await cat(path), /2222/);
  const none = await run(known_hosts, { name: 'other', key: `other ${C}`, path, state: 'absent' });
  assert.deepEqual([none.r.changed, none.trips], [false, 1]);

  // without a key: every line ssh-keygen -R removes (not the CA line)
  const all = await run(known_hosts, { name: 'foo.example', path, state: 'absent' }, { diff: true });
  assert.deepEqual([all.r.changed, all.trips, all.r.key], [true, 2, null]);
  assert.equal(await cat(path), `# keep me\nother ${B}\n@cert-authority foo.example ${C}\n`);
  const again = await run(known_hosts, { name: 'foo.example', path, state: 'absent' });
  assert.deepEqual([again.r.changed, again.trips], [false, 1]);
  const missing = await run(known_hosts, { name: 'foo.example', path: `${h.dir}/nowhere/known_hosts`, state: 'absent' });
  assert.deepEqual([missing.r.changed, missing.r.failed, missing.trips, missing.r.state], [false, undefined, 1, 'absent']);
});

test('rejected: a key for another host, no key to add, a list of names, bad arguments', async () => {
  const path = await fresh();
  const other = await run(known_hosts, { name: 'foo.example', key: `bar.example ${A}`, path });
  assert.deepEqual([other.r.failed, other.r.msg], [true, 'Host parameter does not match hashed host field in supplied key']);
  const port = await run(known_hosts, { name: 'foo.example', key: `[foo.example]:2222 ${A}`, path });
  assert.equal(port.r.failed, true);
  assert.equal(await cat(path), 'MISSING\n');
  assert.equal((await run(known_hosts, { name: 'foo.example', path })).r.msg, 'No key specified when adding a host');
  assert.match(String((await run(known_hosts, { name: 'a,b', key: `a,b ${A}`, path })).r.msg), /^Comma separated list of names is not supported/);
  const nodir = await run(known_hosts, { name: 'foo.example', key: `foo.example ${A}`, path: `${h.dir}/nowhere/known_hosts` });
  assert.equal(nodir.r.failed, true);
  assert.match(String(nodir.r.msg), /^Failed to write to file .*nowhere\/known_hosts: \[Errno 2\] No such file or directory/);

  const parse = (a: unknown) => parseArgs('known_hosts', known_hosts.schema, a);
  assert.throws(() => parse({ key: `foo ${A}` }), /argument name/);
  assert.throws(() => parse({ name: 'foo', state: 'gone' }), /argument state: expected one of absent, present/);
  assert.throws(() => parse({ name: 'foo', host: 'foo' }), /host is an alias of name/);
  assert.throws(() => parse({ name: 'foo', keys: 'x' }), /unsupported argument keys/);
  assert.deepEqual(parse({ host: 'foo', hash_host: 'yes' }), { name: 'foo', path: '~/.ssh/known_hosts', hash_host: true, state: 'present' });
});

/** Run a module with HOME set to a directory in the scratch dir (the default path's ~). */
async function runHome(mod: ModuleDef, args: unknown, home: string, check = false) {
  const ctx = createContext({
    host: h.t.host, transport: h.t, vars: {}, check, diff: false, signal: new AbortController().signal,
    wrapping: { environment: { HOME: home } }, facts: async () => ({}), findLocal: (_k, s) => s,
    render: (t) => t, evaluate: () => undefined, log: () => {},
  });
  return mod.run(ctx, parseArgs(mod.name, mod.schema, args));
}

test('the default path: ~/.ssh made 0700 in the remote user\'s HOME, not in check mode', async () => {
  const home = `${h.dir}/home`;
  await h.t.exec(`mkdir '${home}'`);
  const args = { name: 'foo.example', key: `foo.example ${A}` };
  assert.equal((await runHome(known_hosts, args, home, true)).changed, true);
  assert.equal(await cat(`${home}/.ssh/known_hosts`), 'MISSING\n');
  const r = await runHome(known_hosts, args, home);
  assert.deepEqual([r.changed, r.path], [true, `${home}/.ssh/known_hosts`]);
  assert.equal((await sh(`stat -c %a '${home}/.ssh'`)).trim(), '700');
  assert.equal(await cat(`${home}/.ssh/known_hosts`), `foo.example ${A}\n`);
  assert.equal((await runHome(known_hosts, args, home)).changed, false);
});

const ref = ansibleModule('known_hosts')?.def;

test('the same tasks as Ansible\'s own known_hosts module: changed flags, messages and files', { skip: ref ? false : 'Ansible\'s known_hosts module is not installed (the Debian ansible package)' }, async () => {
  const ours = await fresh();
  const theirs = await fresh();
  // [arguments, also run in check mode first, lines added to both files before]: each is a
  // branch of Ansible's enforce_state
  const steps: [Record<string, unknown>, boolean, string[]?][] = [
    [{ name: 'foo.example', key: `foo.example ${A}` }, true],
    [{ name: 'foo.example', key: `foo.example ${A}` }, false],
    [{ name: 'FOO.example', key: `foo.example ${C}` }, false],
    [{ name: 'foo.example', key: `foo.example ${B}` }, true],
    [{ name: 'bar.example', key: `bar.example ${A}`, hash_host: true }, false],
    [{ name: 'bar.example', key: `bar.example ${A}`, hash_host: true }, false],
    [{ name: 'bar.example', key: `bar.example ${B}` }, false],
    [{ name: '[foo.example]:2222', key: `[foo.example]:2222 ${A}` }, false],
    [{ name: 'foo.example', key: `bar.example ${A}` }, false],
    [{ name: 'foo.example', key: `foo.example ${A}`, state: 'absent' }, false],
    [{ name: 'foo.example', key: `foo.example ${B}`, state: 'absent' }, false],
    [{ name: 'foo.example', state: 'absent' }, true, ['# keep', `foo.example,10.9.9.9 ${A}`, `@cert-authority foo.example ${C}`, `*.example ${B}`, `other ${A}`]],
    [{ name: 'bar.example', state: 'absent' }, false],
  ];
  // hashed host fields differ by their salt: compared by what ssh-keygen -F finds, then masked
  const mask = (s: string) => s.replace(/\|1\|[^ \n]+/g, '|1|HASHED');
  const lookups = ['foo.example', 'bar.example', '[foo.example]:2222'].map((x) => `ssh-keygen -F '${x}' -f "$p" 2>&1; echo "rc=$?"`).join('; ');
  // the file, its mode and the lookups (Ansible's ssh-keygen -R also leaves a known_hosts.old: not compared)
  const inspect = async (p: string) => mask(await sh(`p='${p}'; cat "$p" 2>/dev/null || echo MISSING; stat -c %a "$p" 2>/dev/null; ${lookups}`));
  const step = async (mod: ModuleDef, args: Record<string, unknown>, check: boolean) => ({
    c: check ? (await run(mod, args, { check: true, diff: true })).r : undefined,
    r: (await run(mod, args, { diff: true })).r,
  });
  for (const [i, [args, check, seed]] of steps.entries()) {
    const what = `step ${i}: ${JSON.stringify(args)}`;
    if (seed) await h.t.exec(`for p in '${ours}' '${theirs}'; do printf '%s\\n' ${seed.map((l) => `'${l}'`).join(' ')} >> "$p"; done`);
    const [o, t] = await Promise.all([step(known_hosts, { ...args, path: ours }, check), step(ref!, { ...args, path: theirs }, check)]);
    if (check) assert.deepEqual([o.c?.changed, o.c?.failed], [t.c?.changed, t.c?.failed], `${what} (check mode)`);
    assert.deepEqual([o.r.changed, o.r.failed, o.r.msg], [t.r.changed, t.r.failed, t.r.msg], what);
    if (!o.r.failed) {
      const keys = ['name', 'key', 'hash_host', 'state', 'uid', 'gid', 'owner', 'group', 'mode', 'size'];
      assert.deepEqual(keys.map((k) => o.r[k]), keys.map((k) => t.r[k]), what);
      assert.equal(o.r.path, ours);
    }
    // the diff where it changed (Ansible's shows no change when it removes a host without a key)
    if (o.r.changed && args.key) {
      const d = (r: typeof o.r, p: string) => r.diff?.map((x) => mask(JSON.stringify([x.before, x.after, x.beforeHeader, x.afterHeader]).replaceAll(p, 'PATH')));
      assert.deepEqual(d(o.r, ours), d(t.r, theirs), what);
    }
    assert.equal(await inspect(ours), (await inspect(theirs)).replaceAll(theirs, ours), what);
  }
});
