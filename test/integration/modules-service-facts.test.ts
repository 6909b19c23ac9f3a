import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ansibleModule } from '../../src/modules/index.js';
import { ansibleInstall } from '../../src/modules/fallback/paths.js';
import { parseArgs } from '../../src/modules/lib/args.js';
import { gatherServices, parseSections, serviceFacts, type Run, type Service } from '../../src/modules/service_facts.js';
import type { ModuleContext, ModuleDef } from '../../src/modules/types.js';
import { asShell, quote } from '../../src/shell/sh.js';
import { testContext } from '../helpers/ctx.js';
import { sshHost } from '../helpers/remote.js';
import { serverHost } from '../helpers/server.js';

// the disposable server (systemd as PID 1, root) for units made and changed here; the loopback
// fleet (this machine: no systemd as PID 1) only for read-only runs beside Ansible's own module
const server = serverHost();
const fleet = sshHost();
const ref = ansibleModule('service_facts')?.def;
const PYTHON = ansibleInstall();
const NO_ANSIBLE = "Debian's ansible is not installed: no comparison with Ansible's module";

type Services = Record<string, Service>;
const servicesOf = (r: Record<string, unknown>) => (r.ansible_facts as { services: Services }).services;

/**
 * Ansible's own SystemctlScanService and ServiceScanService (the module's classes, imported from
 * the controller's ansible-core) over given command outputs instead of a host: `cmds` maps each
 * command line the classes run to [rc, stdout, stderr]; a command not given fails the harness.
 */
const HARNESS = `
import json, sys
from ansible.modules import service_facts as sf
d = json.load(sys.stdin)
warnings = []
class M:
    def run_command(self, cmd, use_unsafe_shell=False):
        if cmd not in d['cmds']:
            raise SystemExit('harness: unexpected command ' + cmd)
        return tuple(d['cmds'][cmd])
    def get_bin_path(self, name, opt_dirs=None):
        return d['bins'].get(name)
    def warn(self, m):
        warnings.append(m)
class Systemd(sf.SystemctlScanService):
    def systemd_enabled(self):
        return d['systemd']
services = {}
for cls in (sf.ServiceScanService, Systemd):
    s = cls(M()).gather_services()
    if s:
        services.update(s)
print(json.dumps({'services': services, 'warnings': warnings}))
`;

const SVC = '/usr/sbin/service';
const SC = '/usr/bin/systemctl';

/** Ansible's classes over the outputs of the sections harun's script prints. */
function ansibleOver(s: Map<string, Run>): { services: Services; warnings: string[] } {
  const cmds: Record<string, [number, string, string]> = {};
  const bins: Record<string, string> = {};
  const put = (cmd: string, r: Run) => (cmds[cmd] = [r.rc, r.out, r.err]);
  for (const [what, r] of s) {
    if (what === 'sysv') (bins.service = SVC), put(`${SVC} --status-all`, r);
    else if (what === 'upstart') (bins.initctl = '/sbin/initctl'), put('/sbin/initctl list', r);
    else if (what === 'units') (bins.systemctl = SC), put(`${SC} list-units --no-pager --type service --all`, r);
    else if (what === 'unit-files') put(`${SC} list-unit-files --no-pager --type service --all`, r);
    else if (what.startsWith('show ')) put(`${SC} show ${what.slice(5)} --property=ActiveState`, r);
    else throw new Error(`no Ansible command for section ${what}`);
  }
  const input = JSON.stringify({ cmds, bins, systemd: s.has('units') });
  return JSON.parse(execFileSync(PYTHON.python, ['-c', HARNESS], { input, encoding: 'utf8' }));
}

/** Sections as harun's script prints them, from [what, stdout, rc?, stderr?]. */
function sections(...runs: [string, string, number?, string?][]): Map<string, Run> {
  return parseSections(runs.map(([what, out, rc = 0, err = '']) => `@@${what}\n${out}\n@@rc ${rc}\n${err}\n@@end\n`).join(''));
}

