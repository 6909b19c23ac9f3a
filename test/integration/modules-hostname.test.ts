import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { hostname } from '../../src/modules/hostname.js';
import { ansibleModule } from '../../src/modules/index.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import type { FileDiff } from '../../src/modules/types.js';
import { asShell } from '../../src/shell/sh.js';
import { sshHost } from '../helpers/remote.js';
import { serverHost } from '../helpers/server.js';

// The host name is system state: it changes only on the disposable server (its own UTS namespace;
// systemd as PID 1; no D-Bus and no python3). The loopback fleet (this machine) is used read-only,
// in check mode and as an unprivileged user, to compare with Ansible's own module code.
const srv = serverHost();
const lo = sshHost();
const ref = ansibleModule('hostname')?.def;
const NO_ANSIBLE = "Debian's ansible is not installed: no comparison with Ansible's module";

/** The server's running name and the text of its /etc/hostname. */
const names = async () => {
  const [run, file] = (await srv.sh('hostname; echo @; cat /etc/hostname 2>/dev/null || true')).split('@\n');
  return { run: run.trim(), file };
};
const diffText = (r: { diff?: unknown }) => (r.diff as FileDiff[] | undefined)?.map((d) => ({ before: d.before, after: d.after }));

// ---------------------------------------------------------------- arguments

test('hostname: arguments as Ansible declares them; strategies harun does not implement are refused', () => {
  const p = (a: unknown) => parseArgs('hostname', hostname.schema, a);
  assert.deepEqual(p({ name: 'web01' }), { name: 'web01' });
  assert.deepEqual(p({ name: 'web01', use: 'debian' }), { name: 'web01', use: 'debian' });
  assert.deepEqual(p({ name: 42 }), { name: '42' });
  assert.throws(() => p({}), /hostname: argument name: expected a string/);
  assert.throws(() => p({ name: ' ' }), /argument name: a host name must not be empty/);
  assert.throws(() => p({ name: 'x', use: 'bogus' }), /argument use: expected one of systemd, debian, generic, alpine/);
  assert.throws(() => p({ name: 'x', use: 'alpine' }), /argument use: Ansible's alpine strategy is not implemented by harun's native hostname module \(it implements systemd, debian, generic\)/);
  assert.throws(() => p({ name: 'x', use: 'redhat' }), /redhat strategy is not implemented/);
  assert.throws(() => p({ name: 'x', hostname: 'y' }), /unsupported argument hostname/);
});

// ---------------------------------------------------------------- on the server

test('hostname: chosen strategy on a systemd host without D-Bus fails as Ansible fails, in one trip', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  // names the tests use resolve from /etc/hosts (hostname -f must not ask a DNS server)
  await srv.sh("printf '127.0.1.1 web01.example.test web01\\n127.0.1.2 web02\\n127.0.1.3 web03\\n127.0.1.4 web04 web04.alias.test\\n127.0.1.5 drift\\n' >> /etc/hosts");
  const { r, trips } = await srv.run(hostname, { name: 'web01' });
  assert.equal(trips, 1);
  assert.equal(r.failed, true);
  // Ansible 2.14 picks its Systemd strategy (systemctl + /run/systemd/system) and hostnamectl needs the bus
  assert.equal(r.msg, 'Command failed rc=1, out=, err=Failed to connect to bus: No such file or directory\n');
  assert.deepEqual(await names(), { run: 'server', file: 'server\n' });
});

test('hostname: use generic: check mode and diff change nothing', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const { r, trips } = await srv.run(hostname, { name: 'web01', use: 'generic' }, { check: true, diff: true });
  assert.equal(trips, 1);
  assert.equal(r.changed, true);
  assert.deepEqual(diffText(r), [{ before: 'hostname = server\n', after: 'hostname = web01\n' }]);
  // facts of the name asked for; the fqdn is the host's as it stands (Ansible's socket.getfqdn())
  assert.deepEqual(r.ansible_facts, { ansible_hostname: 'web01', ansible_nodename: 'web01', ansible_fqdn: 'server', ansible_domain: '' });
  assert.deepEqual(await names(), { run: 'server', file: 'server\n' });
});

