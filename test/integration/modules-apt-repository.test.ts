import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { apt_key, parseKeyring } from '../../src/modules/apt_key.js';
import { apt_repository, dumpSources, editSources, parseSources, suggestFilename, type SourcesFile } from '../../src/modules/apt_repository.js';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import type { ModuleResult } from '../../src/modules/types.js';
import { sh } from '../../src/shell/sh.js';
import { sshHost } from '../helpers/remote.js';
import { serverHost } from '../helpers/server.js';

/*
 * apt_repository and apt_key change apt's configuration: they run as root on a disposable Debian
 * 12 server (a lab-image container, offline: its own sources are commented out and the one
 * repository used is a file: repository built inside it). Ansible's own modules run only on the
 * loopback fleet and only where they read (check mode, or nothing to change; keyrings in the
 * scratch dir), and Ansible's SourcesList code runs on the controller for the pure cases.
 */
const h = serverHost();
const fleet = sshHost();
const refRepo = ansibleModule('apt_repository')?.def;
const refKey = ansibleModule('apt_key')?.def;
const NO_ANSIBLE = "Debian's ansible is not installed: no comparison with Ansible's module";
const PY = '/usr/bin/python3';

const SOURCES_D = '/etc/apt/sources.list.d';
const REPO = 'deb [trusted=yes] file:/srv/repo ./';
const REPO_FILE = `${SOURCES_D}/file_srv_repo.list`;
/** What the container's sources.list holds during the tests: nothing apt would fetch from the network. */
const SOURCES_LIST = '#deb   http://deb.debian.org/debian bookworm main\n# offline test server\n\n';

const exists = async (p: string) => (await h.sh(`if [ -e ${p} ]; then echo y; else echo n; fi`)).trim() === 'y';
const ls = async () => (await h.sh(`ls -A ${SOURCES_D}`)).split('\n').filter(Boolean);

// ---- a key pair made here with gpg (ed25519 + an encryption subkey + one subkey already expired) ----

const gpgHome = mkdtempSync(join(tmpdir(), 'harun-gpg-'));
const gpg = (...args: string[]) => execFileSync('gpg', ['--batch', '--quiet', '--passphrase', '', ...args], { env: { ...process.env, GNUPGHOME: gpgHome }, stdio: ['ignore', 'pipe', 'pipe'] });
let NO_GPG: string | false = false;
const keys = { fp1: '', fp2: '', arm1: '', arm2: '', bin1: Buffer.alloc(0) };
before(() => {
  try {
    for (const [uid, n] of [['harun one <one@example.invalid>', 1], ['harun two <two@example.invalid>', 2]] as const) {
      gpg('--quick-gen-key', uid, 'ed25519', 'default', 'never');
      const fp = /^fpr:+([0-9A-F]{40}):/m.exec(gpg('--with-colons', '--list-keys', uid).toString())![1];
      if (n === 1) {
        gpg('--quick-add-key', fp, 'cv25519', 'encr', 'never');
        gpg('--quick-add-key', fp, 'ed25519', 'sign', 'seconds=1');
      }
      keys[n === 1 ? 'fp1' : 'fp2'] = fp;
      keys[n === 1 ? 'arm1' : 'arm2'] = gpg('--armor', '--export', fp).toString();
    }
    keys.bin1 = gpg('--export', keys.fp1);
    execFileSync('sleep', ['1.2']); // the second subkey of key 1 has expired now
  } catch (e) {
    NO_GPG = `gpg cannot make a test key here: ${(e as Error).message.split('\n')[0]}`;
  }
});
after(() => {
  try {
    execFileSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: gpgHome }, stdio: 'ignore' });
  } catch { /* no agent started */ }
  rmSync(gpgHome, { recursive: true, force: true });
});

// ---- apt_repository: the pure parts against Ansible's own SourcesList code ----

