import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gatherFacts, parseFacts } from '../../../src/facts/index.js';
import { parseServiceMgr, parsePkgMgr, parseDistribution, parseEnv, parseNproc } from '../../../src/facts/system.js';
import { LocalTransport } from '../../../src/transport/local.js';

const fixture = (name: string) => readFileSync(new URL(`../../../../test/fixtures/facts/${name}`, import.meta.url), 'utf8');

test('Debian 12 fixture (ip -j) parses into Ansible fact shapes', () => {
  const f = parseFacts(fixture('debian12.txt'));
  assert.equal(f.os_family, 'Debian');
  assert.equal(f.distribution, 'Debian');
  assert.equal(f.distribution_major_version, '12');
  assert.equal(f.kernel, '6.18.44-fc-v595');
  assert.equal(f.architecture, 'x86_64');
  assert.equal(f.pkg_mgr, 'apt');
  assert.deepEqual(f.interfaces, ['lo', 'ifb0', 'ifb1', 'eth0']);
  assert.deepEqual(f.default_ipv4, {
    address: '192.0.2.2', netmask: '255.255.255.0', network: '192.0.2.0', broadcast: '192.0.2.255', prefix: '24',
    interface: 'eth0', alias: 'eth0', gateway: '192.0.2.1', macaddress: '02:fc:00:00:00:01', mtu: 1400, type: 'ether',
  });
  assert.equal(f.eth0.mtu, 1400);
  assert.equal(f.ifb0.active, false);
  assert.equal(f.lo.macaddress, undefined);
  assert.deepEqual(f.all_ipv4_addresses, ['192.0.2.2']);
  assert.equal(f.memtotal_mb, Math.floor(24684096 / 1024));
  assert.equal(f.env.MULTI, 'first\nsecond line');
  assert.equal(f.user_id, 'root');
});

test('CentOS 7 fixture (text ip -o, redhat-release, eth0:1 alias, dashed iface)', () => {
  const f = parseFacts(fixture('centos7.txt'));
  assert.equal(f.os_family, 'RedHat');
  assert.equal(f.distribution, 'CentOS');
  assert.equal(f.distribution_version, '7.9.2009');
  assert.equal(f.distribution_major_version, '7');
  assert.equal(f.hostname, 'lvs1');
  assert.equal(f.fqdn, 'lvs1.example.com');
  assert.equal(f.domain, 'example.com');
  assert.equal(f.pkg_mgr, 'yum');
  assert.equal(f.service_mgr, 'systemd');
  assert.equal(f.processor_vcpus, 4);
  assert.equal(f.memtotal_mb, 1837);
  assert.deepEqual(f.interfaces, ['lo', 'eth0', 'eth1-data']);
  assert.deepEqual(f.eth0.ipv4, { address: '10.0.0.11', netmask: '255.255.255.0', network: '10.0.0.0', broadcast: '10.0.0.255', prefix: '24' });
  assert.equal(f.eth0.ipv4_secondaries[0].address, '10.0.0.100');
  assert.equal(f.eth0.macaddress, '52:54:00:12:34:56');
  assert.equal(f.eth0_1.ipv4.address, '10.0.0.100');
  assert.equal(f.eth1_data.mtu, 9000);
  assert.equal(f.eth1_data.active, false);
  assert.equal(f.eth1_data.ipv4.netmask, '255.255.0.0');
  assert.equal(f.default_ipv4.gateway, '10.0.0.1');
  assert.equal(f.default_ipv4.interface, 'eth0');
  assert.equal(f.default_ipv4.macaddress, '52:54:00:12:34:56');
  assert.deepEqual(f.all_ipv4_addresses, ['10.0.0.11', '10.0.0.100', '172.16.0.11']);
  assert.equal(f.date_time.iso8601, '2020-11-02T08:05:07Z');
  assert.equal(f.date_time.tz_offset, '+0100');
  assert.equal(f.date_time.weekday, 'Monday');
});

test('small parsers: service manager, package manager, distribution families', () => {
  assert.equal(parseServiceMgr('pid1=process_api\ninitd').service_mgr, 'sysvinit');
  assert.equal(parseServiceMgr('pid1=init\nsystemd_booted').service_mgr, 'systemd');
  assert.equal(parseServiceMgr('pid1=sh').service_mgr, 'service');
  assert.equal(parsePkgMgr('dnf\nyum').pkg_mgr, 'dnf');
  assert.equal(parsePkgMgr('').pkg_mgr, 'unknown');
  assert.equal(parseDistribution('ID=ubuntu\nVERSION_ID="22.04"').os_family, 'Debian');
  assert.equal(parseDistribution('ID="rocky"\nVERSION_ID="9.3"').distribution_major_version, '9');
  assert.equal(parseDistribution('ID="almalinux"\nVERSION_ID="8.9"').os_family, 'RedHat');
  assert.deepEqual(parseEnv('A=1\nB=x=y'), { A: '1', B: 'x=y' });
});