test('hostname: use generic sets the running name and /etc/hostname (a bind mount), rerun ok in one trip', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const { r, trips } = await srv.run(hostname, { name: 'web01', use: 'generic' });
  assert.equal(trips, 1);
  assert.equal(r.changed, true, String(r.msg));
  assert.equal(r.name, 'web01');
  assert.deepEqual(diffText(r), [{ before: 'hostname = server\n', after: 'hostname = web01\n' }]);
  // /etc/hosts makes web01's canonical name web01.example.test: ansible_fqdn and ansible_domain say so
  const facts = { ansible_hostname: 'web01', ansible_nodename: 'web01', ansible_fqdn: 'web01.example.test', ansible_domain: 'example.test' };
  assert.deepEqual(r.ansible_facts, facts);
  assert.deepEqual(r.facts, facts);
  assert.deepEqual(await names(), { run: 'web01', file: 'web01\n' });
  // docker bind-mounts /etc/hostname: the file is written in place (a rename would fail with EBUSY)
  assert.match(await srv.sh('grep " /etc/hostname " /proc/self/mountinfo'), /\/etc\/hostname/);

  const again = await srv.run(hostname, { name: 'web01', use: 'generic' }, { diff: true });
  assert.equal(again.trips, 1);
  assert.equal(again.r.changed, false);
  assert.equal(again.r.diff, undefined);
  assert.deepEqual(again.r.ansible_facts, facts);
});

test('hostname: use generic when only the running name drifted; a FQDN as the name', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  await srv.sh('hostname drift');
  const { r, trips } = await srv.run(hostname, { name: 'web01', use: 'generic' });
  assert.equal(trips, 1);
  assert.equal(r.changed, true);
  // Ansible's name_before: the current name when it differs from the name asked for
  assert.deepEqual(diffText(r), [{ before: 'hostname = drift\n', after: 'hostname = web01\n' }]);
  assert.deepEqual(await names(), { run: 'web01', file: 'web01\n' });

  const fq = await srv.run(hostname, { name: 'web01.example.test', use: 'generic' });
  assert.equal(fq.r.changed, true);
  assert.deepEqual(fq.r.ansible_facts, { ansible_hostname: 'web01', ansible_nodename: 'web01.example.test', ansible_fqdn: 'web01.example.test', ansible_domain: 'example.test' });
  assert.deepEqual(await names(), { run: 'web01.example.test', file: 'web01.example.test\n' });
  await srv.run(hostname, { name: 'web01', use: 'generic' });
});

test('hostname: use generic where the kernel refuses the running name (no CAP_SYS_ADMIN)', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  // This container has every capability, so the kernel lets it set its name. A `hostname` that
  // drops CAP_SYS_ADMIN from its bounding set first gets the EPERM a container without it gets.
  await srv.sh(`printf '#!/bin/sh\\nexec setpriv --bounding-set -sys_admin --inh-caps -sys_admin /usr/bin/hostname "$@"\\n' > /usr/local/sbin/hostname && chmod 755 /usr/local/sbin/hostname`);
  try {
    assert.equal((await srv.sh('command -v hostname')).trim(), '/usr/local/sbin/hostname');
    const { r, trips } = await srv.run(hostname, { name: 'web02', use: 'generic' });
    assert.equal(trips, 1);
    assert.equal(r.failed, true);
    assert.equal(r.msg, 'Command failed rc=1, out=, err=hostname: you must be root to change the host name (the kernel refused to change the running host name)');
    // the running name is set first: its refusal leaves /etc/hostname as it was
    assert.deepEqual(await names(), { run: 'web01', file: 'web01\n' });
  } finally {
    await srv.sh('rm -f /usr/local/sbin/hostname');
  }
});

