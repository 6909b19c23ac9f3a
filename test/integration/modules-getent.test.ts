import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getent, parseGetent } from '../../src/modules/getent.js';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import { packageFacts } from '../../src/modules/package_facts.js';
import type { ModuleContext, ModuleDef } from '../../src/modules/types.js';
import { asShell } from '../../src/shell/sh.js';
import { testContext } from '../helpers/ctx.js';
import { sshHost } from '../helpers/remote.js';

const h = sshHost();
const { run } = h;
const refGetent = ansibleModule('getent')?.def;
const refPackages = ansibleModule('package_facts')?.def;
const NO_ANSIBLE = "Debian's ansible is not installed: no comparison with Ansible's module";

const sh = async (cmd: string) => (await h.t.exec(cmd as never)).stdout;
/** What users read of a result: failed, msg and the facts (Ansible's ansible_facts). */
const seen = (r: Record<string, unknown>) => ({ failed: r.failed === true, msg: r.msg, facts: r.ansible_facts });

/** Runs a module over SSH with `dir` first on PATH: fake rpm/apk commands stand in for real ones. */
async function runWithPath(mod: ModuleDef, args: unknown, dir: string) {
  const base = testContext({ transport: h.t });
  const ctx: ModuleContext = { ...base, run: (cmd, o) => base.run(asShell(`PATH='${dir}':"$PATH"; ${cmd}`), o) };
  const n = h.t.execs;
  const r = await mod.run(ctx, parseArgs(mod.name, mod.schema, args));
  return { r, trips: h.t.execs - n };
}

// ---------------------------------------------------------------- getent

test('getent: Ansible\'s splitting, duplicate keys as a list of field lists', () => {
  assert.deepEqual(parseGetent('root:x:0:0:root:/root:/bin/sh\nbin:x:1:1::/bin:\n', ':'), {
    root: ['x', '0', '0', 'root', '/root', '/bin/sh'],
    bin: ['x', '1', '1', '', '/bin', ''],
  });
  // no split: runs of whitespace, ends trimmed, as Python's str.split()
  assert.deepEqual(parseGetent('::1   STREAM localhost\n::1 DGRAM\t\n::1 RAW\n127.0.0.1  lo\n', undefined), {
    '::1': [['STREAM', 'localhost'], ['DGRAM'], ['RAW']],
    '127.0.0.1': ['lo'],
  });
  assert.deepEqual(parseGetent('a b\n\n   \nc\n', undefined), { a: ['b'], c: [] });
  assert.deepEqual(parseGetent('ssh 22/tcp\n', '/'), { 'ssh 22': ['tcp'] });
});

test('getent: passwd and a key, one round trip, facts as this host has them, check mode the same', async () => {
  const all = await run(getent, { database: 'passwd' });
  assert.deepEqual([all.r.changed, all.r.failed, all.trips], [false, undefined, 1]);
  const db = (all.r.facts as Record<string, Record<string, string[]>>).getent_passwd;
  const line = (await sh('getent passwd root')).trim();
  assert.deepEqual(db.root, line.split(':').slice(1));
  assert.equal(Object.keys(db).length, (await sh('getent passwd')).trim().split('\n').length);
  assert.deepEqual(all.r.ansible_facts, all.r.facts);
  const one = await run(getent, { database: 'passwd', key: 'root' }, { check: true });
  assert.deepEqual([one.r.changed, one.trips], [false, 1]);
  assert.deepEqual(one.r.facts, { getent_passwd: { root: db.root } });
  // a numeric key (YAML `key: 0`) is the uid
  const uid = await run(getent, { database: 'passwd', key: 0 });
  assert.deepEqual(uid.r.facts, { getent_passwd: { root: db.root } });
});

test('getent: a missing key fails with Ansible\'s message, or sets the key to null with fail_key: no', async () => {
  const key = 'harun-no-such-user';
  const miss = await run(getent, { database: 'passwd', key });
  assert.deepEqual([miss.r.failed, miss.r.msg, miss.r.facts, miss.trips], [true, 'One or more supplied key could not be found in the database.', undefined, 1]);
  const soft = await run(getent, { database: 'group', key, fail_key: 'no' });
  assert.equal(soft.r.failed, undefined);
  assert.deepEqual(soft.r.facts, { getent_group: { [key]: null } });
  assert.equal(soft.r.msg, 'One or more supplied key could not be found in the database.');
  const bad = await run(getent, { database: 'harun-no-such-db' });
  assert.deepEqual([bad.r.failed, bad.r.msg], [true, 'Missing arguments, or database unknown.']);
});