/** Ansible's SourcesList (its real code, on the controller) on files given as text: dumps after each edit. */
function ansibleSources(input: { files: Record<string, string>; edits: { repo: string; state: string; file: string }[]; names: string[] }) {
  const script = `
import json, os, sys, tempfile
from ansible.modules.apt_repository import SourcesList
inp = json.load(sys.stdin)
class M:
    params = {'filename': None}
    def log(self, *a): pass
def sources(texts):
    # a fresh SourcesList on the files' texts, as one run of the module loads them
    s = SourcesList.__new__(SourcesList)
    s.module = M(); s.files = {}; s.new_repos = set(); s.default_file = '/nonexistent'
    d = tempfile.mkdtemp()
    for i, (path, text) in enumerate(texts.items()):
        p = os.path.join(d, str(i))
        with open(p, 'w', newline='') as f: f.write(text)
        s.load(p)
        s.files[path] = s.files.pop(p)
    return s
texts = inp['files']
out = {'names': [SourcesList._suggest_filename(sources({}), l) for l in inp['names']], 'dumps': []}
for e in inp['edits']:
    s = sources(texts)
    if e['state'] == 'present': s.add_source(e['repo'], file=e['file'])
    else: s.remove_source(e['repo'])
    texts = s.dump()
    out['dumps'].append(texts)
print(json.dumps(out))
`;
  return JSON.parse(execFileSync(PY, ['-c', script], { input: JSON.stringify(input) }).toString()) as { names: string[]; dumps: Record<string, string>[] };
}

test('apt_repository: file names, parsing and edits are those of Ansible\'s SourcesList', (t) => {
  try {
    execFileSync(PY, ['-c', 'import ansible.modules.apt_repository'], { stdio: 'ignore' });
  } catch {
    return t.skip(NO_ANSIBLE);
  }
  const names = [
    'deb http://deb.debian.org/debian bookworm main',
    'deb [arch=amd64 signed-by=/usr/share/keyrings/x.gpg] https://user:pw@apt.example.com:8080/debian/ stable main',
    'deb-src ftp://mirror.example.org/pub/debian-security bookworm-security main',
    REPO,
    'deb [trusted=yes] file:///srv/a-b.c ./',
    'deb cdrom:[Debian GNU/Linux 12]/ bookworm main',
  ];
  const files: Record<string, string> = {
    'a.list': '#deb http://x.example/debian bookworm main\n  deb   http://y.example/debian bookworm main   # mine  \r\n\n## two hashes\n# deb cdrom:[Debian  GNU/Linux]/ bookworm main\n',
    'b.list': 'deb http://z.example/debian bookworm main',
    'empty.list': '',
  };
  const edits = [
    { repo: 'deb http://x.example/debian  bookworm main', state: 'present', file: `${SOURCES_D}/new.list` },
    { repo: 'deb http://y.example/debian bookworm main', state: 'absent', file: '' },
    { repo: 'deb http://w.example/debian bookworm main', state: 'present', file: `${SOURCES_D}/b.list` },
    { repo: 'deb http://z.example/debian bookworm main', state: 'absent', file: '' },
    { repo: 'deb http://w.example/debian bookworm main', state: 'absent', file: '' },
    { repo: 'deb http://v.example/debian bookworm contrib', state: 'present', file: `${SOURCES_D}/new.list` },
  ];
  const start = Object.fromEntries(Object.entries(files).map(([name, raw]) => [`${SOURCES_D}/${name}`, raw]));
  const ref = ansibleSources({ files: start, edits, names });
  assert.deepEqual(names.map((n) => suggestFilename(n)), ref.names);
  assert.equal(ref.names[0], 'deb_debian_org_debian.list');
  assert.equal(suggestFilename(REPO, 'custom'), 'custom.list');

  let texts = start;
  edits.forEach((e, i) => {
    const mine: SourcesFile[] = Object.entries(texts).map(([path, raw]) => ({ path, raw, exists: true, lines: parseSources(raw) }));
    editSources(mine, parseSources(e.repo)[0].source, e.state as 'present' | 'absent', e.file);
    texts = Object.fromEntries(mine.filter((f) => f.lines.length).map((f) => [f.path, dumpSources(f.lines)]));
    assert.deepEqual(texts, ref.dumps[i], `after edit ${i}: ${e.state} ${e.repo}`);
  });
});

