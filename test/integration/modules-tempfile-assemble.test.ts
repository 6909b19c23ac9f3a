import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assemble, assembleFragments, escapeDecode } from '../../src/modules/assemble.js';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import { tempfile } from '../../src/modules/tempfile.js';
import { sshHost } from '../helpers/remote.js';

const h = sshHost();
const { run } = h;
const refTemp = ansibleModule('tempfile')?.def;
const refAssemble = ansibleModule('assemble')?.def;
const NO_ANSIBLE = "Debian's ansible is not installed: no comparison with Ansible's module";

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const sh = async (cmd: string) => (await h.t.exec(cmd as never)).stdout;
/** A file on the host, its directory made first. */
const put = async (path: string, data: string) => {
  const r = await h.t.exec(`mkdir -p "$(dirname ${q(path)})" && cat > ${q(path)}` as never, { stdin: data });
  assert.equal(r.code, 0, r.stderr);
};
const cat = (p: string) => sh(`cat ${q(p)} 2>/dev/null || echo MISSING`);
let n = 0;
const fresh = () => `${h.dir}/t${n++}`;

/** A fragment directory on the host with the cases assemble has to get right. */
async function fragments(dir: string) {
  await put(`${dir}/01-a.conf`, 'a=1\n');
  await put(`${dir}/02-b.conf`, 'b=2'); // no final newline: one is added before the next fragment
  await put(`${dir}/10-é.conf`, 'é=3\r\n');
  await put(`${dir}/05-empty.conf`, '');
  await put(`${dir}/.hidden.conf`, 'hidden\n');
  await put(`${dir}/B-upper.bak`, 'upper\n');
  await sh(`mkdir ${q(`${dir}/sub.conf`)}; ln -s 01-a.conf ${q(`${dir}/20-link.conf`)}; ln -s nowhere ${q(`${dir}/21-dangling.conf`)}`);
}

// ---------------------------------------------------------------- tempfile

test('tempfile: a file and a directory in one round trip each, always changed, as Ansible reports them', async () => {
  const dir = fresh();
  await sh(`mkdir -p ${q(`${dir}/x`)}`);
  const f = await run(tempfile, { path: dir, prefix: 'app.', suffix: '.tmp' });
  assert.equal(f.trips, 1);
  assert.equal(f.r.changed, true);
  assert.match(String(f.r.path), new RegExp(`^${dir}/app\\.[A-Za-z0-9]{8}\\.tmp$`));
  assert.deepEqual([f.r.state, f.r.mode, f.r.size, f.r.owner], ['file', '0600', 0, h.fleet.user]);
  assert.equal((await sh(`stat -c '%F %a' ${q(String(f.r.path))}`)).trim(), 'regular empty file 600');
  const d = await run(tempfile, { path: dir, state: 'directory' });
  assert.equal(d.trips, 1);
  assert.match(String(d.r.path), new RegExp(`^${dir}/ansible\\.[A-Za-z0-9]{8}$`));
  assert.deepEqual([d.r.changed, d.r.state, d.r.mode], [true, 'directory', '0700']);
  assert.equal((await sh(`stat -c '%F %a' ${q(String(d.r.path))}`)).trim(), 'directory 700');
  // Python makes mkstemp's path absolute and normal, and leaves mkdtemp's as joined
  const f2 = await run(tempfile, { path: `${dir}/x/../` });
  assert.match(String(f2.r.path), new RegExp(`^${dir}/ansible\\.[A-Za-z0-9]{8}$`));
  const d2 = await run(tempfile, { path: `${dir}/x/../`, state: 'directory' });
  assert.match(String(d2.r.path), new RegExp(`^${dir}/x/\\.\\./ansible\\.[A-Za-z0-9]{8}$`));
  // ~ and $VARS expand on the host (Ansible's path type)
  const home = (await sh('printf %s "$HOME"')).trim();
  const t = await run(tempfile, { path: '~', prefix: 'harun-test-tempfile.' });
  try {
    assert.equal(String(t.r.path).startsWith(`${home}/harun-test-tempfile.`), true, String(t.r.path));
  } finally {
    await sh(`rm -f ${q(String(t.r.path))}`);
  }
  const missing = await run(tempfile, { path: `${dir}/nope` });
  assert.deepEqual([missing.r.failed, missing.trips], [true, 1]);
  assert.match(String(missing.r.msg), /No such file or directory/);
});

