import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { parseSysv, planSysv, service, type Named } from '../../../../src/modules/service.js';
import { parseUnitState, planSystemd, systemd } from '../../../../src/modules/systemd.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { FakeTransport, runModule } from './helpers.js';

const sd = (o: Record<string, unknown>) => parseArgs('systemd', systemd.schema, o);
const svc = (o: Record<string, unknown>) => parseArgs('service', service.schema, o) as Named;

test('systemd plan from unit state', () => {
  const stopped = parseUnitState('LoadState=loaded\nActiveState=inactive\nUnitFileState=disabled\nis_enabled=disabled\n');
  assert.deepEqual(planSystemd(sd({ name: 'x', state: 'started', enabled: true }), stopped), ['enable', 'start']);
  const running = parseUnitState('LoadState=loaded\nActiveState=active\nUnitFileState=enabled\nis_enabled=enabled\n');
  assert.deepEqual(planSystemd(sd({ name: 'x', state: 'started', enabled: true }), running), []);
  assert.deepEqual(planSystemd(sd({ name: 'x', state: 'reloaded' }), running), ['reload']);
  assert.deepEqual(planSystemd(sd({ name: 'x', state: 'restarted' }), running), ['restart']);
  const masked = parseUnitState('LoadState=masked\nActiveState=inactive\nUnitFileState=masked\nis_enabled=masked\n');
  assert.deepEqual(planSystemd(sd({ name: 'x', masked: false, state: 'started' }), masked), ['unmask', 'start']);
  assert.deepEqual(planSystemd(sd({ name: 'x', enabled: false }), parseUnitState('is_enabled=static')), []);
  assert.throws(() => sd({ name: 'x', state: 'running' }), /argument state/);
  assert.throws(() => sd({ state: 'started' }), /argument name/);
});

test('service uses systemd when service_mgr says so, over a recorded host', async () => {
  const t = new FakeTransport([
    [/systemctl show/, { stdout: 'LoadState=loaded\nActiveState=inactive\nUnitFileState=enabled\nis_enabled=enabled\n' }],
    [/^systemctl start keepalived$/, {}],
  ]);
  const r = await runModule(service, { name: 'keepalived', state: 'started', enabled: true }, { transport: t, facts: { service_mgr: 'systemd' } });
  assert.equal(r.changed, true);
  assert.equal(t.cmds.length, 2);
  const nf = new FakeTransport([[/systemctl show/, { stdout: 'LoadState=not-found\nActiveState=inactive\n' }]]);
  const r2 = await runModule(systemd, { name: 'nope', state: 'started' }, { transport: nf });
  assert.match(String(r2.msg), /Could not find the requested service nope/);
});

test('SysV plan: service wrapper or init script; update-rc.d or chkconfig', () => {
  const deb = parseSysv('control=service\nenabler=update-rc.d\nrunning=0\nenabled=0\n');
  assert.deepEqual(planSysv(svc({ name: 'ssh', state: 'started', enabled: true }), deb), ['update-rc.d ssh defaults && update-rc.d ssh enable', 'service ssh start']);
  const rh = parseSysv('control=initd\nenabler=chkconfig\nrunning=1\nenabled=1\n');
  assert.deepEqual(planSysv(svc({ name: 'httpd', state: 'restarted', enabled: false }), rh), ['chkconfig httpd off', '/etc/init.d/httpd restart']);
  assert.deepEqual(planSysv(svc({ name: 'httpd', state: 'started', enabled: true }), rh), []);
  assert.throws(() => planSysv(svc({ name: 'x', enabled: true }), parseSysv('control=initd\nenabler=none\nrunning=0\nenabled=0')), /neither systemd, update-rc.d nor chkconfig/);
});

test('SysV on this host (no systemd): a throwaway init script is started, enabled, then stopped', { timeout: 60_000 }, async () => {
  const name = `harun-tmp-${process.pid}`;
  const script = `/etc/init.d/${name}`;
  const pidfile = `/run/${name}.pid`;
  writeFileSync(
    script,
    `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${name}
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: harun test daemon
### END INIT INFO
case "$1" in
  start) sleep 600 </dev/null >/dev/null 2>&1 & echo $! > ${pidfile} ;;
  stop) [ -f ${pidfile} ] && kill "$(cat ${pidfile})"; rm -f ${pidfile} ;;
  restart) "$0" stop; "$0" start ;;
  status) [ -f ${pidfile} ] && kill -0 "$(cat ${pidfile})" 2>/dev/null ;;
  *) exit 3 ;;
esac
`,
    { mode: 0o755 },
  );
  const facts = { service_mgr: 'sysvinit' };
  try {
    const args = { name, state: 'started', enabled: true };
    assert.equal((await runModule(service, args, { facts, check: true })).changed, true);
    assert.equal(existsSync(pidfile), false);
    const r1 = await runModule(service, args, { facts });
    assert.equal(r1.changed, true, String(r1.msg));
    assert.equal(existsSync(pidfile), true);
    assert.ok(readdirSync('/etc/rc2.d').some((f) => f.startsWith('S') && f.endsWith(name)));
    assert.equal((await runModule(service, args, { facts })).changed, false);
    assert.equal((await runModule(service, { name, state: 'stopped' }, { facts })).changed, true);
    assert.equal(existsSync(pidfile), false);
    const missing = await runModule(service, { name: `${name}-none`, state: 'started' }, { facts });
    assert.match(String(missing.msg), /no systemd .* and no \/etc\/init.d\//);
  } finally {
    try {
      execSync(`${script} stop; update-rc.d -f ${name} remove`, { stdio: 'ignore' });
    } catch {
      /* already stopped */
    }
    rmSync(script, { force: true });
    rmSync(pidfile, { force: true });
  }
});

test('service: daemon_reload without a name goes to systemd; elsewhere it fails as under Ansible', async () => {
  assert.throws(() => svc({ state: 'started' }), /argument name: name is required/);
  assert.throws(() => svc({ daemon_reload: true, state: 'started' }), /argument name/);
  const t = new FakeTransport([[/systemctl daemon-reload/, {}]]);
  const r = await runModule(service, { daemon_reload: true }, { transport: t, facts: { service_mgr: 'systemd' } });
  assert.equal(r.failed, undefined);
  assert.match(t.cmds[0], /systemctl daemon-reload/);
  const sysv = await runModule(service, { daemon_reload: 'yes' }, { transport: new FakeTransport([]), facts: { service_mgr: 'sysvinit' } });
  assert.match(String(sysv.msg), /service: daemon_reload work only under systemd, and this host's service manager is sysvinit/);
});

test('service passes systemd-only masked to systemd (as the service action of Ansible does); SysV refuses it', async () => {
  const t = new FakeTransport([
    [/systemctl show/, { stdout: 'LoadState=masked\nActiveState=inactive\nUnitFileState=masked\nis_enabled=masked\n' }],
    [/^systemctl unmask demo && systemctl enable demo$/, {}],
  ]);
  const r = await runModule(service, { name: 'demo', enabled: 'yes', masked: 'no' }, { transport: t, facts: { service_mgr: 'systemd' } });
  assert.equal(r.changed, true);
  assert.match(t.cmds[1], /^systemctl unmask demo && systemctl enable demo$/);
  const sysv = await runModule(service, { name: 'demo', enabled: true, masked: false }, { transport: new FakeTransport([]), facts: { service_mgr: 'sysvinit' } });
  assert.equal(sysv.failed, true);
  assert.match(String(sysv.msg), /service: masked work only under systemd/);
});