// ---- apt_repository on the server ----

test('apt_repository: add a file: repository, update the cache once, rerun in one trip, check mode and diff', async (t) => {
  if (h.skip) return t.skip(h.skip);
  // an offline apt: sources.list only commented out, and a flat repository with one package made here
  await h.sh([
    `printf '%s' '${SOURCES_LIST}' > /etc/apt/sources.list`,
    'mkdir -p /tmp/pkg/DEBIAN /srv/repo',
    `printf 'Package: harun-dummy\\nVersion: 1.0\\nArchitecture: all\\nMaintainer: harun <t@example.invalid>\\nDescription: test package\\n' > /tmp/pkg/DEBIAN/control`,
    'dpkg-deb --build /tmp/pkg /srv/repo/harun-dummy_1.0_all.deb >/dev/null',
    'cd /srv/repo && f=harun-dummy_1.0_all.deb && { dpkg-deb -f $f; echo "Filename: ./$f"; echo "Size: $(stat -c %s $f)"; echo "SHA256: $(sha256sum $f | cut -d" " -f1)"; } > Packages',
  ].join(' && '));
  assert.deepEqual(await ls(), []);

  const chk = await h.run(apt_repository, { repo: REPO }, { check: true, diff: true });
  assert.deepEqual([chk.r.changed, chk.trips], [true, 1]);
  assert.deepEqual({ repo: chk.r.repo, state: chk.r.state }, { repo: REPO, state: 'present' });
  // as Ansible, a change rewrites sources.list in its normalised form too
  assert.deepEqual(chk.r.diff, [
    { path: '/etc/apt/sources.list', before: SOURCES_LIST, after: '# deb http://deb.debian.org/debian bookworm main\n# offline test server\n\n', beforeHeader: '/etc/apt/sources.list', afterHeader: '/etc/apt/sources.list' },
    { path: REPO_FILE, before: '', after: `${REPO}\n`, beforeHeader: '/dev/null', afterHeader: REPO_FILE },
  ]);
  assert.deepEqual(await ls(), [], 'check mode wrote nothing');
  assert.equal(await h.sh('cat /etc/apt/sources.list'), SOURCES_LIST);

  const r1 = await h.run(apt_repository, { repo: REPO });
  assert.equal(r1.r.failed, undefined, String(r1.r.msg));
  assert.deepEqual([r1.r.changed, r1.trips], [true, 4]);
  assert.equal(await h.sh(`stat -c '%a %U' ${REPO_FILE}; cat ${REPO_FILE}`), `644 root\n${REPO}\n`);
  // apt-get update ran: the package is known
  assert.match(await h.sh('apt-cache policy harun-dummy'), /Candidate: 1\.0/);

  for (const repo of [REPO, 'deb  [trusted=yes]   file:/srv/repo\t./  ']) {
    const again = await h.run(apt_repository, { repo }, { diff: true });
    assert.deepEqual([again.r.changed, again.trips, again.r.diff], [false, 1, undefined], repo);
  }
  // absent comments nothing out: the line goes, and the file with it
  const rm = await h.run(apt_repository, { repo: REPO, state: 'absent', update_cache: false }, { diff: true });
  assert.deepEqual([rm.r.changed, rm.trips], [true, 2]);
  assert.deepEqual(rm.r.diff, [{ path: REPO_FILE, before: `${REPO}\n`, after: '', beforeHeader: REPO_FILE, afterHeader: '/dev/null' }]);
  assert.equal(await exists(REPO_FILE), false);
  const rm2 = await h.run(apt_repository, { repo: REPO, state: 'absent' });
  assert.deepEqual([rm2.r.changed, rm2.trips], [false, 1]);
});