test('tempfile: no check mode, as in Ansible (skipped, nothing made, no round trip)', async () => {
  assert.equal(tempfile.checkMode, false);
  const dir = fresh();
  await sh(`mkdir -p ${q(dir)}`);
  const c = await run(tempfile, { path: dir }, { check: true });
  assert.deepEqual([c.r.changed, c.r.skipped, c.trips], [false, true, 0]);
  assert.equal(await sh(`ls -A ${q(dir)}`), '');
});

test('tempfile: bad arguments fail when the task loads', () => {
  assert.throws(() => parseArgs('tempfile', tempfile.schema, { state: 'link' }), /argument state: expected one of directory, file/);
  assert.throws(() => parseArgs('tempfile', tempfile.schema, { dest: '/tmp' }), /unsupported argument dest/);
  assert.deepEqual(parseArgs('tempfile', tempfile.schema, {}), { state: 'file', prefix: 'ansible.', suffix: '' });
});

test('tempfile: the same results as Ansible\'s own module', { skip: refTemp ? false : NO_ANSIBLE }, async () => {
  const dir = fresh();
  await sh(`mkdir -p ${q(`${dir}/x`)}`);
  const shape = (p: unknown) => String(p).replace(/[A-Za-z0-9_]{8}(?=(\.s)?$)/, 'RANDOM');
  const made: string[] = [];
  try {
    for (const args of [{ path: `${dir}/x/..` }, { path: `${dir}/x/../`, state: 'directory', prefix: 'p-', suffix: '.s' }, { state: 'directory' }]) {
      const [o, t] = [(await run(tempfile, args)).r, (await run(refTemp!, args)).r];
      made.push(String(o.path), String(t.path));
      const keys = ['changed', 'failed', 'state', 'mode', 'owner', 'group', 'uid', 'gid', 'size'] as const;
      assert.deepEqual(Object.fromEntries(keys.map((k) => [k, o[k]])), Object.fromEntries(keys.map((k) => [k, t[k]])), JSON.stringify(args));
      assert.equal(shape(o.path), shape(t.path), JSON.stringify(args));
    }
  } finally {
    // the default directory is outside the scratch dir: remove what the last case made there
    await sh(`rm -rf ${made.map(q).join(' ')}`);
  }
});

// ---------------------------------------------------------------- assemble

test('assemble: the delimiter rules of ansible-core 2.14 (newlines, escapes, the two code paths)', () => {
  const f = ['a\n', 'b', '', 'c\n'].map((s) => Buffer.from(s));
  assert.equal(assembleFragments(f, undefined, false).toString(), 'a\nb\n\nc\n');
  assert.equal(assembleFragments(f, '--', false).toString(), 'a\n--\nb\n--\n\n--\nc\n');
  // the module adds a newline after the delimiter only when it lacks one; the action plugin always does
  assert.equal(assembleFragments(f.slice(0, 2), '--\\n', false).toString(), 'a\n--\nb');
  assert.equal(assembleFragments(f.slice(0, 2), '--\\n', true).toString(), 'a\n--\n\nb');
  // decoded again before each use: \\\\n is a backslash-n first, a newline from the third fragment on
  assert.equal(assembleFragments(['1\n', '2\n', '3\n'].map((s) => Buffer.from(s)), '#\\\\n', false).toString(), '1\n#\\n\n2\n#\n3\n');
  assert.deepEqual(escapeDecode(Buffer.from('\\x41\\101\\0\\q\\t\\\né')), Buffer.from('AA\0\\q\té'));
  assert.throws(() => escapeDecode(Buffer.from('\\x4')), /invalid \\x escape at position 0/);
  assert.equal(assembleFragments([], '--', false).length, 0);
});

