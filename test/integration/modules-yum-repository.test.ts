import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import { dumpIni, parseIni, writeIni, yum_repository } from '../../src/modules/yum_repository.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { sshHost } from '../helpers/remote.js';

const h = sshHost();
const ref = ansibleModule('yum_repository')?.def;
const NO_ANSIBLE = 'Ansible (Debian package ansible) is not installed here: no comparison with its module';

/** A fresh repos dir for harun (a) and one for Ansible's own module (b). */
async function dirs(tag: string) {
  const a = `${h.dir}/${tag}-harun`;
  const b = `${h.dir}/${tag}-ansible`;
  await h.t.exec(`mkdir -p '${a}' '${b}'`);
  return { a, b };
}

/** The file's bytes, or null when there is none; its mode as the third line of stat. */
async function file(path: string): Promise<string | null> {
  const r = await h.t.exec(`cat '${path}'`);
  return r.code === 0 ? r.stdout : null;
}
const modeOf = async (path: string) => (await h.t.exec(`stat -c %a '${path}'`)).stdout.trim();

/** What users read of the result, with Ansible's dir named as harun's. */
function view(r: ModuleResult, from: string, to: string) {
  const fix = (s: unknown) => (typeof s === 'string' ? s.split(from).join(to) : s);
  return {
    changed: r.changed,
    failed: r.failed ?? false,
    msg: fix(r.msg),
    repo: r.repo,
    state: r.state,
    diff: (r.diff ?? []).map((d) => ({ path: fix(d.path), before: d.before, after: d.after, beforeHeader: fix(d.beforeHeader), afterHeader: fix(d.afterHeader) })),
  };
}

/**
 * Run each task natively in dir a and through Ansible's module in dir b: the same results and the
 * same file bytes after every step; native round trips 1 when unchanged, 2 when changed.
 */