test('apt_repository: a commented-out copy is enabled, filename and mode, absent in every file', async (t) => {
  if (h.skip) return t.skip(h.skip);
  const other = `${SOURCES_D}/other.list`;
  await h.sh(`printf '# deb http://example.invalid/debian bookworm main  # kept\\ndeb http://example.invalid/debian bookworm contrib\\n' > ${other} && chmod 640 ${other}`);
  const on = await h.run(apt_repository, { repo: 'deb http://example.invalid/debian bookworm main', update_cache: false });
  assert.deepEqual([on.r.changed, on.trips], [true, 2]);
  assert.equal(await h.sh(`stat -c %a ${other}; cat ${other}`), '640\ndeb http://example.invalid/debian bookworm main # kept\ndeb http://example.invalid/debian bookworm contrib\n');
  assert.deepEqual((await ls()).sort(), ['other.list'], 'no new file when a copy exists');

  // filename gets .list, mode applies to the file the line was added to
  const named = await h.run(apt_repository, { repo: 'deb-src http://example.invalid/debian bookworm main', filename: 'custom', mode: '0600', 'update-cache': 'no' });
  assert.deepEqual([named.r.changed, named.trips], [true, 2]);
  assert.equal(await h.sh(`stat -c %a ${SOURCES_D}/custom.list; cat ${SOURCES_D}/custom.list`), '600\ndeb-src http://example.invalid/debian bookworm main\n');

  // the same source in two files: absent deletes both lines; a file left empty is deleted
  await h.sh(`echo 'deb http://example.invalid/debian bookworm contrib' >> ${SOURCES_D}/custom.list`);
  const off = await h.run(apt_repository, { repo: 'deb http://example.invalid/debian bookworm contrib', state: 'absent', update_cache: false }, { diff: true });
  assert.equal(off.r.changed, true);
  assert.equal(await h.sh(`cat ${other} ${SOURCES_D}/custom.list`), 'deb http://example.invalid/debian bookworm main # kept\ndeb-src http://example.invalid/debian bookworm main\n');
  await h.run(apt_repository, { repo: 'deb-src http://example.invalid/debian bookworm main', state: 'absent', update_cache: false });
  const last = await h.run(apt_repository, { repo: 'deb http://example.invalid/debian bookworm main', state: 'absent', update_cache: false }, { diff: true });
  assert.deepEqual(last.r.diff, [{ path: other, before: 'deb http://example.invalid/debian bookworm main # kept\n', after: '', beforeHeader: other, afterHeader: '/dev/null' }]);
  assert.deepEqual(await ls(), []);
});

test('apt_repository: a failed apt-get update puts the sources back and fails as Ansible does', async (t) => {
  if (h.skip) return t.skip(h.skip);
  await h.sh(`printf '%s' '${SOURCES_LIST}' > /etc/apt/sources.list`);
  const bad = await h.run(apt_repository, { repo: 'deb [trusted=yes] file:/srv/nope ./', update_cache_retries: 1 });
  assert.equal(bad.r.failed, true);
  assert.match(String(bad.r.msg), /^Failed to update apt cache: .*Failed to fetch file:\/srv\/nope/s);
  assert.deepEqual(await ls(), [], 'the new file was removed');
  assert.equal(await h.sh('cat /etc/apt/sources.list'), SOURCES_LIST, 'sources.list has its old text back');
  const none = await h.run(apt_repository, { repo: 'deb [trusted=yes] file:/srv/nope ./', update_cache_retries: 0 });
  assert.deepEqual([none.r.failed, none.r.msg], [true, 'Failed to update apt cache: unknown reason']);
  assert.deepEqual(await ls(), []);
});

test('apt_repository: bad arguments and repo lines are refused with Ansible\'s messages', async (t) => {
  const p = (a: unknown) => parseArgs('apt_repository', apt_repository.schema, a);
  assert.throws(() => p({}), /argument repo/);
  assert.throws(() => p({ repo: REPO, state: 'enabled' }), /argument state: expected one of absent, present/);
  assert.throws(() => p({ repo: REPO, update_cache: true, 'update-cache': false }), /update-cache is an alias of update_cache/);
  assert.throws(() => p({ repo: REPO, bogus: 1 }), /unsupported argument bogus/);
  assert.throws(() => p({ repo: REPO, mode: 'rw' }), /argument mode/);
  if (h.skip) return t.skip(h.skip);
  for (const [repo, msg] of [
    ['foo bar', 'Invalid repository string: foo bar'],
    ['# deb http://x.example/debian bookworm main', 'Invalid repository string:  deb http://x.example/debian bookworm main'],
    ['', "Please set argument 'repo' to a non-empty value"],
  ]) {
    const r = await h.run(apt_repository, { repo });
    assert.deepEqual([r.r.failed, r.r.msg, r.trips], [true, msg, 0]);
  }
  const ppa = await h.run(apt_repository, { repo: 'ppa:deadsnakes/ppa' });
  assert.equal(ppa.r.failed, true);
  assert.match(String(ppa.r.msg), /ppa: repositories .* Launchpad/);
});