test('hostname: chosen strategy on a Debian host not booted with systemd writes /etc/hostname only', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  // without systemctl Ansible 2.14 falls back to the distribution's strategy: FileStrategy for Debian
  await srv.sh('mv /usr/bin/systemctl /usr/bin/systemctl.hidden');
  try {
    const check = await srv.run(hostname, { name: 'web02' }, { check: true });
    assert.equal(check.trips, 1);
    assert.equal(check.r.changed, true);
    assert.deepEqual(await names(), { run: 'web01', file: 'web01\n' });

    const { r, trips } = await srv.run(hostname, { name: 'web02' });
    assert.equal(trips, 1);
    assert.equal(r.changed, true, String(r.msg));
    assert.deepEqual(diffText(r), [{ before: 'hostname = web01\n', after: 'hostname = web02\n' }]);
    // FileStrategy reads the current name from the file and never sets it: the kernel's stays
    assert.deepEqual(await names(), { run: 'web01', file: 'web02\n' });
    assert.equal((r.ansible_facts as Record<string, string>).ansible_fqdn, 'web01.example.test');
    const again = await srv.run(hostname, { name: 'web02' });
    assert.deepEqual([again.r.changed, again.trips], [false, 1]);

    // other distributions: the strategy Ansible would use is named, or Ansible's own refusal
    await srv.sh("rm /etc/os-release && printf 'ID=alpine\\n' > /etc/os-release");
    const alpine = await srv.run(hostname, { name: 'web03' });
    assert.equal(alpine.r.failed, true);
    assert.match(String(alpine.r.msg), /Ansible would use its alpine strategy on this host \(os-release ID alpine\), which harun's native module does not implement; use: generic/);
    await srv.sh("printf 'ID=plan9\\n' > /etc/os-release");
    const other = await srv.run(hostname, { name: 'web03' });
    assert.equal(other.r.msg, 'hostname module cannot be used on platform Linux (Plan9)');
    assert.deepEqual(await names(), { run: 'web01', file: 'web02\n' });
  } finally {
    await srv.sh('mv /usr/bin/systemctl.hidden /usr/bin/systemctl; rm -f /etc/os-release; ln -s ../usr/lib/os-release /etc/os-release');
  }
  await srv.run(hostname, { name: 'web01', use: 'generic' });
});

