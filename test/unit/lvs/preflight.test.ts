import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PreflightInput } from '../../../src/engine/preflight.js';
import type { SourcePos } from '../../../src/errors.js';
import { ValidationError } from '../../../src/errors.js';
import { lvsPreflight, lvsVarsSchema } from '../../../src/lvs/schema.js';

/**
 * A small fleet: every variable remembers the line it was "written" on in a fake inventory,
 * so each error can be checked for the variable's name and its location.
 */
type Fleet = Record<string, Record<string, unknown>>;

function input(fleet: Fleet, role: string[]): PreflightInput {
  const lines = new Map<string, number>();
  let n = 1;
  for (const [h, vars] of Object.entries(fleet)) for (const k of Object.keys(vars)) lines.set(`${h}.${k}`, n++);
  return {
    hosts: role,
    vars: (h) => fleet[h] ?? {},
    origin: (h, k): SourcePos | undefined => (lines.has(`${h}.${k}`) ? { file: 'inventory/test.ini', line: lines.get(`${h}.${k}`)!, col: 1 } : undefined),
    groups: {
      all: Object.keys(fleet),
      directors: Object.keys(fleet).filter((h) => h.startsWith('lb')),
      realservers: Object.keys(fleet).filter((h) => h.startsWith('web')),
    },
  };
}

function good(): Fleet {
  return {
    lb1: { ansible_host: '192.168.2.1', lvs_vip: '192.168.2.100', vrrp_router_id: 51, vrrp_priority: 100, vrrp_state: 'MASTER', lvs_algo: 'rr', lvs_kind: 'DR', vrrp_auth_pass: '1111' },
    lb2: { ansible_host: '192.168.2.10', lvs_vip: '192.168.2.100', vrrp_router_id: '51', vrrp_priority: '90', vrrp_state: 'BACKUP', lvs_algo: 'rr', lvs_kind: 'DR', vrrp_auth_pass: 1111 },
    web1: { ansible_host: '192.168.2.30', lvs_vip: '192.168.2.100' },
  };
}

const directors = (f: Fleet) => lvsPreflight.keepalived(input(f, ['lb1', 'lb2']));

/** The one error expected: a ValidationError naming the variable, located where it was set. */
function only(errors: ValidationError[], variable: string, host: string, fleet: Fleet, text: RegExp): void {
  assert.equal(errors.length, 1, errors.map((e) => e.describe()).join('\n'));
  const e = errors[0];
  assert.ok(e instanceof ValidationError);
  assert.equal(e.exitCode, 4);
  assert.ok(e.message.startsWith(`${variable} of host ${host} (set at inventory/test.ini:`), e.message);
  const want = input(fleet, []).origin(host, variable);
  assert.deepEqual(e.source, want);
  assert.match(e.describe(), new RegExp(`^inventory/test\\.ini:${want!.line}:1: `));
  assert.match(e.message, text);
}

test('the seed-like fleet passes, with INI-style strings for numbers', () => {
  assert.deepEqual(directors(good()), []);
  assert.deepEqual(lvsPreflight.realserver(input(good(), ['web1'])), []);
});

test('a VIP that is not IPv4', () => {
  const f = good();
  f.lb1.lvs_vip = '192.168.2.300';
  only(directors(f), 'lvs_vip', 'lb1', f, /expected an IPv4 address.*got "192\.168\.2\.300"/);
});

test('a VRID outside 1..255', () => {
  for (const bad of [0, 256, '300']) {
    const f = good();
    f.lb1.vrrp_router_id = bad;
    f.lb2.vrrp_router_id = bad;
    const errs = directors(f);
    assert.equal(errs.length, 2, errs.map((e) => e.message).join('\n'));
    only([errs[0]], 'vrrp_router_id', 'lb1', f, /VRID.*from 1 to 255/);
    only([errs[1]], 'vrrp_router_id', 'lb2', f, /VRID.*from 1 to 255/);
  }
});

test('a priority outside 1..254', () => {
  for (const bad of [0, 255, -1, 'high']) {
    const f = good();
    f.lb2.vrrp_priority = bad;
    only(directors(f), 'vrrp_priority', 'lb2', f, /priority.*from 1 to 254/);
  }
});