test('apt_repository: the same answers as Ansible\'s module on this host, in check mode', async (t) => {
  if (!refRepo) return t.skip(NO_ANSIBLE);
  const pick = (r: ModuleResult) => ({
    changed: r.changed, failed: r.failed ?? false, repo: r.repo, state: r.state,
    added: (r.diff ?? []).filter((d) => d.afterHeader !== '/dev/null' && d.before === '' ).map((d) => [d.afterHeader, d.after]),
  });
  for (const args of [
    { repo: 'deb [arch=amd64] https://user:pw@apt.example.com:8080/debian/ stable main' },
    { repo: 'deb-src http://apt.example.com/debian stable main', filename: 'harun-test' },
    { repo: 'deb http://apt.example.com/debian stable main', state: 'absent' },
  ]) {
    const mine = await fleet.run(apt_repository, args, { check: true, diff: true });
    const ref = await fleet.run(refRepo, args, { check: true, diff: true });
    assert.equal(ref.r.failed ?? false, false, String(ref.r.msg));
    assert.deepEqual(pick(mine.r), pick(ref.r), JSON.stringify(args));
    assert.equal(pick(mine.r).added.length, 'state' in args ? 0 : 1, 'a present repo shows its new file');
    assert.equal(mine.trips, 1);
  }
});

// ---- apt_key ----

