import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlaybook } from '../../../src/config/playbook.js';
import { ValidationError } from '../../../src/errors.js';
import { Runner, type RunOptions } from '../../../src/engine/play.js';
import { checkRoles } from '../../../src/engine/rolechecks.js';
import { loadInventory } from '../../../src/inventory/index.js';

// The bundled roles declare their variables (meta/argument_specs.yml) and their cross-host rules
// (meta/checks.yml); the engine holds every host to them before any connection. Each test
// plays the seed's inventory (or a variant) through the real roles; nothing connects.
const root = join(import.meta.dirname, '..', '..', '..', '..');
const seed = readFileSync(join(root, 'inventory', 'seed.ini'), 'utf8');

const PLAYBOOK = `
- hosts: directors:realservers
  gather_facts: false
  roles: [lvs_facts]
- hosts: directors
  gather_facts: false
  vars_files: [vars.yml]
  roles: [keepalived]
- hosts: realservers
  gather_facts: false
  roles: [realserver]
`;

/** The error checkRoles throws for this inventory (and vars file), or undefined. */
function check(inventory: string, varsFile = '{}\n', playbook = PLAYBOOK, rolesPath = [join(root, 'roles')]): { err?: ValidationError; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'harun-rolechecks-'));
  writeFileSync(join(dir, 'hosts.ini'), inventory);
  writeFileSync(join(dir, 'vars.yml'), varsFile);
  writeFileSync(join(dir, 'site.yml'), playbook);
  const plays = loadPlaybook(join(dir, 'site.yml'), { rolesPath });
  const runner = new Runner({ inventory: loadInventory([join(dir, 'hosts.ini')]), extraVars: {}, check: false, diff: false, verbosity: 0 } as unknown as RunOptions);
  try {
    checkRoles(plays, (p) => runner.varsEnv(p));
    return { dir };
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    assert.equal(e.exitCode, 4);
    return { err: e, dir };
  }
}

const lineOf = (text: string, start: string) => text.split('\n').findIndex((l) => l.startsWith(start)) + 1;

/** The error names the variable and host, and points at the line of the inventory that set it. */
function at(r: { err?: ValidationError; dir: string }, text: string, lineStart: string, msg: RegExp): void {
  assert.ok(r.err, 'expected an error');
  const line = lineOf(text, lineStart);
  assert.equal(r.err.source?.file, join(r.dir, 'hosts.ini'), r.err.describe());
  assert.equal(r.err.source?.line, line, r.err.describe());
  assert.match(r.err.message, msg);
}

test('the seed inventory passes every role\'s declarations', () => {
  assert.equal(check(seed).err?.describe(), undefined);
});

test('a VIP that is not IPv4 is reported where it was set', () => {
  const text = seed.replace('lvs_vip=192.168.2.100', 'lvs_vip=192.168.2.300');
  at(check(text), text, 'lvs_vip=', /^lvs_vip of host lb1 \(set at .*hosts\.ini:\d+:\d+\): expected an IPv4 address such as 192\.168\.2\.100, got "192\.168\.2\.300"/);
});

test('a VRID outside 1..255, set for the group, is reported once at the group line', () => {
  for (const bad of ['0', '256', 'x']) {
    const text = seed.replace('vrrp_router_id=51', `vrrp_router_id=${bad}`);
    at(check(text), text, 'vrrp_router_id=', /^vrrp_router_id of host lb1 .*: a VRRP virtual_router_id \(VRID\): expected (a value from 1 to 255|an integer)/);
  }
});

test('a priority outside 1..254 on one host', () => {
  const text = seed.replace('vrrp_priority=90', 'vrrp_priority=255');
  at(check(text), text, 'lb2 ', /^vrrp_priority of host lb2 .*: a VRRP priority \(255 is reserved for the address owner\): expected a value from 1 to 254, got 255/);
});

test('two MASTERs: the second is reported, naming both', () => {
  const text = seed.replace('vrrp_state=BACKUP', 'vrrp_state=MASTER');
  at(check(text), text, 'lb2 ', /^vrrp_state of host lb2 .*: lb1 and lb2 are all MASTER of virtual router 51: exactly one director may be MASTER/);
});

test('directors disagreeing on the VRID', () => {
  const text = seed.replace('vrrp_priority=90', 'vrrp_priority=90 vrrp_router_id=52');
  at(check(text), text, 'lb2 ', /^vrrp_router_id of host lb2 .*: 52 differs from 51 of lb1: the directors of one cluster share one virtual_router_id/);
});

test('a VIP equal to a host\'s ansible_host', () => {
  const text = seed.replace('lvs_vip=192.168.2.100', 'lvs_vip=192.168.2.30');
  at(check(text), text, 'lvs_vip=', /^lvs_vip of host lb1 .*: 192\.168\.2\.30 is also ansible_host of host web1: the VIP must be an address no host owns/);
});

test('a VIP equal to a host\'s lvs_address', () => {
  const text = seed.replace('web_body="11111"', 'web_body="11111" lvs_address=192.168.2.100');
  const r = check(text);
  assert.match(r.err?.message ?? '', /^lvs_vip of host .*: 192\.168\.2\.100 is also lvs_address of host web1/);
});

test('a bad scheduler, and NAT refused as not built', () => {
  let text = seed.replace('lvs_algo=rr', 'lvs_algo=roundrobin');
  at(check(text), text, 'lvs_algo=', /an IPVS scheduler: expected one of rr, wrr, lc, wlc/);
  text = seed.replace('lvs_kind=DR', 'lvs_kind=NAT');
  at(check(text), text, 'lvs_kind=', /these roles set up direct routing \(DR\) only, .*: expected one of DR, got "NAT"/);
});

