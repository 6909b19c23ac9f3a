import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { apt, aptCommand, parseAptProbe, planApt, type AptArgs } from '../../../../src/modules/apt.js';
import { parseRpmProbe, planRpm, rpmCommand, rpmSchema } from '../../../../src/modules/yum.js';
import { pkg } from '../../../../src/modules/package.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { FakeTransport, runModule } from './helpers.js';

const aptArgs = (o: Record<string, unknown>) => parseArgs('apt', apt.schema, o) as AptArgs;
const probe = '@@dpkg\nbash\tii \t5.2-1\nold\trc \t1.0\n@@policy\nbash:\n  Installed: 5.2-1\n  Candidate: 5.2-2\nzsh:\n  Installed: (none)\n  Candidate: 5.9-4\n';

test('apt plan: present, absent, latest, versions; config-only packages count as absent', () => {
  const s = parseAptProbe(probe);
  assert.deepEqual(planApt(aptArgs({ name: 'bash,zsh,old' }), s), { install: ['zsh', 'old'], remove: [] });
  assert.deepEqual(planApt(aptArgs({ name: ['bash', 'zsh'], state: 'absent' }), s), { install: [], remove: ['bash'] });
  assert.deepEqual(planApt(aptArgs({ name: ['bash', 'zsh'], state: 'latest' }), s), { install: ['bash', 'zsh'], remove: [] });
  assert.deepEqual(planApt(aptArgs({ name: ['bash=5.2*'] }), s).install, []);
  assert.deepEqual(planApt(aptArgs({ name: ['bash=5.3-1'] }), s).install, ['bash=5.3-1']);
});

test('apt command: one non-interactive transaction with a bounded lock wait', () => {
  const c = aptCommand(aptArgs({ name: 'a,b', install_recommends: false }), { install: ['a', 'b'], remove: [] });
  assert.match(c, /DEBIAN_FRONTEND=noninteractive/);
  assert.match(c, /apt-get -y -q -o DPkg::Lock::Timeout=120 .*--no-install-recommends install -- a b$/);
  assert.match(aptCommand(aptArgs({ name: 'a', state: 'absent', purge: true }), { install: [], remove: ['a'] }), /purge -- a$/);
  assert.throws(() => parseArgs('apt', apt.schema, { name: 'x', state: 'gone' }), /argument state/);
  assert.throws(() => parseArgs('apt', apt.schema, { name: 'x', cache_valid_time: 'soon' }), /argument cache_valid_time/);
});

test('yum/dnf plan and commands from recorded probes', () => {
  const a = parseArgs('yum', rpmSchema(), { name: ['httpd', 'ipvsadm', '@core'], state: 'latest', update_cache: true });
  const s = parseRpmProbe('i httpd\nm ipvsadm\n@@updates\n\nhttpd.x86_64   2.4.6-99.el7   updates\n');
  const p = planRpm(a, s);
  assert.deepEqual(p, { install: ['ipvsadm'], upgrade: ['httpd', '@core'], remove: [] });
  assert.equal(rpmCommand('yum', a, p), 'yum -q makecache && yum -y install -- ipvsadm && yum -y update -- httpd @core');
  assert.equal(rpmCommand('dnf', a, p), 'dnf -y --refresh install -- ipvsadm && dnf -y --refresh upgrade -- httpd @core');
  const present = parseArgs('yum', rpmSchema(), { name: 'httpd,ipvsadm' });
  assert.deepEqual(planRpm(present, s).install, ['ipvsadm']);
  const absent = parseArgs('yum', rpmSchema(), { name: 'httpd,ipvsadm', state: 'absent' });
  assert.deepEqual(planRpm(absent, s).remove, ['httpd']);
});