test('assemble: converge in two round trips, unchanged in one, check mode and diff', async () => {
  const dir = fresh();
  await fragments(`${dir}/frag`);
  const dest = `${dir}/app.conf`;
  const args = { src: `${dir}/frag`, dest, delimiter: '# --' };
  // sorted by name as Python sorts ('.' < digits < capitals); the directory and the dangling link are no fragments
  const want = 'hidden\n# --\na=1\n# --\nb=2\n# --\n\n# --\né=3\r\n# --\na=1\n# --\nupper\n';

  assert.equal(assemble.checkMode, false, 'Ansible skips assemble under --check');
  const chk = await run(assemble, args, { check: true, diff: true });
  assert.deepEqual([chk.r.changed, chk.trips], [true, 1]);
  assert.equal(chk.r.diff?.[0].after, want);
  assert.equal(await cat(dest), 'MISSING\n');

  const r1 = await run(assemble, args);
  assert.deepEqual([r1.r.changed, r1.trips, r1.r.msg, r1.r.src, r1.r.dest], [true, 2, 'OK', `${dir}/frag`, dest]);
  assert.equal(await cat(dest), want);
  assert.equal(r1.r.size, Buffer.byteLength(want));
  assert.equal(r1.r.checksum, execFileSync('sha1sum', { input: want }).toString().split(' ')[0]);
  assert.equal(r1.r.md5sum, execFileSync('md5sum', { input: want }).toString().split(' ')[0]);

  const r2 = await run(assemble, args);
  assert.deepEqual([r2.r.changed, r2.trips], [false, 1]);
  const r2d = await run(assemble, args, { diff: true });
  assert.deepEqual([r2d.r.changed, r2d.trips, r2d.r.diff], [false, 1, undefined]);

  // a new fragment: the diff shows it, and the rerun is unchanged again
  await put(`${dir}/frag/03-new.conf`, 'new=1\n');
  const r3 = await run(assemble, { ...args, ignore_hidden: true }, { diff: true });
  assert.deepEqual([r3.r.changed, r3.trips], [true, 2]);
  assert.equal(r3.r.diff?.[0].before, want);
  assert.equal(r3.r.diff?.[0].after, 'a=1\n# --\nb=2\n# --\nnew=1\n# --\n\n# --\né=3\r\n# --\na=1\n# --\nupper\n');
  assert.equal((await run(assemble, { ...args, ignore_hidden: true })).trips, 1);

  // only the mode differs: one write, no content sent; then unchanged
  const m = await run(assemble, { ...args, ignore_hidden: true, mode: '0600' });
  assert.deepEqual([m.r.changed, m.trips, m.r.mode], [true, 2, '0600']);
  assert.equal((await sh(`stat -c %a ${q(dest)}`)).trim(), '600');
  assert.deepEqual([(await run(assemble, { ...args, ignore_hidden: true, mode: '0600' })).r.changed], [false]);
});

test('assemble: regexp, hidden files, backup and validate', async () => {
  const dir = fresh();
  await fragments(`${dir}/frag`);
  const dest = `${dir}/out`;
  const base = { src: `${dir}/frag`, dest };
  const r = await run(assemble, { ...base, regexp: '^\\d+-(?P<n>[a-z]+)\\.conf$' });
  assert.equal(r.r.changed, true);
  assert.equal(await cat(dest), 'a=1\nb=2\n\na=1\n');
  // Python's re.search: unanchored, and the hidden file is a fragment unless ignore_hidden
  await run(assemble, { ...base, regexp: 'den|upper' });
  assert.equal(await cat(dest), 'hidden\nupper\n');
  await run(assemble, { ...base, regexp: 'den|upper', ignore_hidden: true });
  assert.equal(await cat(dest), 'upper\n');

  const b = await run(assemble, { ...base, regexp: '^0', backup: true });
  assert.equal(b.r.changed, true);
  assert.match(String(b.r.backup_file), new RegExp(`^${dest}\\.\\d+\\.\\d{4}-\\d\\d-\\d\\d@\\d\\d:\\d\\d:\\d\\d~$`));
  assert.equal(await cat(String(b.r.backup_file)), 'upper\n');
  assert.equal((await run(assemble, { ...base, regexp: '^0', backup: true })).r.backup_file, undefined);

  const bad = await run(assemble, { ...base, validate: 'grep -q nothing-like-this %s' });
  assert.deepEqual([bad.r.changed, bad.r.failed, bad.r.msg], [false, true, 'failed to validate: rc:1 error:']);
  assert.equal(await cat(dest), 'a=1\nb=2\n');
  const good = await run(assemble, { ...base, validate: 'grep -q hidden %s' });
  assert.deepEqual([good.r.changed, good.r.failed], [true, undefined]);
  assert.match(await cat(dest), /^hidden\n/);

  const none = await run(assemble, { src: `${dir}/none`, dest });
  assert.deepEqual([none.r.failed, none.r.msg, none.trips], [true, `Source (${dir}/none) does not exist`, 1]);
  // ~ in src and dest expands on the host (Ansible's path type), in the same exec
  const home = (await sh('printf %s "$HOME"')).trim();
  await sh(`ln -s ${q(`${dir}/frag`)} ~/harun-assemble-test.d`);
  try {
    const t = await run(assemble, { src: '~/harun-assemble-test.d', dest: '~/harun-assemble-test.conf', regexp: '^0' });
    assert.deepEqual([t.r.changed, t.r.src, t.r.dest, t.trips], [true, `${home}/harun-assemble-test.d`, `${home}/harun-assemble-test.conf`, 2]);
    assert.equal(await cat(`${home}/harun-assemble-test.conf`), 'a=1\nb=2\n');
  } finally {
    await sh('rm -f ~/harun-assemble-test.d ~/harun-assemble-test.conf');
  }
});