// captured on a Debian 12 host, with units added for the odd lines Ansible reads its own way
const UNITS = `  UNIT                        LOAD        ACTIVE   SUB     DESCRIPTION
● auditd.service              not-found   inactive dead    auditd.service
● console-getty.service       masked      inactive dead    console-getty.service
  cron.service                loaded      active   running Regular background program processing daemon
● harun-fail.service          loaded      failed   failed  harun: exits 1
● harun-bad.service           bad-setting inactive dead    harun-bad.service
  harun-oneshot.service       loaded      active   exited  harun: remains after exit
  run-r1.service              loaded      active   running /bin/sleep 100
  ssh.service                 loaded      active   running OpenBSD Secure Shell server
  wtmp-audit.service          loaded      inactive dead    Report failed logins
LOAD   = Reflects whether the unit definition was properly loaded.
ACTIVE = The high-level unit activation state, i.e. generalization of SUB.
SUB    = The low-level unit activation state, values depend on unit type.
9 loaded units listed.
To show all installed unit files use 'systemctl list-unit-files'.
`;
const UNIT_FILES = `UNIT FILE                 STATE    PRESET
autovt@.service           alias    -
console-getty.service     masked   disabled
cron.service              enabled  enabled
getty@.service            enabled  enabled
harun-bad.service         static   -
harun-fail.service        enabled  enabled
harun-oneshot.service     static   -
ssh.service               enabled  enabled
sshd.service              alias    -
wtmp-audit.service        disabled enabled

10 unit files listed.
`;
const TEMPLATE_ERR = (u: string) => `Failed to get properties: Unit name ${u} is neither a valid invocation ID nor unit name.\n`;
const SHOWS: [string, string, number?, string?][] = [
  ['show autovt@.service', '', 1, TEMPLATE_ERR('autovt@.service')],
  ['show getty@.service', '', 1, TEMPLATE_ERR('getty@.service')],
  ['show harun-bad.service', 'ActiveState=inactive\n'],
  ['show sshd.service', 'ActiveState=active\n'],
  ['show wtmp-audit.service', 'ActiveState=inactive\n'],
];
const SYSV = ' [ - ]  cron\n [ ? ]  hwclock.sh\n [ + ]  ssh\n';

test('parser: systemd\'s lists and the sysv tool as Ansible reads them, odd lines included', (t) => {
  const s = sections(['sysv', SYSV], ['units', UNITS], ['unit-files', UNIT_FILES], ...SHOWS);
  const got = gatherServices(s);
  assert.ok(typeof got !== 'string');
  const sv = got.services;
  const sd = (name: string, state: string, status: string) => ({ name, state, status, source: 'systemd' });
  assert.deepEqual(sv.cron, { name: 'cron', state: 'stopped', source: 'sysv' });
  assert.deepEqual(sv.ssh, { name: 'ssh', state: 'running', source: 'sysv' });
  assert.equal(sv['hwclock.sh'], undefined); // `[ ? ]`: Ansible's pattern wants + or -
  assert.deepEqual(sv['ssh.service'], sd('ssh.service', 'running', 'enabled'));
  // not-found and masked: the glyph column dropped, the bad word kept over the unit file's state
  assert.deepEqual(sv['auditd.service'], sd('auditd.service', 'stopped', 'not-found'));
  assert.deepEqual(sv['console-getty.service'], sd('console-getty.service', 'stopped', 'masked'));
  assert.deepEqual(sv['harun-fail.service'], sd('harun-fail.service', 'stopped', 'failed'));
  // active but not running is stopped; a unit without a unit file keeps ACTIVE as its status
  assert.deepEqual(sv['harun-oneshot.service'], sd('harun-oneshot.service', 'stopped', 'static'));
  assert.deepEqual(sv['run-r1.service'], sd('run-r1.service', 'running', 'active'));
  // a glyph with no bad word (bad-setting) shifts the columns: Ansible names the entry '●'
  assert.deepEqual(sv['●'], sd('●', 'stopped', 'bad-setting'));
  assert.deepEqual(sv['harun-bad.service'], sd('harun-bad.service', 'inactive', 'static'));
  // 'failed' in a description counts as a bad state: the unit's name is dropped, LOAD is the name
  assert.deepEqual(sv.loaded, sd('loaded', 'stopped', 'failed'));
  assert.deepEqual(sv['wtmp-audit.service'], sd('wtmp-audit.service', 'inactive', 'disabled'));
  // unit files list-units did not name: systemctl show's ActiveState, unknown where show fails
  assert.deepEqual(sv['sshd.service'], sd('sshd.service', 'active', 'alias'));
  assert.deepEqual(sv['getty@.service'], sd('getty@.service', 'unknown', 'enabled'));
  assert.deepEqual(got.warnings, []);
  if (!PYTHON.core) return t.skip(NO_ANSIBLE);
  const a = ansibleOver(s);
  assert.deepEqual(sv, a.services);
  assert.deepEqual(Object.keys(sv), Object.keys(a.services));
});