test('package dispatches on pkg_mgr: yum over a recorded host, one probe and one transaction', async () => {
  const t = new FakeTransport([
    [/rpm -q/, { stdout: 'm keepalived\n' }],
    [/^yum -y install -- keepalived$/, { stdout: 'Complete!\n' }],
  ]);
  const r = await runModule(pkg, { name: 'keepalived' }, { transport: t, facts: { pkg_mgr: 'yum' } });
  assert.equal(r.changed, true);
  assert.equal(t.cmds.length, 2);
  const t2 = new FakeTransport([[/rpm -q/, { stdout: 'i keepalived\n' }]]);
  assert.equal((await runModule(pkg, { name: 'keepalived' }, { transport: t2, facts: { pkg_mgr: 'yum' } })).changed, false);
  assert.equal(t2.cmds.length, 1);
  const none = await runModule(pkg, { name: 'x' }, { facts: { pkg_mgr: 'zypper' } });
  assert.match(String(none.msg), /zypper/);
});

test('package hands the backend arguments on (update_cache, allow_downgrade, policy_rc_d); unknown ones fail at parse', async () => {
  const t = new FakeTransport([
    [/dpkg-query/, { stdout: '@@dpkg\n' }],
    [/apt-get .*install -- hello/, { stdout: '' }],
  ]);
  const r = await runModule(pkg, { name: 'hello', allow_downgrade: true, policy_rc_d: 101, install_recommends: false }, { transport: t, facts: { pkg_mgr: 'apt' } });
  assert.equal(r.changed, true);
  assert.match(t.cmds[1], /--no-install-recommends --allow-downgrades/);
  assert.match(t.cmds[1], /^if \[ -e \/usr\/sbin\/policy-rc\.d \]; then mv -f .*exit %d\\n' 101 > \/usr\/sbin\/policy-rc\.d/);
  assert.match(t.cmds[1], /rm -f \/usr\/sbin\/policy-rc\.d; if \[ -e \/usr\/sbin\/policy-rc\.d\.harun-keep \]; then mv -f .*; exit \$r$/);
  const y = new FakeTransport([[/rpm -q/, { stdout: 'm httpd\n' }], [/^yum -y --enablerepo=epel install -- httpd$/, {}]]);
  assert.equal((await runModule(pkg, { name: 'httpd', enablerepo: 'epel' }, { transport: y, facts: { pkg_mgr: 'yum' } })).changed, true);
  assert.throws(() => parseArgs('package', pkg.schema, { name: 'x', bogus: 1 }), /unsupported argument bogus/);
});

const hasApt = (() => {
  try {
    execSync('command -v apt-get && apt-cache policy hello | grep -q "Candidate: [0-9]"', { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('apt on this host: install hello, unchanged, remove; check mode installs nothing', { skip: !hasApt && 'no apt-get or no hello in the apt lists', timeout: 300_000 }, async () => {
  const installed = () => {
    try {
      return execSync("dpkg-query -W -f='${db:Status-Abbrev}' hello", { stdio: ['ignore', 'pipe', 'ignore'] }).toString().startsWith('ii');
    } catch {
      return false;
    }
  };
  const before = installed();
  try {
    if (before) execSync('apt-get -y -q remove hello', { stdio: 'ignore' });
    const chk = await runModule(apt, { name: 'hello', state: 'present' }, { check: true });
    assert.equal(chk.changed, true);
    assert.equal(installed(), false);
    const r1 = await runModule(apt, { name: ['hello'], state: 'present', install_recommends: false });
    assert.equal(r1.changed, true, String(r1.msg));
    assert.equal(installed(), true);
    assert.equal((await runModule(apt, { name: 'hello' })).changed, false);
    const r3 = await runModule(apt, { name: 'hello', state: 'absent' });
    assert.equal(r3.changed, true);
    assert.equal(installed(), false);
    assert.equal((await runModule(apt, { name: 'hello', state: 'absent' })).changed, false);
  } finally {
    if (before && !installed()) execSync('apt-get -y -q install hello', { stdio: 'ignore' });
    if (!before && installed()) execSync('apt-get -y -q remove hello', { stdio: 'ignore' });
  }
});