test('a section that fails to parse drops only its facts', () => {
  const f = parseFacts(fixture('debian12.txt').replace(/(@@harun:ip_addr@@\n)\[/, '$1{broken'));
  assert.equal(f.interfaces, undefined);
  assert.equal(f.distribution, 'Debian');
});

test('facts gathered on this machine in one round trip match uname, hostname, os-release and ip', async () => {
  const t = new LocalTransport('localhost');
  const f = await gatherFacts((c) => t.exec(c));
  assert.equal(t.execs, 1);
  assert.equal(f.kernel, execSync('uname -r').toString().trim());
  assert.equal(f.architecture, execSync('uname -m').toString().trim());
  assert.equal(f.nodename, execSync('uname -n').toString().trim());
  assert.equal(f.hostname, execSync('hostname').toString().trim().split('.')[0]);
  const osr = readFileSync('/etc/os-release', 'utf8');
  assert.equal(f.distribution_major_version, /VERSION_ID="?(\d+)/.exec(osr)?.[1]);
  const ip = JSON.parse(execSync('ip -j addr').toString()) as { ifname: string; addr_info: { family: string; local: string }[] }[];
  assert.deepEqual(f.interfaces, ip.map((l) => l.ifname));
  const v4 = ip.flatMap((l) => l.addr_info.filter((a) => a.family === 'inet' && !a.local.startsWith('127.')).map((a) => a.local));
  assert.deepEqual(f.all_ipv4_addresses, v4);
  assert.equal(f.processor_vcpus, Number(execSync('nproc').toString()));
  assert.equal(f.user_id, execSync('id -un').toString().trim());
  assert.equal(typeof f.env.PATH, 'string');
});

test('ansible_env from the shell\'s export -p (dash, bash, bash --posix) is the environment a command gets', () => {
  const tricky: Record<string, string> = {
    PLAIN: 'value',
    QUOTES: `it's "quoted" and 'single'`,
    LINES: 'first\nsecond line\n',
    DOLLAR: 'a$b`c`\\d\\',
    CONTROL: 'tab\there\x01\x1bend ✓ 🙂',
    SPACES: '  lead and trail  ',
    EMPTY: '',
    UTF: 'grüße ✓ 🙂',
  };
  // bash escapes every byte of non-ASCII text in the C locale and prints it as it is in a UTF-8 one
  for (const [shell, locale] of [['sh', 'C'], ['bash', 'C'], ['bash', 'C.UTF-8'], ['bash --posix', 'C.UTF-8']]) {
    const out = execSync(`${shell} -c 'export -p'`, { env: { ...tricky, LC_ALL: locale, PATH: '/usr/bin:/bin', HOME: '/nonexistent' } }).toString();
    const env = parseEnv(out);
    for (const [k, v] of Object.entries(tricky)) assert.equal(env[k], v, `${shell}: ${k}`);
    // the whole environment `env` run by the same shell sees, but `_` (it names env itself) and
    // SHLVL (bash lowers it when it execs its last command in place)
    const seen = Object.fromEntries(execSync(`${shell} -c 'env -0'`, { env: { ...tricky, LC_ALL: locale, PATH: '/usr/bin:/bin', HOME: '/nonexistent' } }).toString().split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    for (const k of ['_', 'SHLVL']) {
      delete seen[k];
      delete env[k];
    }
    assert.deepEqual(env, seen, shell);
  }
  // env's own output (the old script, and a shell whose export -p is another shape) still parses
  assert.deepEqual(parseEnv('A=1\nB=x\ny\n'), { A: '1', B: 'x\ny\n' });
});

test('processor_nproc from the shell\'s Cpus_allowed_list, else nproc\'s number', () => {
  assert.equal(parseNproc('list=0-3,6').processor_nproc, 5);
  assert.equal(parseNproc('list=0').processor_nproc, 1);
  assert.equal(parseNproc('list=0-1,4-5,8').processor_vcpus, 5);
  assert.equal(parseNproc('4\n').processor_nproc, 4);
});