test('parser: failing tools warn as Ansible does; upstart; bad unit-file lines; a glyph on two bad words', (t) => {
  const s = sections(['sysv', SYSV, 1, 'service: oops\n'], ['units', '', 1, 'Failed to connect to bus\n'], ['unit-files', UNIT_FILES], ...SHOWS,
    ['show console-getty.service', 'ActiveState=inactive\n'], ['show cron.service', 'ActiveState=active\n'], ['show harun-fail.service', 'ActiveState=failed\n'],
    ['show harun-oneshot.service', 'ActiveState=active\n'], ['show ssh.service', 'ActiveState=active\n']);
  const got = gatherServices(s);
  assert.ok(typeof got !== 'string');
  assert.deepEqual(got.warnings, ["Unable to query 'service' tool (1): service: oops\n", 'Could not list units from systemd: Failed to connect to bus\n']);
  assert.deepEqual(got.services['harun-fail.service'], { name: 'harun-fail.service', state: 'failed', status: 'enabled', source: 'systemd' });
  assert.equal(got.services['auditd.service'], undefined);
  const up = sections(['upstart', 'ssh start/running, process 1042\r\nnetwork-interface (lo) start/running\ntty4 stop/waiting\nnot a job\n']);
  const u = gatherServices(up);
  assert.ok(typeof u !== 'string');
  assert.deepEqual(u.services, {
    ssh: { name: 'ssh', state: 'running', goal: 'start', source: 'upstart' },
    'network-interface (lo)': { name: 'network-interface (lo)', state: 'running', goal: 'start', source: 'upstart' },
    tty4: { name: 'tty4', state: 'waiting', goal: 'stop', source: 'upstart' },
  });
  // Ansible picks whichever bad word its frozenset yields first (it varies per run): harun the first field
  const two = gatherServices(sections(['units', '● x.service masked failed failed x.service\n'], ['unit-files', '']));
  assert.deepEqual(typeof two !== 'string' && two.services['x.service'], { name: 'x.service', state: 'stopped', status: 'masked', source: 'systemd' });
  assert.equal(gatherServices(sections(['units', ''], ['unit-files', 'lonely.service\n'])), 'Malformed output discovered from systemd list-unit-files: lonely.service');
  if (!PYTHON.core) return t.skip(NO_ANSIBLE);
  for (const x of [s, up]) {
    const a = ansibleOver(x);
    const mine = gatherServices(x);
    assert.ok(typeof mine !== 'string');
    assert.deepEqual([mine.services, mine.warnings], [a.services, a.warnings]);
  }
});

test('service_facts: no arguments; anything else is refused before a host is touched', () => {
  assert.deepEqual(parseArgs('service_facts', serviceFacts.schema, {}), {});
  assert.throws(() => parseArgs('service_facts', serviceFacts.schema, { name: 'ssh' }), /unsupported argument name/);
  assert.equal(serviceFacts.checkMode, true);
  assert.equal(serviceFacts.hostFacts, true);
});

// ---------------------------------------------------------------- the disposable server

/**
 * The server's lists and `systemctl show` of each unit file list-units does not mention, one by
 * one as Ansible asks (side by side, to save time); Ansible's classes fail on any other show.
 */