test('two MASTERs', () => {
  const f = good();
  f.lb2.vrrp_state = 'MASTER';
  only(directors(f), 'vrrp_state', 'lb2', f, /lb1 and lb2 are all MASTER of virtual router 51/);
});

test('directors disagreeing on the VRID', () => {
  const f = good();
  f.lb2.vrrp_router_id = 52;
  only(directors(f), 'vrrp_router_id', 'lb2', f, /52 differs from 51 of lb1/);
});

test('a VIP equal to a host address (ansible_host or lvs_address)', () => {
  const f = good();
  f.lb1.lvs_vip = '192.168.2.30';
  only(directors(f), 'lvs_vip', 'lb1', f, /192\.168\.2\.30 is also ansible_host of host web1 \(inventory\/test\.ini:\d+:1\)/);
  const g = good();
  g.web1.lvs_address = '192.168.2.100';
  const errs = lvsPreflight.realserver(input(g, ['web1']));
  only(errs, 'lvs_vip', 'web1', g, /is also lvs_address of host web1/);
});

test('a bad scheduler, and NAT/TUN refused as not built', () => {
  const f = good();
  f.lb1.lvs_algo = 'roundrobin';
  only(directors(f), 'lvs_algo', 'lb1', f, /expected one of rr, wrr, lc, wlc/);
  for (const kind of ['NAT', 'TUN']) {
    const g = good();
    g.lb2.lvs_kind = kind;
    only(directors(g), 'lvs_kind', 'lb2', g, new RegExp(`lb_kind ${kind} is not built: .*direct routing \\(DR\\) only`));
  }
  const h = good();
  h.lb2.lvs_kind = 'dr-ish';
  only(directors(h), 'lvs_kind', 'lb2', h, /expected DR/);
});

test('an auth pass longer than 8 characters, without echoing it', () => {
  const f = good();
  f.lb1.vrrp_auth_pass = 'supersecret';
  const errs = directors(f);
  assert.equal(errs.length, 1);
  assert.match(errs[0].message, /^vrrp_auth_pass of host lb1 \(set at inventory\/test\.ini:\d+:1\): keepalived uses only the first 8 characters of auth_pass and this one has 11/);
  assert.ok(!errs[0].message.includes('supersecret'), errs[0].message);
});

test('lvs_vip unset, and defaults that still need facts are not judged', () => {
  const f = good();
  delete f.web1.lvs_vip;
  f.web1.lvs_address = "{{ lvs_facts_address | default(ansible_default_ipv4.address) }}";
  const errs = lvsPreflight.realserver(input(f, ['web1']));
  assert.equal(errs.length, 1);
  assert.match(errs[0].message, /^lvs_vip of host web1 \(set by a role default or on the command line\): is not set/);
});

test('one error per place: a group variable wrong on every host is reported once', () => {
  const f = good();
  const input2 = input(f, ['lb1', 'lb2']);
  const shared: SourcePos = { file: 'inventory/group_vars/directors.yml', line: 3, col: 1 };
  const errs = lvsPreflight.keepalived({
    ...input2,
    vars: (h) => ({ ...f[h], lvs_port: 70000 }),
    origin: (h, k) => (k === 'lvs_port' ? shared : input2.origin(h, k)),
  });
  assert.equal(errs.length, 1, errs.map((e) => e.message).join('\n'));
  assert.match(errs[0].describe(), /^inventory\/group_vars\/directors\.yml:3:1: lvs_port of host lb1 .*from 1 to 65535, got 70000/);
});

test('the schema reads INI strings and Ansible booleans', () => {
  const r = lvsVarsSchema.parse({ vrrp_router_id: '51', vrrp_unicast: 'yes', vrrp_nopreempt: 'False', vrrp_advert_int: '1' });
  assert.deepEqual(r, { vrrp_router_id: 51, vrrp_unicast: true, vrrp_nopreempt: false, vrrp_advert_int: 1 });
});

test('a host whose variables cannot be read yet is not reported as missing lvs_vip', () => {
  const f = good();
  const i = input(f, ['lb1', 'lb2']);
  const errs = lvsPreflight.keepalived({
    ...i,
    vars: (h) => {
      if (h === 'lb2') throw new Error("'ansible_default_ipv4' is undefined");
      return f[h];
    },
  });
  assert.deepEqual(errs.map((e) => e.message), []);
});