async function sameAsAnsible(tag: string, fileName: string, tasks: Record<string, unknown>[], opts: { check?: boolean; diff?: boolean } = {}, setup?: string) {
  const { a, b } = await dirs(tag);
  if (setup !== undefined) for (const d of [a, b]) await h.t.exec(`printf '%s' '${setup.replace(/'/g, `'\\''`)}' > '${d}/${fileName}'`);
  const steps: { changed: boolean; trips: number; file: string | null }[] = [];
  for (const [i, t] of tasks.entries()) {
    const mine = await h.run(yum_repository, { ...t, reposdir: a }, opts);
    const theirs = await h.run(ref!, { ...t, reposdir: b }, opts);
    assert.deepEqual(view(mine.r, a, a), view(theirs.r, b, a), `step ${i} result: ${JSON.stringify(t)}`);
    const [fa, fb] = [await file(`${a}/${fileName}`), await file(`${b}/${fileName}`)];
    assert.equal(fa, fb, `step ${i} file bytes`);
    if (fa !== null) assert.equal(await modeOf(`${a}/${fileName}`), await modeOf(`${b}/${fileName}`), `step ${i} file mode`);
    if (!opts.check) assert.equal(mine.trips, mine.r.changed ? 2 : 1, `step ${i} round trips`);
    steps.push({ changed: mine.r.changed, trips: mine.trips, file: fa });
  }
  return { steps, dir: a };
}

const epel = {
  name: 'epel',
  description: 'EPEL YUM repo',
  baseurl: ['https://mirror.example/epel/$releasever/$basearch/', 'https://backup.example/epel/'],
  gpgcheck: true,
  gpgkey: 'https://mirror.example/RPM-GPG-KEY-EPEL',
  enabled: 'no',
  exclude: ['kernel*', 'foo'],
  mode: '0640',
};

test('present, rerun, change, second repo, absent one then the other: the same files as Ansible', { skip: !ref && NO_ANSIBLE }, async () => {
  const { steps } = await sameAsAnsible('seq', 'epel.repo', [
    epel,
    epel,
    { ...epel, enabled: true, includepkgs: 'a, b' },
    {
      name: 'epel-debug', file: 'epel', description: 'EPEL debug\nsecond line', mirrorlist: 'https://mirrors.example/?repo=debug',
      async: false, cost: 1000, ip_resolve: 4, keepcache: '1', sslverify: 'yes', password: 'sekrit-pw', priority: '',
    },
    { ...epel, enabled: false },
    { name: 'epel', state: 'absent' },
    { name: 'epel', state: 'absent', mode: '0600' },
    { name: 'epel-debug', file: 'epel', state: 'absent' },
    { name: 'epel-debug', file: 'epel', state: 'absent' },
  ], { diff: true });
  assert.deepEqual(steps.map((s) => s.changed), [true, false, true, true, true, true, true, true, false]);
  // the file's bytes, as configparser writes them
  assert.equal(steps[0].file,
    '[epel]\nbaseurl = https://mirror.example/epel/$releasever/$basearch/\n\thttps://backup.example/epel/\nenabled = 0\n' +
    'exclude = kernel* foo\ngpgcheck = 1\ngpgkey = https://mirror.example/RPM-GPG-KEY-EPEL\nname = EPEL YUM repo\n\n');
  // the changed section moved behind the other one; the password is in the file, not in the diff
  assert.match(steps[4].file!, /^\[epel-debug\]\n[^[]*password = sekrit-pw\n[^[]*\n\[epel\]\n/);
  assert.equal(steps[7].file, null);
});

test('a hand-written file: left alone when it says the same, rewritten as configparser writes it on a change', { skip: !ref && NO_ANSIBLE }, async () => {
  const hand = '# local repos\n[DEFAULT]\nKeepcache: 0\n\n[zeta]\nName=Zeta\nbaseurl=http://z/\n   http://z2/\n\n  ;note\n  http://z3/   \n\nenabled = 1\n\n; epel\n[epel]\nname = EPEL\r\nbaseurl = http://e/\r\n';
  const { steps } = await sameAsAnsible('hand', 'local.repo', [
    { name: 'epel', file: 'local', description: 'EPEL', baseurl: 'http://e/' },
    { name: 'zeta', file: 'local', description: 'Zeta', baseurl: ['http://z/', 'http://z2/', '', 'http://z3/'], enabled: true },
    { name: 'epel', file: 'local', description: 'EPEL', baseurl: 'http://e2/' },
    { name: 'epel', file: 'local', state: 'absent' },
  ], { diff: true }, hand);
  assert.deepEqual(steps.map((s) => s.changed), [false, false, true, true]);
  assert.equal(steps[1].file, hand);
  assert.equal(steps[2].file, '[DEFAULT]\nkeepcache = 0\n\n[zeta]\nname = Zeta\nbaseurl = http://z/\n\thttp://z2/\n\t\n\thttp://z3/\nenabled = 1\n\n[epel]\nbaseurl = http://e2/\nname = EPEL\n\n');
  assert.equal(steps[3].file, '[DEFAULT]\nkeepcache = 0\n\n[zeta]\nname = Zeta\nbaseurl = http://z/\n\thttp://z2/\n\t\n\thttp://z3/\nenabled = 1\n\n');
});

test('check mode changes nothing and reports what would change, as Ansible does', { skip: !ref && NO_ANSIBLE }, async () => {
  const { steps, dir } = await sameAsAnsible('check', 'epel.repo', [epel], { check: true, diff: true });
  assert.deepEqual(steps.map((s) => [s.changed, s.trips, s.file]), [[true, 1, null]]);
  // with an existing file: absent would delete it, the file stays
  await h.run(yum_repository, { ...epel, reposdir: dir });
  const before = await file(`${dir}/epel.repo`);
  const r = await h.run(yum_repository, { name: 'epel', state: 'absent', reposdir: dir }, { check: true });
  assert.deepEqual([r.r.changed, r.trips, await file(`${dir}/epel.repo`)], [true, 1, before]);
  assert.equal((r.r.diff as { after: string }[])[0].after, '');
  const m = await h.run(yum_repository, { ...epel, mode: '0600', reposdir: dir }, { check: true });
  assert.deepEqual([m.r.changed, await modeOf(`${dir}/epel.repo`)], [true, '640']);
});

test('diff: the sorted dump of the sections before and after, headed by the file', async () => {
  const dir = `${h.dir}/diff`;
  await h.t.exec(`mkdir -p '${dir}'`);
  await h.run(yum_repository, { name: 'b', file: 'x', description: 'B', baseurl: 'http://b/', reposdir: dir });
  const r = await h.run(yum_repository, { name: 'a', file: 'x', description: 'A', metalink: 'http://m/', enabled: 1, reposdir: dir }, { diff: true });
  assert.deepEqual(r.r.diff, [{
    path: `${dir}/x.repo`, beforeHeader: `${dir}/x.repo`, afterHeader: `${dir}/x.repo`,
    before: '[b]\nbaseurl = http://b/\nname = B\n\n',
    after: '[a]\nenabled = 1\nmetalink = http://m/\nname = A\n\n[b]\nbaseurl = http://b/\nname = B\n\n',
  }]);
  // the file keeps configparser's order: the new section last
  assert.equal(await file(`${dir}/x.repo`), '[b]\nbaseurl = http://b/\nname = B\n\n[a]\nenabled = 1\nmetalink = http://m/\nname = A\n\n');
  assert.deepEqual([r.r.repo, r.r.state], ['a', 'present']);
  // no_log options: in the file, masked in the diff as AnsibleModule masks them
  const pw = await h.run(yum_repository, { name: 'a', file: 'x', description: 'A', metalink: 'http://m/', password: 'pw-1234', reposdir: dir }, { diff: true });
  assert.match((pw.r.diff as { after: string }[])[0].after, /^password = \*{8}$/m);
  assert.match((await file(`${dir}/x.repo`))!, /^password = pw-1234$/m);
});

test('bad arguments are rejected with Ansible\'s messages; a missing reposdir fails as in Ansible', async () => {
  const p = (args: Record<string, unknown>) => () => parseArgs('yum_repository', yum_repository.schema, args);
  assert.throws(p({ name: 'x', baseurl: 'http://x/' }), /Parameter 'description' is required\./);
  assert.throws(p({ name: 'x', description: 'X' }), /Parameter 'baseurl', 'metalink' or 'mirrorlist' is required\./);
  assert.throws(p({ name: 'x', description: 'X', baseurl: 'u', params: { a: 1 } }), /params option to yum_repository was removed in Ansible 2\.5/);
  assert.throws(p({ name: 'x', description: 'X', baseurl: 'u', ip_resolve: 'ipv9' }), /argument ip_resolve: expected one of 4, 6, IPv4, IPv6, whatever/);
  assert.throws(p({ name: 'x', description: 'X', baseurl: 'u', state: 'gone' }), /argument state/);
  assert.throws(p({ name: 'x', description: 'X', baseurl: 'u', sslverify: true, validate_certs: true }), /validate_certs is an alias of sslverify/);
  assert.throws(p({ name: 'x', description: 'X', baseurl: 'u', gpgcheck: 'maybe' }), /argument gpgcheck: expected a boolean/);
  assert.throws(p({ name: 'x', description: 'X', baseurl: 'u', bogus: 1 }), /unsupported argument bogus/);
  assert.throws(p({ description: 'X', baseurl: 'u' }), /argument name/);
  // absent needs neither
  assert.equal(p({ name: 'x', state: 'absent' })().state, 'absent');
  const missing = await h.run(yum_repository, { name: 'x', state: 'absent', reposdir: `${h.dir}/nope` });
  assert.deepEqual([missing.r.failed, missing.r.msg], [true, `Repo directory '${h.dir}/nope' does not exist.`]);
  if (ref) assert.equal((await h.run(ref, { name: 'x', state: 'absent', reposdir: `${h.dir}/nope` })).r.msg, missing.r.msg);
});

/** Python's own configparser (the one Ansible's module uses) on the same texts: write() and the module's dump(). */
const PY = `
import configparser, io, json, sys
out = []
for text in json.load(sys.stdin):
    p = configparser.RawConfigParser()
    try:
        p.read_file(io.StringIO(text, newline=None), 'f')
    except configparser.Error as e:
        out.append({'error': type(e).__name__}); continue
    w = io.StringIO(); p.write(w)
    d = ''.join('[%s]\\n' % s + ''.join('%s = %s\\n' % kv for kv in sorted(p.items(s))) + '\\n' for s in sorted(p.sections()))
    out.append({'write': w.getvalue(), 'dump': d})
print(json.dumps(out))
`;

test('the INI parser and writer agree with Python\'s configparser', { skip: !existsSync('/usr/bin/python3') && 'no /usr/bin/python3' }, () => {
  const texts = [
    '', '\n\n', '# only a comment\n', '[a]\n', '[a]\nk=v\n[b]\nk:v', '[b]\nK = V \n\tmore\n\n\n  last\n\n[a]\nx = 1\n',
    '[a]\nk = 1\n  # not a comment: a continuation\n', '[a]\nk = \n', '[a]\nk ==v\n', '[a]\nk : a=b\n', '[a] trailing\nk=v\n',
    '[a]b]\nk=v\n', '[DEFAULT]\nd = 1\n[a]\nk=v\n[DEFAULT]\ne = 2\n', '[a]\n\u00a0k = v\u00a0\n', '\ufeff[a]\nk=v\n',
    'k=v\n', '[a]\n[a]\n', '[a]\nk=1\nK=2\n', '[a]\nnovalue\n', '[a]\n=v\n', '[a]\r\nk=1\r\n  2\rj=3',
    '[a]\nk = x\n\n  ; c\n  y\n', '  [a]\n  k = 1\n  j = 2\n', '[a]\nk = 1\n    j = 2\n',
  ];
  const py = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(texts) }).toString()) as Record<string, string>[];
  texts.forEach((text, i) => {
    let mine: Record<string, string>;
    try {
      const ini = parseIni(text, 'f');
      mine = { write: writeIni(ini), dump: dumpIni(ini) };
    } catch {
      mine = { error: 'yes' };
    }
    if ('error' in py[i]) assert.equal('error' in mine, true, `${JSON.stringify(text)}: Python fails (${py[i].error})`);
    else assert.deepEqual(mine, py[i], JSON.stringify(text));
  });
});
