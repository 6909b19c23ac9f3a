import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debconf, parseShow } from '../../src/modules/debconf.js';
import { dpkg_selections } from '../../src/modules/dpkg_selections.js';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import type { FileDiff } from '../../src/modules/types.js';
import { MASK } from '../../src/report/mask.js';
import { asShell } from '../../src/shell/sh.js';
import { sshHost } from '../helpers/remote.js';
import { serverHost } from '../helpers/server.js';

// debconf and dpkg selections are system state: they change only on the disposable server. The
// loopback fleet (this machine) is used read-only, to compare with Ansible's own module code.
const srv = serverHost();
const lo = sshHost();
const refDebconf = ansibleModule('debconf')?.def;
const refDpkg = ansibleModule('dpkg_selections')?.def;
const NO_ANSIBLE = "Debian's ansible is not installed: no comparison with Ansible's module";

/** A question's line of `debconf-show PKG` on the server (`* q: value`, the star when seen). */
const showLine = async (pkg: string, q: string) => (await srv.sh(`debconf-show ${pkg}`)).split('\n').find((l) => l.replace(/^[* ]+/, '').startsWith(`${q}:`));
const selection = async (pkg: string) => (await srv.sh(`dpkg --get-selections ${pkg}`)).trim().split(/\s+/)[1];

// ---------------------------------------------------------------- arguments and parsing

test('debconf: arguments as Ansible declares them', () => {
  const p = (a: unknown) => parseArgs('debconf', debconf.schema, a);
  assert.deepEqual(p({ pkg: 'tzdata', selection: 'tzdata/Areas', vtype: 'select', answer: 'Etc' }), { name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Etc', unseen: false });
  assert.deepEqual(p({ name: 'x', setting: 'x/b', vtype: 'boolean', value: true, unseen: 'yes' }), { name: 'x', question: 'x/b', vtype: 'boolean', value: 'True', unseen: true });
  assert.throws(() => p({ name: 'x', question: 'x/q', value: 'v' }), /parameters are required together: question, vtype, value/);
  assert.throws(() => p({ name: 'x', vtype: 'string' }), /required together/);
  assert.throws(() => p({ name: 'x', question: 'x/q', vtype: 'bogus', value: 'v' }), /argument vtype: expected one of boolean, error, multiselect/);
  assert.throws(() => p({ name: 'x', question: 'a', selection: 'b', vtype: 'string', value: 'v' }), /selection is an alias of question/);
  assert.throws(() => p({ question: 'x/q', vtype: 'string', value: 'v' }), /argument name/);
  assert.throws(() => p({ name: 'x', bogus: 1 }), /unsupported argument bogus/);
});

test('dpkg_selections: arguments as Ansible declares them', () => {
  const p = (a: unknown) => parseArgs('dpkg_selections', dpkg_selections.schema, a);
  assert.deepEqual(p({ name: 'tzdata', selection: 'hold' }), { name: 'tzdata', selection: 'hold' });
  assert.throws(() => p({ name: 'tzdata', selection: 'keep' }), /argument selection: expected one of install, hold, deinstall, purge/);
  assert.throws(() => p({ name: 'tzdata' }), /argument selection/);
  assert.throws(() => p({ selection: 'hold' }), /argument name/);
});

test('debconf: debconf-show lines parsed as Ansible parses them', () => {
  assert.deepEqual(parseShow('* tzdata/Areas: Etc\n  tzdata/Zones/US:\n  p/s:  a: b  \n* p/pw: (password omitted)\n'), {
    'tzdata/Areas': 'Etc',
    'tzdata/Zones/US': '',
    'p/s': 'a: b',
    'p/pw': '(password omitted)',
  });
});

// ---------------------------------------------------------------- debconf on the server

test('debconf: query, select question set in one trip, rerun unchanged, check mode, diff', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const q = await srv.run(debconf, { name: 'tzdata' });
  assert.deepEqual([q.r.changed, q.trips, q.r.msg], [false, 1, '']);
  const current = q.r.current as Record<string, string>;
  assert.equal(current['tzdata/Zones/Etc'], 'UTC');
  assert.equal(Object.keys(current).length, (await srv.sh('debconf-show tzdata')).trim().split('\n').length);

  const args = { name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Europe' };
  const chk = await srv.run(debconf, args, { check: true, diff: true });
  assert.deepEqual([chk.r.changed, chk.trips], [true, 1]);
  assert.deepEqual([chk.r.current, chk.r.previous], [{ 'tzdata/Areas': 'Europe' }, { 'tzdata/Areas': current['tzdata/Areas'] }]);
  assert.equal(await showLine('tzdata', 'tzdata/Areas'), `* tzdata/Areas: ${current['tzdata/Areas']}`, 'check mode left it');

  const set = await srv.run(debconf, args, { diff: true });
  assert.deepEqual([set.r.changed, set.trips, set.r.msg], [true, 1, '']);
  assert.equal(set.r.diff?.[0].before, `{\n    "tzdata/Areas": "${current['tzdata/Areas']}"\n}\n`);
  assert.equal(set.r.diff?.[0].after, '{\n    "tzdata/Areas": "Europe"\n}\n');
  assert.equal(await showLine('tzdata', 'tzdata/Areas'), '* tzdata/Areas: Europe');

  const again = await srv.run(debconf, args, { diff: true });
  assert.deepEqual([again.r.changed, again.trips, again.r.diff], [false, 1, undefined]);
  assert.equal((again.r.current as Record<string, string>)['tzdata/Areas'], 'Europe');
});

test('debconf: a new string question, unseen, multiselect compared as text (2.14)', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  // a question that does not exist yet: changed, previous '' (with the package's other settings)
  const s = await srv.run(debconf, { name: 'harun-test', question: 'harun-test/s', vtype: 'string', value: "it's a  value", unseen: true }, { diff: true });
  assert.deepEqual([s.r.changed, s.trips, s.r.current, s.r.previous], [true, 1, { 'harun-test/s': "it's a  value" }, { 'harun-test/s': '' }]);
  assert.equal(await showLine('harun-test', 'harun-test/s'), "  harun-test/s: it's a  value", 'unseen: no seen mark');
  const s2 = await srv.run(debconf, { name: 'harun-test', question: 'harun-test/s', vtype: 'string', value: "it's a  value" });
  assert.deepEqual([s2.r.changed, s2.trips], [false, 1]);

  const m = { name: 'harun-test', question: 'harun-test/m', vtype: 'multiselect', value: 'a, b' };
  assert.equal((await srv.run(debconf, m)).r.changed, true);
  const m2 = await srv.run(debconf, { ...m, value: 'b, a' }, { check: true, diff: true });
  // 2.14 compares the text: another order is a change; the previous includes the string question too
  assert.deepEqual([m2.r.changed, m2.r.previous], [true, { 'harun-test/m': 'a, b' }]);
  assert.equal((await srv.run(debconf, m)).r.changed, false);
});

test('debconf: booleans compared as debconf writes them (true/false)', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const q = 'openssh-server/permit-root-login';
  const was = await showLine('openssh-server', q);
  assert.match(was ?? '', /: true$/, 'the image answers true');
  // YAML true arrives as the text True: equal to debconf's true
  const same = await srv.run(debconf, { name: 'openssh-server', question: q, vtype: 'boolean', value: true });
  assert.deepEqual([same.r.changed, same.trips], [false, 1]);
  const off = await srv.run(debconf, { name: 'openssh-server', question: q, vtype: 'boolean', value: 'False' });
  assert.deepEqual([off.r.changed, off.trips, off.r.current, off.r.previous], [true, 1, { [q]: 'false' }, { [q]: 'true' }]);
  assert.match((await showLine('openssh-server', q)) ?? '', /: false$/);
  assert.equal((await srv.run(debconf, { name: 'openssh-server', question: q, vtype: 'boolean', value: 'no' })).r.changed, true, '"no" is not false to debconf');
  assert.equal((await srv.run(debconf, { name: 'openssh-server', question: q, vtype: 'boolean', value: 'TRUE' })).r.changed, true);
  assert.equal((await srv.run(debconf, { name: 'openssh-server', question: q, vtype: 'boolean', value: 'true' })).r.changed, false);
  // a new boolean question: stored as true, reported as given (2.14)
  const nb = await srv.run(debconf, { name: 'harun-test', question: 'harun-test/b', vtype: 'boolean', value: true });
  assert.deepEqual([nb.r.changed, nb.r.current], [true, { 'harun-test/b': 'True' }]);
  assert.equal(await showLine('harun-test', 'harun-test/b'), '* harun-test/b: true');
});