test('apt_key: add a key to a keyring in trusted.gpg.d from data, rerun, check mode, remove', async (t) => {
  if (h.skip) return t.skip(h.skip);
  if (NO_GPG) return t.skip(NO_GPG);
  const ring = '/etc/apt/trusted.gpg.d/harun-test.gpg';
  const long1 = keys.fp1.slice(-16);
  const subs = parseKeyring(keys.bin1, Infinity).flatMap((b) => b.subkeys.map((s) => s.keyid));
  assert.equal(subs.length, 2);

  const chk = await h.run(apt_key, { data: keys.arm1, keyring: ring }, { check: true });
  assert.deepEqual([chk.r.changed, chk.trips], [true, 1]);
  assert.deepEqual({ id: chk.r.id, short_id: chk.r.short_id, fp: chk.r.fp, key_id: chk.r.key_id, before: chk.r.before }, { id: long1, short_id: long1.slice(-8), fp: long1, key_id: long1, before: [] });
  assert.equal(await exists(ring), false, 'check mode wrote nothing');

  const add = await h.run(apt_key, { data: keys.arm1, keyring: ring });
  assert.equal(add.r.failed, undefined, String(add.r.msg));
  assert.deepEqual([add.r.changed, add.trips], [true, 2]);
  // the expired subkey is not listed, as apt-key's listing leaves it out
  assert.deepEqual(add.r.after, [long1, subs[0]]);
  assert.equal(await h.sh(`stat -c %a ${ring}`), '644\n');
  assert.equal(await h.sh(`base64 -w0 ${ring}`), keys.bin1.toString('base64'), 'the keyring holds the key as gpg --export writes it');
  // apt's gpgv accepts the keyring: a signature made here verifies there
  const sig = execFileSync('gpg', ['--batch', '--quiet', '--local-user', keys.fp1, '--detach-sign', '--output', '-'], { input: 'hello\n', env: { ...process.env, GNUPGHOME: gpgHome } });
  await h.sh(`printf 'hello\\n' > /tmp/msg && echo ${sig.toString('base64')} | base64 -d > /tmp/msg.sig && gpgv --keyring ${ring} /tmp/msg.sig /tmp/msg 2>/dev/null`);

  for (const id of [keys.fp1, long1, `0x${long1.slice(-8).toLowerCase()}`, subs[0]]) {
    const again = await h.run(apt_key, { id, keyring: ring, data: keys.arm1 });
    assert.deepEqual([again.r.changed, again.trips], [false, 1], id);
  }
  const short = await h.run(apt_key, { id: long1.slice(-8), keyring: ring });
  assert.deepEqual(short.r.before, [long1.slice(-8), subs[0].slice(-8)]);

  // a second key in the same keyring, from a file on the host; then removing the first keeps the second
  await h.sh(`echo ${Buffer.from(keys.arm2).toString('base64')} | base64 -d > /root/two.asc`);
  const two = await h.run(apt_key, { file: '/root/two.asc', keyring: ring });
  assert.deepEqual([two.r.changed, two.r.id], [true, keys.fp2.slice(-16)]);
  // url: curl on the server fetches it (a file: URL here: the server stays offline), with and without id
  const other = '/etc/apt/trusted.gpg.d/harun-url.gpg';
  const byUrl = await h.run(apt_key, { url: 'file:///root/two.asc', keyring: other });
  assert.deepEqual([byUrl.r.changed, byUrl.r.id, byUrl.trips], [true, keys.fp2.slice(-16), 2]);
  await h.sh(`rm -f ${other}`);
  const byUrlId = await h.run(apt_key, { id: keys.fp2, url: 'file:///root/two.asc', keyring: other });
  assert.deepEqual([byUrlId.r.changed, byUrlId.r.after, byUrlId.trips], [true, [keys.fp2.slice(-16)], 3]);
  const noUrl = await h.run(apt_key, { url: 'file:///nonexistent.asc', keyring: other });
  assert.match(String(noUrl.r.msg), /^Failed to download key at file:\/\/\/nonexistent.asc: /);
  await h.sh(`rm -f ${other}`);

  const del1 = await h.run(apt_key, { id: keys.fp1, keyring: ring, state: 'absent' });
  assert.deepEqual([del1.r.changed, del1.r.after], [true, [keys.fp2.slice(-16)]]);
  assert.equal(await h.sh(`base64 -w0 ${ring}`), gpg('--export', keys.fp2).toString('base64'));
  // the last key: apt-key moves the keyring aside
  const del2 = await h.run(apt_key, { id: keys.fp2, keyring: ring, state: 'absent' });
  assert.deepEqual([del2.r.changed, del2.r.after], [true, []]);
  assert.deepEqual([await exists(ring), await exists(`${ring}~`)], [false, true]);
  const del3 = await h.run(apt_key, { id: keys.fp2, keyring: ring, state: 'absent' });
  assert.deepEqual([del3.r.changed, del3.trips], [false, 1]);
  await h.sh(`rm -f ${ring}~`);
});

test('apt_key: without keyring, the Debian keys are listed, a new key goes to trusted.gpg; an .asc keyring stays armored', async (t) => {
  if (h.skip) return t.skip(h.skip);
  if (NO_GPG) return t.skip(NO_GPG);
  const long2 = keys.fp2.slice(-16);
  const add = await h.run(apt_key, { data: keys.arm2 });
  assert.equal(add.r.changed, true);
  // Debian 12's archive keys (armored files in trusted.gpg.d) are in the listing
  assert.ok((add.r.before as string[]).includes('6ED0E7B82643E131'), 'bookworm archive key listed');
  assert.deepEqual((add.r.after as string[]).slice(0, 1), [long2], 'trusted.gpg comes first');
  assert.equal(await h.sh('base64 -w0 /etc/apt/trusted.gpg'), gpg('--export', keys.fp2).toString('base64'));
  const again = await h.run(apt_key, { id: long2 });
  assert.deepEqual([again.r.changed, again.trips], [false, 1]);
  const del = await h.run(apt_key, { id: long2, state: 'absent' });
  assert.deepEqual([del.r.changed, await exists('/etc/apt/trusted.gpg')], [true, false]);
  await h.sh('rm -f /etc/apt/trusted.gpg~');

  const asc = '/etc/apt/trusted.gpg.d/harun-test.asc';
  const a = await h.run(apt_key, { data: keys.arm1, keyring: asc });
  assert.equal(a.r.changed, true);
  assert.equal(await h.sh(`cat ${asc}`), gpg('--armor', '--export', keys.fp1).toString(), 'armored as gpg --armor --export writes it');
  // apt itself reads it: apt-key's listing shows it among the rest
  const b = await h.run(apt_key, { id: keys.fp1 });
  assert.deepEqual([b.r.changed, (b.r.before as string[]).includes(keys.fp1.slice(-16))], [false, true]);
  await h.sh(`rm -f ${asc}`);
});

