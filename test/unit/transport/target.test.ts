import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { OptionsError } from '../../../src/errors.js';
import { resolveTarget } from '../../../src/transport/target.js';

let dir: string;
let cfg: string;
const key = (n: string) => join(dir, n);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'harun-target-'));
  for (const k of ['kvar', 'karg', 'kcli', 'kcfg', 'kjump']) writeFileSync(key(k), 'x');
  cfg = join(dir, 'config');
  writeFileSync(
    cfg,
    `Host web1
  HostName %h.example.net
  User cfguser
  Port 2201
  IdentityFile ${key('kcfg')}
  UserKnownHostsFile ${dir}/kh_cfg
  StrictHostKeyChecking accept-new
  ConnectTimeout 7
Host 10.1.1.1
  User alias-by-address
Host bastion
  HostName 192.0.2.10
  User jumper
  IdentityFile ${key('kjump')}
Host viajump
  ProxyJump bastion
Host badproxy
  ProxyCommand nc %h %p
`,
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

const r = (name: string, vars: Record<string, unknown> = {}, cli = {}) => resolveTarget(name, vars, { sshConfigFile: cfg, ...cli });

test('defaults: port 22, local user, 10 s timeout, strict host key checking, default known_hosts', () => {
  const t = resolveTarget('plain', {}, { sshConfigFile: '/dev/null' });
  assert.equal(t.host, 'plain');
  assert.equal(t.port, 22);
  assert.equal(t.user, userInfo().username);
  assert.equal(t.timeoutSec, 10);
  assert.equal(t.hostKeyChecking, 'yes');
  assert.deepEqual(t.knownHostsFiles.slice(0, 1), [join(homedir(), '.ssh', 'known_hosts')]);
  assert.ok(t.knownHostsFiles.includes('/etc/ssh/ssh_known_hosts'));
  assert.equal(t.jump, undefined);
});

test('ssh config applies: HostName with %h, User, Port, IdentityFile, known hosts, checking, timeout', () => {
  const t = r('web1');
  assert.equal(t.host, 'web1.example.net');
  assert.equal(t.user, 'cfguser');
  assert.equal(t.port, 2201);
  assert.deepEqual(t.identityFiles, [key('kcfg')]);
  assert.deepEqual(t.knownHostsFiles.slice(0, 1), [`${dir}/kh_cfg`]);
  assert.equal(t.hostKeyChecking, 'accept-new');
  assert.equal(t.timeoutSec, 7);
});

test('-o options beat ssh config; CLI flags sit between them', () => {
  const t = r('web1', { ansible_ssh_common_args: `-o User=ouser -o Port=2300 -i ${key('karg')}`, ansible_ssh_extra_args: '-o ConnectTimeout=3' }, { user: 'cliuser', timeoutSec: 5 });
  assert.equal(t.user, 'ouser');
  assert.equal(t.port, 2300);
  assert.deepEqual(t.identityFiles, [key('karg')]);
  assert.equal(t.timeoutSec, 3);
  const c = r('web1', {}, { user: 'cliuser', privateKey: key('kcli'), timeoutSec: 5 });
  assert.equal(c.user, 'cliuser');
  assert.deepEqual(c.identityFiles, [key('kcli')]);
  assert.equal(c.timeoutSec, 5);
});

test('explicit ansible_* variables beat everything else', () => {
  const t = r(
    'web1',
    {
      ansible_host: '10.0.0.5',
      ansible_port: 2022,
      ansible_user: 'varuser',
      ansible_ssh_pass: 's3cret',
      ansible_ssh_private_key_file: key('kvar'),
      ansible_ssh_common_args: `-o User=ouser -p 9 -i ${key('karg')}`,
    },
    { user: 'cliuser', privateKey: key('kcli') },
  );
  assert.equal(t.host, '10.0.0.5');
  assert.equal(t.port, 2022);
  assert.equal(t.user, 'varuser');
  assert.equal(t.password, 's3cret');
  assert.deepEqual(t.identityFiles, [key('kvar')]);
  assert.equal(t.agent, undefined, 'an explicit key file means that key only');
});

test('ssh config is matched against ansible_host (the name ssh is given), legacy ansible_ssh_host too', () => {
  assert.equal(r('anything', { ansible_host: '10.1.1.1' }).user, 'alias-by-address');
  assert.equal(r('anything', { ansible_ssh_host: '10.1.1.1' }).user, 'alias-by-address');
  assert.equal(r('anything', { ansible_ssh_host: '10.1.1.1' }).host, '10.1.1.1');
});

test('host key checking: CLI, then HARUN_HOST_KEY_CHECKING, then -o StrictHostKeyChecking', () => {
  assert.equal(r('web1', {}, { hostKeyChecking: false }).hostKeyChecking, 'no');
  assert.equal(r('x', { ansible_ssh_common_args: '-o StrictHostKeyChecking=no' }).hostKeyChecking, 'no');
  process.env.HARUN_HOST_KEY_CHECKING = 'false';
  try {
    assert.equal(r('x').hostKeyChecking, 'no');
    assert.equal(r('x', {}, { hostKeyChecking: true }).hostKeyChecking, 'yes');
  } finally {
    delete process.env.HARUN_HOST_KEY_CHECKING;
  }
  assert.throws(() => r('x', {}, { hostKeyChecking: 'maybe' }), OptionsError);
  assert.deepEqual(r('web1', {}, { knownHosts: '/k' }).knownHostsFiles, ['/k']);
});

test('ProxyJump: -J chain, user@host:port, hops resolved through ssh config', () => {
  const t = r('target', { ansible_host: '10.9.9.9', ansible_ssh_common_args: '-J bastion,ops@mid:2202' });
  const mid = t.jump!;
  assert.deepEqual([mid.host, mid.user, mid.port], ['mid', 'ops', 2202]);
  const first = mid.jump!;
  assert.deepEqual([first.host, first.user, first.port], ['192.0.2.10', 'jumper', 22]);
  assert.deepEqual(first.identityFiles, [key('kjump')]);
  assert.equal(first.jump, undefined);
  // From the ssh config, and "none" switches it off.
  assert.equal(r('viajump').jump?.host, '192.0.2.10');
  assert.equal(r('viajump', { ansible_ssh_common_args: '-o ProxyJump=none' }).jump, undefined);
});

test('hops inherit the known_hosts options of the target', () => {
  const t = r('t', { ansible_ssh_common_args: `-o UserKnownHostsFile=${dir}/kh -J bastion` });
  assert.deepEqual(t.jump!.knownHostsFiles.slice(0, 1), [`${dir}/kh`]);
});

test('clear errors for bad input', () => {
  assert.throws(() => r('x', { ansible_port: 'abc' }), /x: port: expected a positive integer, got "abc"/);
  assert.throws(() => r('x', { ansible_ssh_private_key_file: '/nonexistent/key' }), /does not exist/);
  assert.throws(() => r('badproxy'), /ProxyCommand is not supported.*ProxyJump/);
  assert.throws(() => r('x', { ansible_ssh_common_args: '-o "unterminated' }), /ansible_ssh_common_args/);
});