test('debconf: a password is set but never in the result, its message or its diff', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const pw = "S3cret pass'word";
  const args = { name: 'harun-test', question: 'harun-test/pw', vtype: 'password', value: pw };
  const chk = await srv.run(debconf, args, { check: true, diff: true });
  assert.equal(chk.r.changed, true);
  assert.ok(!JSON.stringify(chk.r).includes('S3cret'), JSON.stringify(chk.r));
  assert.equal(await srv.sh('grep -c "^Name: harun-test/pw$" /var/cache/debconf/passwords.dat || true'), '0\n', 'check mode set nothing');

  const set = await srv.run(debconf, args, { diff: true });
  assert.deepEqual([set.r.changed, set.trips, set.r.current], [true, 1, { 'harun-test/pw': MASK }]);
  assert.ok(!JSON.stringify(set.r).includes('S3cret'), JSON.stringify(set.r));
  assert.match(set.r.diff?.[0].after ?? '', /"harun-test\/pw": "\*{8}"/);
  assert.match(await srv.sh('debconf-show harun-test'), /harun-test\/pw: \(password omitted\)/);
  assert.match(await srv.sh('grep -A2 "^Name: harun-test/pw$" /var/cache/debconf/passwords.dat'), /^Value: S3cret pass'word$/m, 'the host has the real value');
  // debconf-show never shows a password: Ansible 2.14 reports a change every time
  const again = await srv.run(debconf, args, { diff: true });
  assert.deepEqual([again.r.changed, again.trips, again.r.previous], [true, 1, { 'harun-test/pw': '(password omitted)' }]);
  assert.ok(!JSON.stringify(again.r).includes('S3cret'));
});