async function captureServer(): Promise<Map<string, Run>> {
  const x = async (cmd: string) => {
    const r = await server.t.exec(asShell(`LANG=C.utf8 LC_ALL=C.utf8; export LANG LC_ALL; ${cmd}`));
    return { out: r.stdout, rc: r.code ?? -1, err: r.stderr };
  };
  const [sysv, units, files] = await Promise.all([
    x('service --status-all'),
    x('systemctl list-units --no-pager --type service --all'),
    x('systemctl list-unit-files --no-pager --type service --all'),
  ]);
  const s = new Map<string, Run>([['sysv', sysv], ['units', units], ['unit-files', files]]);
  const mentioned = new Set(units.out.split(/\s+/));
  const need = files.out.split('\n').map((l) => l.split(/\s+/)[0]).filter((u) => u.endsWith('.service') && !mentioned.has(u));
  const shows = await x(`for u in ${need.map(quote).join(' ')}; do (o=$(systemctl show "$u" --property=ActiveState 2>/dev/null); printf '%s\\t%s\\t%s\\n' "$u" $? "$o") & done; wait`);
  for (const line of shows.out.trim().split('\n')) {
    const [u, rc, out] = line.split('\t');
    s.set(`show ${u}`, { out: out ? `${out}\n` : '', rc: Number(rc), err: '' });
  }
  return s;
}

const UNIT = (exec: string, type = 'simple') => `[Unit]\nDescription=harun service_facts test\n[Service]\nType=${type}\nExecStart=${exec}\n[Install]\nWantedBy=multi-user.target\n`;
const sd = (name: string, state: string, status: string) => ({ name, state, status, source: 'systemd' });

test('server: ssh.service and units made here (running, idle, failed, never loaded, masked) in one round trip; Ansible\'s classes agree', async (t) => {
  if (server.skip) return t.skip(server.skip);
  const units: Record<string, string> = {
    'hsf-run': UNIT('/bin/sleep infinity'),
    'hsf-idle': UNIT('/bin/sleep infinity'),
    'hsf-fail': UNIT('/bin/false', 'oneshot'),
    'hsf-off': UNIT('/bin/sleep infinity'),
    'hsf-mask': UNIT('/bin/sleep infinity'),
  };
  // vendor unit files: `systemctl mask` refuses a unit whose file is in /etc/systemd/system
  await server.sh(Object.entries(units).map(([n, text]) => `printf '%s' '${text}' >/usr/lib/systemd/system/${n}.service`).join('; ') +
    '; systemctl daemon-reload; systemctl enable --now hsf-run; systemctl enable hsf-idle; systemctl start hsf-fail || true; systemctl mask hsf-mask');
  const { r, trips } = await server.run(serviceFacts, {});
  assert.deepEqual([r.changed, r.failed, r.skipped, trips], [false, undefined, undefined, 1]);
  assert.deepEqual(r.facts, r.ansible_facts);
  const sv = servicesOf(r);
  assert.deepEqual(sv['ssh.service'], sd('ssh.service', 'running', 'enabled'));
  // Debian's `service` is there beside systemd: Ansible lists its init scripts as well
  assert.deepEqual(sv.ssh, { name: 'ssh', state: 'running', source: 'sysv' });
  assert.deepEqual(sv['hsf-run.service'], sd('hsf-run.service', 'running', 'enabled'));
  // enabled: multi-user.target wants it, so systemd keeps it loaded: list-units says dead, stopped
  assert.deepEqual(sv['hsf-idle.service'], sd('hsf-idle.service', 'stopped', 'enabled'));
  // failed is a bad state: list-unit-files' enabled/disabled does not replace it
  assert.deepEqual(sv['hsf-fail.service'], sd('hsf-fail.service', 'stopped', 'failed'));
  // never loaded: only list-unit-files names them, and the state is show's ActiveState
  assert.deepEqual(sv['hsf-off.service'], sd('hsf-off.service', 'inactive', 'disabled'));
  assert.deepEqual(sv['hsf-mask.service'], sd('hsf-mask.service', 'inactive', 'masked'));
  // the lab image masks udev; not-found: a unit something names that has no unit file
  assert.deepEqual(sv['systemd-udevd.service'], sd('systemd-udevd.service', 'stopped', 'masked'));
  assert.ok(Object.values(sv).some((v) => v.status === 'not-found' && v.state === 'stopped'));
  assert.deepEqual(sv['sshd.service'], sd('sshd.service', 'active', 'alias'));
  assert.deepEqual(sv['getty@.service'], sd('getty@.service', 'unknown', 'enabled'));
  if (!PYTHON.core) return t.skip(NO_ANSIBLE);
  const a = ansibleOver(await captureServer());
  assert.deepEqual(sv, a.services);
  assert.deepEqual(a.warnings, []);
});