test('assemble: bad arguments fail when the task loads, with Ansible\'s messages', () => {
  const p = (a: Record<string, unknown>) => parseArgs('assemble', assemble.schema, { src: '/s', dest: '/d', ...a });
  assert.throws(() => p({ validate: 'visudo -c' }), /argument validate: validate must contain %s: visudo -c/);
  assert.throws(() => p({ regexp: '(unclosed' }), /argument regexp: Invalid Regexp \(.*\) in "\(unclosed"/);
  assert.throws(() => p({ regexp: '(?x) a b' }), /argument regexp: .*verbose/);
  assert.throws(() => p({ delimiter: '\\x4' }), /argument delimiter: invalid \\x escape at position 0/);
  assert.throws(() => p({ follow: true }), /unsupported argument follow/);
  assert.throws(() => parseArgs('assemble', assemble.schema, { src: '/s' }), /argument dest/);
  assert.deepEqual(
    [p({}).remote_src, p({}).ignore_hidden, p({}).backup, p({ remote_src: 'no' }).remote_src, p({ attr: '+i' }).attributes],
    [true, false, false, false, '+i'],
  );
});

test('assemble: the same dest bytes, flags and result keys as Ansible\'s own module', { skip: refAssemble ? false : NO_ANSIBLE }, async () => {
  const dir = fresh();
  await fragments(`${dir}/frag`);
  await put(`${dir}/afile`, 'x\n');
  await sh(`mkdir -p ${q(`${dir}/adir`)}`);
  const cases: Record<string, unknown>[] = [
    { delimiter: '### fragment', mode: '0640' },
    { delimiter: '--\\n', ignore_hidden: true },
    { delimiter: '#\\\\n', regexp: '^(?!0).*\\.(conf|bak)$' },
  ];
  const keys = ['changed', 'failed', 'msg', 'checksum', 'md5sum', 'size', 'mode', 'state', 'owner', 'group', 'uid', 'gid', 'src', 'backup_file'] as const;
  const pick = (r: Record<string, unknown>) => Object.fromEntries(keys.map((k) => [k, r[k]]));
  for (const [i, extra] of cases.entries()) {
    const ours = `${dir}/ours${i}`;
    const theirs = `${dir}/theirs${i}`;
    let t1: Record<string, unknown> = {};
    for (const pass of [1, 2]) {
      const what = `${JSON.stringify(extra)} run ${pass}`;
      const o = await run(assemble, { src: `${dir}/frag`, dest: ours, ...extra });
      // Ansible's rerun once (it is slow): the others expect its first result, unchanged
      const t = pass === 1 || i === 0 ? await run(refAssemble!, { src: `${dir}/frag`, dest: theirs, ...extra }) : { r: { ...t1, changed: false, dest: theirs } };
      t1 = t.r;
      assert.deepEqual(pick(o.r), pick(t.r), what);
      assert.deepEqual([o.r.dest, t.r.dest], [ours, theirs], what);
      assert.equal(o.trips, pass === 1 ? 2 : 1, what);
      assert.equal(await cat(ours), await cat(theirs), what);
    }
  }
  // what stops it: the same messages
  const stops: Record<string, unknown>[] = [
    { src: `${dir}/afile`, dest: `${dir}/o` },
    { src: `${dir}/frag`, dest: `${dir}/adir` },
  ];
  for (const args of stops) {
    const [o, t] = [(await run(assemble, args)).r, (await run(refAssemble!, args)).r];
    assert.deepEqual([o.failed, o.changed, o.msg], [t.failed, t.changed, t.msg], JSON.stringify(args));
  }
  // a failing validate: the same message and dest left alone
  const v = { src: `${dir}/frag`, validate: 'sh -c "echo bad >&2; exit 3" %s' };
  const [o, t] = [(await run(assemble, { ...v, dest: `${dir}/vo` })).r, (await run(refAssemble!, { ...v, dest: `${dir}/vt` })).r];
  assert.deepEqual([o.failed, o.msg], [t.failed, t.msg]);
  assert.equal(o.msg, 'failed to validate: rc:3 error:bad\n');
  assert.deepEqual([await cat(`${dir}/vo`), await cat(`${dir}/vt`)], ['MISSING\n', 'MISSING\n']);
});

