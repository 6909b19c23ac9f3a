import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionsError, ValidationError } from '../../../src/errors.js';
import { loadInventory } from '../../../src/inventory/index.js';
import { clusterSpec } from '../../../src/verify/cluster.js';
import { checkFault } from '../../../src/verify/faults.js';
import { prepareVerify } from '../../../src/verify/index.js';
import { prepareDuring } from '../../../src/verify/during.js';

function inventory(text: string, name = 'hosts.ini') {
  const dir = mkdtempSync(join(tmpdir(), 'harun-verify-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return { file, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const SEED = `[directors]
lb1 ansible_host=192.168.2.1
lb2 ansible_host=192.168.2.10
[realservers]
web1 ansible_host=192.168.2.30
web2 ansible_host=192.168.2.40 lvs_address=10.0.0.40
[clients]
client ansible_host=192.168.2.20
[all:vars]
lvs_vip=192.168.2.100
lvs_port=8080
`;

test('the seed inventory: VIP, port, directors, real server addresses and the client', () => {
  const inv = inventory(SEED);
  try {
    const s = clusterSpec(loadInventory([inv.file]));
    assert.equal(s.vip, '192.168.2.100');
    assert.equal(s.port, 8080);
    assert.deepEqual(s.directors.map((d) => d.name), ['lb1', 'lb2']);
    // lvs_address wins over ansible_host: it is the address on the cluster network
    assert.deepEqual(s.realservers.map((r) => r.address), ['192.168.2.30', '10.0.0.40']);
    assert.equal(s.client?.name, 'client');
    assert.equal(s.labDir, undefined);
  } finally {
    inv.cleanup();
  }
});

test('a lab inventory (YAML): lab_address, templated VIP, harun_lab_dir', () => {
  const inv = inventory(
    `all:
  vars:
    net: 10.222.2
    lvs_vip: "{{ net }}.100"
    harun_lab_dir: /tmp/some-lab
    harun_lab_provider: uml
  children:
    directors:
      hosts:
        lb1: { ansible_host: 127.0.0.1, ansible_port: 2201, lab_address: 10.222.2.1 }
    realservers:
      hosts:
        web1: { ansible_host: 127.0.0.1, ansible_port: 2204, lab_address: 10.222.2.30 }
`,
    'inventory.yml',
  );
  try {
    const s = clusterSpec(loadInventory([inv.file]));
    assert.equal(s.vip, '10.222.2.100');
    assert.equal(s.port, 80, 'the role default');
    assert.equal(s.realservers[0].address, '10.222.2.30');
    assert.equal(s.labDir, '/tmp/some-lab');
    assert.equal(s.client, undefined);
    assert.equal(checkFault('crash', s), 'crash');
  } finally {
    inv.cleanup();
  }
});

test('bad inventories: no directors, no real servers, no VIP, a bad VIP, directors that disagree', () => {
  const cases: Array<[string, RegExp]> = [
    ['[realservers]\nweb1\n[all:vars]\nlvs_vip=10.0.0.100\n', /no hosts in group 'directors'/],
    ['[directors]\nlb1\n[all:vars]\nlvs_vip=10.0.0.100\n', /no hosts in group 'realservers'/],
    ['[directors]\nlb1\nlb2\n[realservers]\nweb1\n', /lvs_vip is not set for lb1, lb2/],
    ['[directors]\nlb1\n[realservers]\nweb1\n[all:vars]\nlvs_vip=10.0.0.300\n', /lvs_vip: expected an IPv4 address .* got "10\.0\.0\.300"/],
    ['[directors]\nlb1 lvs_vip=10.0.0.1\nlb2 lvs_vip=10.0.0.2\n[realservers]\nweb1\n', /disagree on lvs_vip: 10\.0\.0\.1 \(lb1\) vs 10\.0\.0\.2 \(lb2\)/],
    ['[directors]\nlb1\n[realservers]\nweb1\n[all:vars]\nlvs_vip=10.0.0.100\nlvs_port=http\n', /lvs_port: expected a port/],
  ];
  for (const [text, re] of cases) {
    const inv = inventory(text);
    try {
      assert.throws(() => clusterSpec(loadInventory([inv.file])), (e: unknown) => e instanceof ValidationError && e.exitCode === 4 && re.test(e.message), text);
    } finally {
      inv.cleanup();
    }
  }
});

test('prepareVerify refuses bad input before connecting: exit 4 for the inventory, 5 for --fault', () => {
  const noVip = inventory('[directors]\nlb1 ansible_host=203.0.113.1\n[realservers]\nweb1 ansible_host=203.0.113.2\n');
  const seed = inventory(SEED);
  try {
    const opts = { fault: 'kill', requests: 20, timeoutS: 30, log: () => {} };
    assert.throws(() => prepareVerify({ ...opts, inventory: [noVip.file] }), (e: unknown) => e instanceof ValidationError && /lvs_vip is not set/.test(e.message));
    // crash needs a lab: real machines are not hard-stopped
    assert.throws(() => prepareVerify({ ...opts, fault: 'crash', inventory: [seed.file] }), (e: unknown) => e instanceof OptionsError && e.exitCode === 5 && /only for lab hosts/.test(e.message));
    assert.throws(() => prepareVerify({ ...opts, fault: 'reboot', inventory: [seed.file] }), /--fault: expected one of kill, stop, isolate, crash/);
    assert.equal(typeof prepareVerify({ ...opts, inventory: [seed.file] }).run, 'function');
  } finally {
    noVip.cleanup();
    seed.cleanup();
  }
});

test('verify --during refuses before connecting: no command, no client host (exit 5), a bad inventory (exit 4)', () => {
  const noClient = inventory('[directors]\nlb1\n[realservers]\nweb1\n[all:vars]\nlvs_vip=10.0.0.100\n');
  const seed = inventory(SEED);
  try {
    const opts = { timeoutS: 30, commandStdout: 'inherit' as const, log: () => {} };
    assert.throws(() => prepareDuring({ ...opts, inventory: [seed.file], command: [] }), (e: unknown) => e instanceof OptionsError && /--during: expected a command after --/.test(e.message));
    assert.throws(() => prepareDuring({ ...opts, inventory: [noClient.file], command: ['true'] }), (e: unknown) => e instanceof OptionsError && /add one to group clients, or name one with --client/.test(e.message));
    assert.throws(() => prepareDuring({ ...opts, inventory: [seed.file], client: 'web1', command: ['true'] }), /--client web1: a real server/);
    assert.equal(typeof prepareDuring({ ...opts, inventory: [seed.file], command: ['true'] }), 'function');
  } finally {
    noClient.cleanup();
    seed.cleanup();
  }
});

test('--client picks any other inventory host as the client (this machine with ansible_connection=local); a director, a real server or an unknown host is exit 5', () => {
  const inv = inventory(SEED + '[here]\ncontroller ansible_connection=local lab_address=192.168.2.1\n');
  try {
    const i = loadInventory([inv.file]);
    assert.equal(clusterSpec(i).client?.name, 'client');
    const s = clusterSpec(i, 'controller');
    assert.equal(s.client?.name, 'controller');
    assert.equal(s.client?.vars.ansible_connection, 'local');
    assert.equal(s.client?.address, '192.168.2.1');
    for (const [host, why] of [['lb2', /--client lb2: a director holds the VIP itself/], ['web1', /--client web1: a real server holds the VIP itself/], ['nohost', /--client nohost: no such host in inventory/]] as const)
      assert.throws(() => clusterSpec(i, host), (e: unknown) => e instanceof OptionsError && e.exitCode === 5 && why.test(e.message), host);
  } finally {
    inv.cleanup();
  }
});