test('server: the units\' status follows enable, mask and unmask; a unit that ran and stopped is stopped; check mode the same', async (t) => {
  if (server.skip) return t.skip(server.skip);
  await server.sh('systemctl start hsf-idle; systemctl stop hsf-idle; systemctl mask hsf-run; systemctl unmask hsf-mask; systemctl enable hsf-off');
  const { r, trips } = await server.run(serviceFacts, {}, { check: true });
  assert.deepEqual([r.changed, trips], [false, 1]);
  const sv = servicesOf(r);
  // masked while it runs: list-units says masked active running
  assert.deepEqual(sv['hsf-run.service'], sd('hsf-run.service', 'running', 'masked'));
  assert.deepEqual(sv['hsf-idle.service'], sd('hsf-idle.service', 'stopped', 'enabled'));
  assert.equal(sv['hsf-mask.service']?.status, 'disabled');
  assert.equal(sv['hsf-off.service']?.status, 'enabled');
  assert.deepEqual(sv['hsf-fail.service'], sd('hsf-fail.service', 'stopped', 'failed'));
});

// ---------------------------------------------------------------- the loopback fleet (read-only)

/** Runs a module on the fleet with `dir` first on PATH: fake init tools stand in for real ones. */
async function runWithPath(mod: ModuleDef, dir: string) {
  const base = testContext({ transport: fleet.t });
  const ctx: ModuleContext = { ...base, run: (cmd, o) => base.run(asShell(`PATH='${dir}':"$PATH"; ${cmd}`), o) };
  return mod.run(ctx, parseArgs(mod.name, mod.schema, {}));
}

/** What users read of a result: failed, skipped, msg, warnings and the facts. */
const seen = (r: Record<string, unknown>) => ({ failed: r.failed === true, skipped: r.skipped === true, msg: r.msg, warnings: r.warnings ?? [], facts: r.ansible_facts });

const RL = (name: string, on3: string) => `${name.padEnd(16)}0:off\t1:off\t2:on\t3:${on3}\t4:on\t5:on\t6:off`;
/** Fake tools per case: file name -> sh script body. */
const FAKES: Record<string, Record<string, string>> = {
  // RHEL: chkconfig lists sysv services; `service X status` per service, one lacking the rights
  rhel: {
    chkconfig: `cat <<'E'\n${RL('netconsole', 'off')}\n${RL('network', 'on')}\n\nxinetd based services:\n\tchargen-dgram:\toff\nE`,
    service: 'case $1 in network) echo running;; netconsole) echo "netconsole: must be root" >&2; exit 4;; *) exit 3;; esac',
  },
  // SLES 11: the plain listing has no runlevels; -l --allservices has them
  sles: {
    chkconfig: `if [ "$1" = -l ]; then printf '%s\\n' '${RL('sshd', 'on')}' '${RL('cron', 'off')}'; else printf 'sshd  on\\ncron  off\\n'; fi`,
    service: 'case $1 in sshd) exit 0;; *) exit 3;; esac',
  },
  // RHEL 5: no listing without --list, and the usage says so
  rhel5: {
    chkconfig: `if [ "$1" = --list ]; then printf '%s\\n' '${RL('httpd', 'on')}'; else echo 'usage: chkconfig --list [name]' >&2; exit 1; fi`,
    service: 'exit 0',
  },
  // upstart beside a `service` tool that fails
  upstart: {
    initctl: `[ "$1" = list ] || exit 1; printf 'ssh start/running, process 1042\\nnetwork-interface (lo) start/running\\ntty4 stop/waiting\\n'`,
    service: `printf ' [ + ]  ssh\\n [ ? ]  x\\n'; echo 'service: oops' >&2; exit 1`,
  },
  openrc: {
    'rc-status': `printf ' sshd                 [  started  ]\\n crond                [  stopped  ]\\nRunlevel: default\\n'`,
    'rc-update': `printf '             sshd |      default\\n            crond |\\n'`,
  },
  // nothing at all: Ansible skips with its message
  none: { service: 'exit 0' },
};