test('apt_key: bad arguments and keys are refused with Ansible\'s messages', async (t) => {
  const p = (a: unknown) => parseArgs('apt_key', apt_key.schema, a);
  assert.throws(() => p({ data: 'x', file: '/k' }), /parameters are mutually exclusive: data\|file\|keyserver\|url/);
  assert.throws(() => p({ id: 'ABCD1234', state: 'gone' }), /argument state/);
  assert.throws(() => p({ id: 'ABCD1234', bogus: 1 }), /unsupported argument bogus/);
  if (h.skip) return t.skip(h.skip);
  const cases: [Record<string, unknown>, string][] = [
    [{ id: 'ABCD123' }, 'Invalid key_id'],
    [{ id: 'not-hex1' }, 'Invalid key_id'],
    [{ keyserver: 'keyserver.ubuntu.com' }, 'Missing key_id, required with keyserver.'],
    [{ data: 'not a key' }, "Unable to extract key from 'inline data'"],
    [{ file: '/nonexistent.asc' }, "Unable to extract key from '/nonexistent.asc'"],
    [{ state: 'absent' }, 'Invalid key_id'],
    [{ id: '0123456789ABCDEF', keyring: '/etc/apt/trusted.gpg.d/none.gpg' }, 'No key to add ... how did i get here?!?!'],
    [{ id: '0123456789ABCDEF', keyserver: 'keyserver.ubuntu.com', keyring: '/etc/apt/trusted.gpg.d/none.gpg' }, "harun's apt_key does not fetch keys from a key server"],
  ];
  for (const [args, msg] of cases) {
    const r = await h.run(apt_key, args);
    assert.equal(r.r.failed, true, JSON.stringify(args));
    assert.ok(String(r.r.msg).startsWith(msg), `${JSON.stringify(args)}: ${r.r.msg}`);
  }
  assert.equal(await exists('/etc/apt/trusted.gpg.d/none.gpg'), false);
});

test('apt_key: the same answers as Ansible\'s module (apt-key and gpg) on keyrings in the scratch dir', async (t) => {
  if (!refKey) return t.skip(NO_ANSIBLE);
  if (NO_GPG) return t.skip(NO_GPG);
  const ring = `${fleet.dir}/ring.gpg`;
  const asc = `${fleet.dir}/ring.asc`;
  await fleet.t.exec(sh`cat > ${ring}`, { stdin: keys.bin1 });
  await fleet.t.exec(sh`cat > ${asc}`, { stdin: keys.arm1 });
  const pick = (r: ModuleResult) => ({ changed: r.changed, failed: r.failed ?? false, msg: r.msg, id: r.id, short_id: r.short_id, fp: r.fp, key_id: r.key_id, before: r.before, after: r.after });
  for (const [args, check] of [
    [{ id: keys.fp1.slice(-8), keyring: asc }, false],
    [{ data: keys.arm1, keyring: ring }, false],
    [{ data: keys.arm2, keyring: ring }, true],
    [{ id: keys.fp1.slice(-16), keyring: ring, state: 'absent' }, true],
  ] as const) {
    const mine = await fleet.run(apt_key, args, { check });
    const ref = await fleet.run(refKey, args, { check });
    assert.deepEqual(pick(mine.r), pick(ref.r), JSON.stringify(args));
    assert.ok((mine.r.before as string[]).length >= 2, 'the keyring\'s keys are listed');
    assert.equal(mine.trips, 1);
  }
});
