import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { selectFacts, setup, wantedSubsets } from '../../../../src/modules/setup.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { runModule } from './helpers.js';

const facts = { hostname: 'h', kernel: 'k', memtotal_mb: 1, interfaces: ['lo', 'eth0'], eth0: { mtu: 1500 }, default_ipv4: {} };

test('gather_subset and filter select ansible_-prefixed facts', () => {
  assert.deepEqual([...wantedSubsets(['!all'])], ['min']);
  assert.deepEqual(Object.keys(selectFacts(facts, { gather_subset: ['all'], filter: [] })).sort(),
    ['ansible_default_ipv4', 'ansible_eth0', 'ansible_hostname', 'ansible_interfaces', 'ansible_kernel', 'ansible_memtotal_mb']);
  assert.deepEqual(Object.keys(selectFacts(facts, { gather_subset: ['!all'], filter: [] })).sort(), ['ansible_hostname', 'ansible_kernel']);
  assert.deepEqual(Object.keys(selectFacts(facts, { gather_subset: ['!all', 'network'], filter: ['ansible_eth*'] })), ['ansible_eth0']);
  assert.deepEqual(Object.keys(selectFacts(facts, { gather_subset: ['all'], filter: ['mem*'] })), ['ansible_memtotal_mb']);
  assert.throws(() => parseArgs('setup', setup.schema, { gather_timeout: 'x' }), /argument gather_timeout/);
});

test('setup on this host returns prefixed facts as ModuleResult.facts, unchanged', async () => {
  const r = await runModule(setup, { filter: 'ansible_kernel' });
  assert.equal(r.changed, false);
  assert.deepEqual(r.facts, { ansible_kernel: execSync('uname -r').toString().trim() });
});