// remote_src: no, fragments on the controller: Ansible's action plugin assembles them there
const local = mkdtempSync(join(tmpdir(), 'harun-assemble-'));
after(() => rmSync(local, { recursive: true, force: true }));

/** The bytes Ansible's action plugin assembles from a controller directory with each delimiter (its own code, by Debian's python3). */
function actionPluginBytes(src: string, delimiters: (string | null)[]): string[] {
  const py = `
import base64, os, sys, json
from ansible.plugins.action.assemble import ActionModule
class L:
    def get_real_file(self, p, decrypt=True): return p
a = ActionModule.__new__(ActionModule)
a._loader = L()
out = []
for d in json.loads(sys.argv[2]):
    p = a._assemble_from_fragments(sys.argv[1], d)
    out.append(base64.b64encode(open(p, 'rb').read()).decode()); os.remove(p)
print(json.dumps(out))
`;
  const out = execFileSync('/usr/bin/python3', ['-c', py, src, JSON.stringify(delimiters)], { env: { ...process.env, ANSIBLE_LOCAL_TEMP: local } });
  return (JSON.parse(out.toString()) as string[]).map((b) => Buffer.from(b, 'base64').toString());
}

test('assemble remote_src: no: the controller\'s fragments, the action plugin\'s bytes, one round trip', async () => {
  const src = join(local, 'frag');
  mkdirSync(src);
  writeFileSync(join(src, '01'), 'one\n');
  writeFileSync(join(src, '02'), 'two');
  writeFileSync(join(src, '.h'), 'hidden\n');
  mkdirSync(join(src, 'sub'));
  symlinkSync('01', join(src, '03'));
  const dest = `${fresh()}/out.conf`;
  await sh(`mkdir -p "$(dirname ${q(dest)})"`);
  const args = { src, dest, remote_src: false, delimiter: '--\\n' };
  const want = 'hidden\n--\n\none\n--\n\ntwo\n--\n\none\n';
  const chk = await run(assemble, args, { check: true, diff: true });
  assert.deepEqual([chk.r.changed, chk.r.diff?.[0].after, await cat(dest)], [true, want, 'MISSING\n']);
  const r1 = await run(assemble, args);
  assert.deepEqual([r1.r.changed, r1.trips, r1.r.src, r1.r.dest], [true, 1, src, dest]);
  assert.equal(await cat(dest), want);
  assert.equal(r1.r.md5sum, execFileSync('md5sum', { input: want }).toString().split(' ')[0]);
  const r2 = await run(assemble, args);
  assert.deepEqual([r2.r.changed, r2.trips], [false, 1]);
  if (refAssemble) {
    const delimiters = [null, '--\\n', '# x', '#\\\\n'];
    const theirs = actionPluginBytes(src, delimiters);
    for (const [i, d] of delimiters.entries()) {
      const ours = (await run(assemble, { ...args, delimiter: d ?? undefined, dest: `${dest}.${n++}` })).r.dest;
      assert.equal(await cat(String(ours)), theirs[i], String(d));
    }
  }
  // a ~ in dest is the host's home: one exec more to learn it
  try {
    const home = await run(assemble, { ...args, dest: '~/harun-assemble-local.conf' });
    assert.deepEqual([home.r.changed, home.trips, home.r.dest], [true, 2, `${(await sh('printf %s "$HOME"')).trim()}/harun-assemble-local.conf`]);
    assert.equal(await cat(String(home.r.dest)), want);
  } finally {
    await sh('rm -f ~/harun-assemble-local.conf');
  }
  const missing = await run(assemble, { ...args, src: join(local, 'none') });
  assert.deepEqual([missing.r.failed, missing.r.msg, missing.trips], [true, `Could not find or access '${join(local, 'none')}'`, 0]);
  writeFileSync(join(local, 'file'), 'x');
  const notDir = await run(assemble, { ...args, src: join(local, 'file') });
  assert.deepEqual([notDir.r.failed, notDir.r.msg], [true, `Source (${join(local, 'file')}) is not a directory`]);
});