test('hostname: use systemd (and debian) through hostnamectl once D-Bus runs', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  // The server has no D-Bus: copy this machine's (same Debian release) into it and start it
  const pkgs = ['dbus', 'dbus-bin', 'dbus-daemon', 'dbus-system-bus-common', 'libdbus-1-3', 'libexpat1'];
  let files: string[];
  try {
    files = execFileSync('sh', ['-c', `dpkg -L ${pkgs.join(' ')} | while read -r f; do if [ -L "$f" ] || [ -f "$f" ]; then echo "$f"; fi; done`]).toString().trim().split('\n');
  } catch {
    return t.skip(`D-Bus is not installed on this machine (${pkgs.join(', ')}): nothing to copy to the server`);
  }
  const tar = execFileSync('tar', ['-C', '/', '-cf', '-', ...files.map((f) => f.slice(1))], { maxBuffer: 1 << 26 });
  assert.equal((await srv.t.exec(asShell('tar -C / -xf -'), { stdin: tar })).code, 0);
  await srv.sh('ldconfig && systemd-sysusers && systemd-tmpfiles --create /usr/lib/tmpfiles.d/dbus.conf && systemctl daemon-reload && systemctl start dbus.socket dbus.service');

  // hostnamed replaces /etc/hostname by a rename, which docker's bind mount refuses: Ansible fails so
  const busy = await srv.run(hostname, { name: 'web04' });
  assert.equal(busy.trips, 1);
  assert.equal(busy.r.failed, true);
  assert.match(String(busy.r.msg), /^Command failed rc=1, out=, err=Could not set static hostname: .*Device or resource busy/);
  assert.deepEqual(await names(), { run: 'web01', file: 'web01\n' });

  // without the bind mount (and with a hostnamed started after it is gone) it works
  await srv.sh('umount /etc/hostname && echo web01 > /etc/hostname && systemctl stop systemd-hostnamed');
  const check = await srv.run(hostname, { name: 'web04', use: 'systemd' }, { check: true, diff: true });
  assert.deepEqual([check.r.changed, check.trips], [true, 1]);
  assert.deepEqual(diffText(check.r), [{ before: 'hostname = web01\n', after: 'hostname = web04\n' }]);
  assert.deepEqual(await names(), { run: 'web01', file: 'web01\n' });

  const { r, trips } = await srv.run(hostname, { name: 'web04', use: 'systemd' }, { diff: true });
  assert.equal(trips, 1);
  assert.equal(r.changed, true, String(r.msg));
  assert.deepEqual(diffText(r), [{ before: 'hostname = web01\n', after: 'hostname = web04\n' }]);
  assert.deepEqual(await names(), { run: 'web04', file: 'web04\n' });
  assert.equal((await srv.sh('hostnamectl --pretty status')).trim(), 'web04');
  // getfqdn: web04's address in reverse gives web04 and its alias; the first with a dot wins
  assert.deepEqual(r.ansible_facts, { ansible_hostname: 'web04', ansible_nodename: 'web04', ansible_fqdn: 'web04.alias.test', ansible_domain: 'alias.test' });

  for (const use of ['systemd', 'debian', undefined]) {
    const again = await srv.run(hostname, { name: 'web04', ...(use ? { use } : {}) });
    assert.deepEqual([again.r.changed, again.trips, again.r.diff], [false, 1, undefined], `use: ${use}`);
  }

  // only the transient name differs: hostnamectl --transient set-hostname puts it back
  await srv.sh('hostname drift');
  const drift = await srv.run(hostname, { name: 'web04', use: 'debian' });
  assert.equal(drift.r.changed, true);
  assert.deepEqual(diffText(drift.r), [{ before: 'hostname = drift\n', after: 'hostname = web04\n' }]);
  assert.deepEqual(await names(), { run: 'web04', file: 'web04\n' });

  // Ansible's limit for hostnamectl, checked only when something is to be set (not in check mode)
  const long = 'a'.repeat(65);
  assert.equal((await srv.run(hostname, { name: long, use: 'systemd' }, { check: true })).r.changed, true);
  const tooLong = await srv.run(hostname, { name: long, use: 'systemd' });
  assert.equal(tooLong.r.msg, 'name cannot be longer than 64 characters on systemd servers, try a shorter name');
  assert.deepEqual(await names(), { run: 'web04', file: 'web04\n' });
});

// ---------------------------------------------------------------- Ansible's module, read-only

test("hostname: same results as Ansible's module on the loopback host (check mode, unprivileged)", async (t) => {
  if (!ref) return t.skip(NO_ANSIBLE);
  const current = (await lo.t.exec('cat /etc/hostname')).stdout.trim();
  const cases: Record<string, unknown>[] = [{ name: current }, { name: `${current}-other.example.test` }, { name: current, use: 'systemd' }];
  for (const args of cases) {
    const mine = await lo.run(hostname, args, { check: true, diff: true });
    const theirs = await lo.run(ref, args, { check: true, diff: true });
    const label = JSON.stringify(args);
    assert.equal(mine.trips, 1, label);
    assert.equal(!!mine.r.failed, !!theirs.r.failed, `${label}: ${mine.r.msg} / ${theirs.r.msg}`);
    if (theirs.r.failed) {
      assert.equal(mine.r.msg, theirs.r.msg, label);
      continue;
    }
    assert.equal(mine.r.changed, theirs.r.changed, label);
    assert.equal(mine.r.name, theirs.r.name, label);
    assert.deepEqual(mine.r.ansible_facts, theirs.r.ansible_facts, label);
    assert.deepEqual(diffText(mine.r), diffText(theirs.r), label);
  }
  // where harun differs on purpose: Ansible 2.14's generic strategy crashes (ansible/ansible#85069)
  const generic = { name: current, use: 'generic' };
  const theirs = await lo.run(ref, generic, { check: true });
  assert.equal(theirs.r.failed, true);
  assert.match(String(theirs.r.module_stderr), /NotImplementedError/);
  const mine = await lo.run(hostname, generic, { check: true });
  assert.deepEqual([mine.r.failed, mine.r.changed, mine.trips], [undefined, false, 1]);
  assert.equal((await lo.t.exec('cat /etc/hostname')).stdout.trim(), current);
});