test('getent: the same results as Ansible\'s module on this host', async (t) => {
  if (!refGetent) return t.skip(NO_ANSIBLE);
  const cases: Record<string, unknown>[] = [
    { database: 'passwd' },
    { database: 'group', key: 'root', service: 'files' },
    { database: 'ahosts', key: 'localhost' }, // whitespace split, keys repeated
    { database: 'services', key: 'ssh', split: '/' },
    { database: 'passwd', key: 'harun-no-such-user', fail_key: false },
    { database: 'harun-no-such-db' },
  ];
  // Ansible's runs side by side: each starts a Python
  const refs = await Promise.all(cases.map((args) => run(refGetent, args)));
  for (const [i, args] of cases.entries()) {
    const mine = await run(getent, args);
    assert.deepEqual(seen(mine.r), seen(refs[i].r), JSON.stringify(args));
    assert.equal(mine.r.changed, false);
  }
});

test('getent: arguments checked before any host is touched', () => {
  const p = (a: unknown) => parseArgs('getent', getent.schema, a);
  assert.throws(() => p({}), /getent: argument database/);
  assert.throws(() => p({ database: 'passwd', bogus: 1 }), /unsupported argument bogus/);
  assert.throws(() => p({ database: 'passwd', fail_key: 'maybe' }), /argument fail_key: expected a boolean/);
  assert.throws(() => p({ database: 'passwd', split: '' }), /argument split: empty separator/);
  assert.deepEqual(p({ database: 'passwd', fail_key: 'no' }), { database: 'passwd', fail_key: false });
});

// ---------------------------------------------------------------- package_facts

type Pkgs = Record<string, Record<string, unknown>[]>;

test('package_facts: dpkg\'s packages in one round trip, as apt reports them; check mode the same', async () => {
  const r = await run(packageFacts, {});
  assert.deepEqual([r.r.changed, r.r.failed, r.trips], [false, undefined, 1]);
  const pk = (r.r.facts as { packages: Pkgs }).packages;
  assert.deepEqual(r.r.ansible_facts, r.r.facts);
  const ver = (await sh("dpkg-query -W -f '${Version} ${Architecture}' coreutils")).split(' ');
  assert.deepEqual(Object.keys(pk.coreutils[0]), ['name', 'version', 'arch', 'category', 'origin', 'source']);
  assert.deepEqual([pk.coreutils.length, pk.coreutils[0].name, pk.coreutils[0].version, pk.coreutils[0].arch, pk.coreutils[0].source], [1, 'coreutils', ...ver, 'apt']);
  assert.equal(Object.keys(pk).length, Number((await sh("dpkg-query -W -f '${db:Status-Status}\\n' | grep -cvx 'not-installed\\|config-files'")).trim()));
  const c = await run(packageFacts, { manager: 'apt', strategy: 'all' }, { check: true });
  assert.deepEqual([c.r.changed, c.trips], [false, 1]);
  assert.deepEqual(c.r.facts, r.r.facts);
});

test('package_facts: the same packages, fields and values as Ansible\'s module (python-apt) on this host', async (t) => {
  if (!refPackages) return t.skip(NO_ANSIBLE);
  const [mine, ref] = (await Promise.all([run(packageFacts, {}), run(refPackages, {})])).map((x) => x.r);
  assert.equal(ref.failed, undefined, String(ref.msg));
  const a = (mine.ansible_facts as { packages: Pkgs }).packages;
  const b = (ref.ansible_facts as { packages: Pkgs }).packages;
  for (const name of ['coreutils', 'dash', 'libc6', 'base-files']) assert.deepEqual(a[name], b[name], name);
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
  // every package: the section of apt's lists over dpkg's, the origin of the list's Release file
  const differ = Object.keys(b).filter((n) => JSON.stringify(a[n]) !== JSON.stringify(b[n]));
  assert.deepEqual(differ, []);
});