test('debconf: debconf-set-selections refusing the line fails with its message', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  // a password with a newline makes a second, unparsable line: the message names no password
  const bad = await srv.run(debconf, { name: 'harun-test', question: 'harun-test/pw2', vtype: 'password', value: 'one\ntwo-secret' });
  assert.equal(bad.r.failed, true);
  assert.match(String(bad.r.msg), /parse error/);
  assert.ok(!String(bad.r.msg).includes('two-secret'), String(bad.r.msg));
});

// ---------------------------------------------------------------- dpkg_selections on the server

test('dpkg_selections: hold in one trip, rerun unchanged, check mode, back to install', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  assert.equal(await selection('tzdata'), 'install');
  const chk = await srv.run(dpkg_selections, { name: 'tzdata', selection: 'hold' }, { check: true });
  assert.deepEqual([chk.r.changed, chk.trips, chk.r.before, chk.r.after], [true, 1, 'install', 'hold']);
  assert.equal(await selection('tzdata'), 'install', 'check mode left it');

  const hold = await srv.run(dpkg_selections, { name: 'tzdata', selection: 'hold' }, { diff: true });
  assert.deepEqual({ ...hold.r, trips: hold.trips }, { changed: true, before: 'install', after: 'hold', trips: 1 });
  assert.equal(await selection('tzdata'), 'hold');
  const again = await srv.run(dpkg_selections, { name: 'tzdata', selection: 'hold' });
  assert.deepEqual({ ...again.r, trips: again.trips }, { changed: false, before: 'hold', after: 'hold', trips: 1 });

  const back = await srv.run(dpkg_selections, { name: 'tzdata', selection: 'install' });
  assert.deepEqual([back.r.changed, back.r.before], [true, 'hold']);
  assert.equal(await selection('tzdata'), 'install');
});

test('dpkg_selections: a package dpkg does not know is "not present", changed every time (2.14)', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  for (let i = 0; i < 2; i++) {
    const r = await srv.run(dpkg_selections, { name: 'harun-no-such-package', selection: 'hold' });
    assert.deepEqual({ ...r.r, trips: r.trips }, { changed: true, before: 'not present', after: 'hold', trips: 1 });
  }
  assert.equal(await srv.sh('dpkg --get-selections harun-no-such-package 2>/dev/null'), '');
});

// ---------------------------------------------------------------- Ansible's module, read-only, on loopback

test("compare with Ansible's modules on the loopback host (read-only: query and check mode)", async (t) => {
  if (!refDebconf || !refDpkg) return t.skip(NO_ANSIBLE);
  if ((await lo.t.exec(asShell('debconf-show tzdata 2>/dev/null | grep -q tzdata/Areas'))).code !== 0) return t.skip('no debconf answers for tzdata on this machine');
  const seen = (r: Record<string, unknown>) => ({ changed: r.changed, failed: r.failed, msg: r.msg, current: r.current, previous: r.previous });
  const query = { name: 'tzdata' };
  const mine = await lo.run(debconf, query);
  assert.deepEqual(seen(mine.r), seen((await lo.run(refDebconf, query)).r));
  const areas = (mine.r.current as Record<string, string>)['tzdata/Areas'];
  for (const [args, o] of [
    [{ name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: 'Antarctica' }, { check: true, diff: true }],
    [{ name: 'tzdata', question: 'tzdata/Areas', vtype: 'select', value: areas }, {}],
    [{ name: 'tzdata', question: 'tzdata/harun-new', vtype: 'string', value: 'x' }, { check: true, diff: true }],
    [{ name: 'harun-none', question: 'harun-none/b', vtype: 'boolean', value: 'True' }, { check: true }],
  ] as const) {
    const a = await lo.run(debconf, args, o);
    const b = await lo.run(refDebconf, args, o);
    assert.deepEqual(seen(a.r), seen(b.r), JSON.stringify(args));
    // the same mappings (Ansible's callback sorts their keys when it shows them)
    const texts = (d: unknown) => (d as FileDiff[] | undefined)?.map((x) => [JSON.parse(x.before), JSON.parse(x.after)]);
    assert.deepEqual(texts(a.r.diff), texts(b.r.diff), JSON.stringify(args));
  }
  for (const args of [{ name: 'tzdata', selection: 'hold' }, { name: 'tzdata', selection: 'install' }, { name: 'harun-no-such-package', selection: 'purge' }]) {
    const a = await lo.run(dpkg_selections, args, { check: true, diff: true });
    const b = await lo.run(refDpkg, args, { check: true, diff: true });
    const keys = (r: Record<string, unknown>) => ({ changed: r.changed, failed: r.failed, before: r.before, after: r.after, diff: r.diff });
    assert.deepEqual(keys(a.r), keys(b.r), JSON.stringify(args));
  }
});