test('an auth pass longer than 8 characters, without echoing it', () => {
  const text = seed.replace('vrrp_advert_int=1\n', 'vrrp_advert_int=1\nvrrp_auth_pass="supersecret"\n');
  const r = check(text);
  at(r, text, 'vrrp_auth_pass=', /keepalived uses only the first 8 characters of auth_pass: expected at most 8 characters, this one has 11$/);
  assert.ok(!r.err!.describe().includes('supersecret'));
});

test('lvs_vip unset: reported as required by the role, at its argument spec', () => {
  const text = seed.replace('lvs_vip=192.168.2.100\n', '');
  const r = check(text);
  assert.match(r.err?.message ?? '', /^lvs_vip of host lb1: is not set, and role lvs_facts requires it \(the virtual IPv4 address of the cluster/);
  assert.equal(r.err?.source?.file, join(root, 'roles', 'lvs_facts', 'meta', 'argument_specs.yml'));
});

test('play vars_files count like any other variable: a VIP there passes, a bad value there is located there', () => {
  const text = seed.replace('lvs_vip=192.168.2.100\n', '');
  const play = PLAYBOOK.replaceAll('gather_facts: false\n  roles', 'gather_facts: false\n  vars_files: [vars.yml]\n  roles').replace('vars_files: [vars.yml]\n  vars_files: [vars.yml]', 'vars_files: [vars.yml]');
  assert.equal(check(text, 'lvs_vip: 192.168.2.100\n', play).err?.describe(), undefined);
  const r = check(text, '# the cluster\nlvs_vip: 10.1.2\n', play);
  assert.equal(r.err?.source?.file, join(r.dir, 'vars.yml'), r.err?.describe());
  assert.equal(r.err?.source?.line, 2);
});

test('the checks belong to the roles: a role of the same name without declarations gets none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harun-ownrole-'));
  mkdirSync(join(dir, 'keepalived', 'tasks'), { recursive: true });
  writeFileSync(join(dir, 'keepalived', 'tasks', 'main.yml'), '- debug: msg=hi\n');
  const text = seed.replace('vrrp_state=BACKUP', 'vrrp_state=MASTER').replace('lvs_vip=192.168.2.100\n', '');
  const play = '- hosts: directors\n  gather_facts: false\n  roles: [keepalived]\n';
  assert.equal(check(text, '{}\n', play, [dir]).err?.describe(), undefined);
});

test('values that need facts are left to the run', () => {
  const text = seed.replace('web_body="11111"', 'web_body="11111" lvs_address="{{ ansible_default_ipv4.address }}"');
  assert.equal(check(text).err?.describe(), undefined);
});

test('a mistake in an argument spec file is reported at its line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harun-badspec-'));
  mkdirSync(join(dir, 'r', 'tasks'), { recursive: true });
  mkdirSync(join(dir, 'r', 'meta'), { recursive: true });
  writeFileSync(join(dir, 'r', 'tasks', 'main.yml'), '- debug: msg=hi\n');
  writeFileSync(join(dir, 'r', 'meta', 'argument_specs.yml'), 'argument_specs:\n  main:\n    options:\n      port:\n        type: integer\n');
  assert.throws(
    () => check(seed, '{}\n', '- hosts: directors\n  roles: [r]\n', [dir]),
    (e: ValidationError) => e.source?.line === 5 && /argument_specs\.main\.options\.port\.type/.test(e.message),
  );
});

test('the subsecond profile: accepted alone, refused with an auth pass (never echoed), and one profile for all directors', () => {
  const sub = seed.replace('vrrp_advert_int=1\n', 'vrrp_advert_int=1\nvrrp_profile=subsecond\n');
  assert.equal(check(sub).err?.describe(), undefined);
  const withPass = sub.replace('vrrp_profile=subsecond\n', 'vrrp_profile=subsecond\nvrrp_auth_pass="s3cret"\n');
  const r = check(withPass);
  at(r, withPass, 'vrrp_auth_pass=', /^vrrp_auth_pass of host lb1 .*: is set, but vrrp_profile subsecond runs VRRPv3, which has no authentication \(RFC 5798\)/);
  assert.ok(!r.err!.describe().includes('s3cret'));
  const mixed = seed.replace('vrrp_priority=90', 'vrrp_priority=90 vrrp_profile=subsecond');
  at(check(mixed), mixed, 'lb2 ', /^vrrp_profile of host lb2 .*: subsecond differs from standard of lb1: a VRRPv2 and a VRRPv3 director do not understand each other's adverts/);
  const badName = seed.replace('vrrp_advert_int=1\n', 'vrrp_advert_int=1\nvrrp_profile=fast\n');
  at(check(badName), badName, 'vrrp_profile=', /a failover timer profile .*: expected one of standard, subsecond, got "fast"/);
  const tooSlow = sub.replace('vrrp_profile=subsecond\n', 'vrrp_profile=subsecond\nvrrp_subsecond_advert_int=1.5\n');
  at(check(tooSlow), tooSlow, 'vrrp_subsecond_advert_int=', /seconds between adverts below one second: expected a value from 0.01 to 0.99/);
});

test('directors disagreeing on the IPVS sync id', () => {
  const text = seed.replace('vrrp_priority=90', 'vrrp_priority=90 lvs_sync_id=7');
  at(check(text), text, 'lb2 ', /^lvs_sync_id of host lb2 .*: 7 differs from 51 of lb1: a BACKUP's sync daemon drops what a MASTER sends under another sync id/);
});