test('package_facts: Ansible\'s messages when no manager is usable or one is unknown', async (t) => {
  if (!refPackages) return t.skip(NO_ANSIBLE);
  const cases: Record<string, unknown>[] = [{ manager: 'rpm' }, { manager: ['dpkg', 'apt'] }, { manager: ['auto', 'dpkg'] }];
  const refs = await Promise.all(cases.map((args) => run(refPackages, args)));
  for (const [i, args] of cases.entries()) {
    const mine = await run(packageFacts, args);
    assert.deepEqual(seen(mine.r), seen(refs[i].r), JSON.stringify(args));
    assert.equal(mine.r.failed, true);
  }
});

test('package_facts: rpm -qa read natively; a failing manager warns; a manager harun does not read fails clearly', async () => {
  const bin = `${h.dir}/bin`;
  const fake = (name: string, body: string) => sh(`mkdir -p ${bin} && printf '%s\\n' '#!/bin/sh' '${body}' > ${bin}/${name} && chmod +x ${bin}/${name}`);
  await fake('rpm', `printf "bash\\t5.1.8\\t6.el9\\t(none)\\tx86_64\\nbash\\t5.2\\t1.el9\\t1\\ti686\\ngpg-pubkey\\tfd431d51\\t4ae0493b\\t(none)\\t(none)\\n"`);
  const r = await runWithPath(packageFacts, { manager: 'rpm' }, bin);
  assert.equal(r.trips, 1);
  assert.deepEqual((r.r.facts as { packages: Pkgs }).packages, {
    bash: [
      { name: 'bash', version: '5.1.8', release: '6.el9', epoch: null, arch: 'x86_64', source: 'rpm' },
      { name: 'bash', version: '5.2', release: '1.el9', epoch: 1, arch: 'i686', source: 'rpm' },
    ],
    'gpg-pubkey': [{ name: 'gpg-pubkey', version: 'fd431d51', release: '4ae0493b', epoch: null, arch: null, source: 'rpm' }],
  });
  // strategy all: apt's and rpm's packages together; first: only the first usable one (apt, then rpm)
  const both = (await runWithPath(packageFacts, { strategy: 'all' }, bin)).r.facts as { packages: Pkgs };
  assert.ok(both.packages.bash && both.packages.coreutils);
  const first = (await runWithPath(packageFacts, {}, bin)).r.facts as { packages: Pkgs };
  assert.deepEqual([!!first.packages.coreutils, first.packages['gpg-pubkey']], [true, undefined]);
  const firstRpm = (await runWithPath(packageFacts, { manager: ['rpm', 'apt'] }, bin)).r.facts as { packages: Pkgs };
  assert.deepEqual([firstRpm.packages.coreutils, !!firstRpm.packages.bash], [undefined, true]);
  // apk is one of Ansible's managers that harun does not read: reached only when its command is there
  await fake('apk', 'exit 0');
  const apk = await runWithPath(packageFacts, { manager: ['apk'] }, bin);
  assert.equal(apk.r.failed, true);
  assert.match(String(apk.r.msg), /the host has apk, the command of Ansible's apk manager, which harun does not read/);
  assert.equal((await runWithPath(packageFacts, { manager: ['rpm', 'apk'] }, bin)).r.failed, undefined);
  // rpm fails: counted as found, no packages of its own, Ansible's warning as it was asked for
  await fake('rpm', 'echo "rpmdb: broken" >&2; exit 1');
  const broken = await runWithPath(packageFacts, { manager: 'rpm' }, bin);
  assert.deepEqual([broken.r.failed, broken.r.facts, broken.r.warnings], [undefined, { packages: {} }, ['Requested package manager rpm was not usable by this module: rpm exited with 1']]);
  await sh(`rm -rf ${bin}`);
});

test('package_facts: arguments checked before any host is touched', () => {
  const p = (a: unknown) => parseArgs('package_facts', packageFacts.schema, a);
  assert.deepEqual(p({}), { manager: ['auto'], strategy: 'first' });
  assert.deepEqual(p({ manager: 'apt,rpm', strategy: 'all' }), { manager: ['apt', 'rpm'], strategy: 'all' });
  assert.throws(() => p({ strategy: 'bogus' }), /argument strategy: expected one of first, all/);
  assert.throws(() => p({ managers: 'apt' }), /unsupported argument managers/);
});