test('fleet: this host (no systemd as PID 1) gives what Ansible\'s module gives: the sysv scripts', async (t) => {
  const { r, trips } = await fleet.run(serviceFacts, {});
  assert.deepEqual([r.changed, trips], [false, 1]);
  const sv = servicesOf(r);
  assert.ok(Object.values(sv).every((v) => v.source === 'sysv' && ['running', 'stopped'].includes(String(v.state))));
  assert.ok('ssh' in sv, 'ssh has an init script here');
  if (!ref) return t.skip(NO_ANSIBLE);
  const a = await fleet.run(ref, {});
  assert.deepEqual(seen(r), seen(a.r));
  assert.deepEqual(Object.keys(sv), Object.keys(servicesOf(a.r)));
});

test('fleet: chkconfig (RHEL, SLES, RHEL 5), upstart, OpenRC and nothing, faked, as Ansible\'s module reads them', async (t) => {
  const dirs: Record<string, string> = {};
  for (const [c, tools] of Object.entries(FAKES)) {
    const dir = (dirs[c] = `${fleet.dir}/${c}`);
    const make = Object.entries(tools).map(([f, body]) => `cat >${dir}/${f} <<'HSF_EOF'\n#!/bin/sh\n${body}\nHSF_EOF\nchmod +x ${dir}/${f}\n`);
    const res = await fleet.t.exec(asShell(`set -e; mkdir -p ${dir}\n${make.join('')}`));
    assert.equal(res.code, 0, res.stderr);
  }
  const mine: Record<string, Record<string, unknown>> = {};
  for (const c of Object.keys(FAKES)) mine[c] = await runWithPath(serviceFacts, dirs[c]);
  const sv = (c: string) => servicesOf(mine[c]);
  assert.deepEqual(sv('rhel'), {
    netconsole: { name: 'netconsole', state: 4, status: 'disabled', source: 'sysv' },
    network: { name: 'network', state: 'running', status: 'enabled', source: 'sysv' },
  });
  assert.deepEqual(mine.rhel.warnings, ['Insufficient permissions to query sysV service "netconsole" and their states']);
  assert.deepEqual(Object.keys(sv('sles')), ['sshd', 'cron']);
  assert.deepEqual(sv('rhel5'), { httpd: { name: 'httpd', state: 'running', status: 'enabled', source: 'sysv' } });
  assert.deepEqual(sv('upstart').ssh, { name: 'ssh', state: 'running', goal: 'start', source: 'upstart' });
  assert.deepEqual(mine.upstart.warnings, ["Unable to query 'service' tool (1): service: oops\n"]);
  assert.deepEqual(sv('openrc'), {
    sshd: { name: 'sshd', runlevels: ['default'], state: 'started', source: 'openrc' },
    crond: { name: 'crond', runlevels: null, state: 'stopped', source: 'openrc' },
  });
  assert.deepEqual([mine.none.skipped, mine.none.msg, mine.none.facts], [true, 'Failed to find any services. This can be due to privileges or some other configuration issue.', undefined]);
  if (!ref) return t.skip(NO_ANSIBLE);
  // Ansible's runs side by side: each starts a Python
  const refs = await Promise.all(Object.keys(FAKES).map((c) => runWithPath(ref, dirs[c])));
  for (const [i, c] of Object.keys(FAKES).entries()) assert.deepEqual(seen(mine[c]), seen(refs[i]), c);
});
