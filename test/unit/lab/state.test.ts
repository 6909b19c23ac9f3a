import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MAX_REALSERVERS, labHosts, readState, realserverCount, writeInventory, writeState } from '../../../src/lab/common.js';
import type { LabState } from '../../../src/lab/types.js';

test('lab.json: hosts recording themselves at once all succeed, and the file holds the state as it is last', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'harun-labstate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const state: LabState = { provider: 'docker', dir, subnet: '10.222.2.0/24', vip: '10.222.2.100', hosts: [], keyFile: '', knownHosts: '', resources: {} };
  // as the providers do: each host comes up in parallel and writes the shared state
  await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    (state.resources as Record<string, number>)[`h${i}`] = i;
    await writeState(state);
  }));
  const back = await readState(dir);
  assert.equal(Object.keys(back!.resources).length, 20);
  assert.deepEqual(readdirSync(dir), ['lab.json'], 'no temp file left');
});

test('lab up --realservers: web1 ... webN at .30, .40, ... each with its own page, all in realservers; a bad count names the flag', async (t) => {
  assert.deepEqual(labHosts().map((h) => h.name), ['lb1', 'lb2', 'client', 'web1', 'web2'], 'the seed\'s five by default');
  const hosts = labHosts(3);
  assert.deepEqual(hosts.slice(3), [
    { name: 'web1', address: '10.222.2.30', web_body: '11111' },
    { name: 'web2', address: '10.222.2.40', web_body: '22222' },
    { name: 'web3', address: '10.222.2.50', web_body: '33333' },
  ]);
  assert.equal(labHosts(MAX_REALSERVERS).at(-1)!.address, '10.222.2.80', 'below the VIP');
  const dir = mkdtempSync(join(tmpdir(), 'harun-labinv-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const state: LabState = {
    provider: 'uml', dir, subnet: '10.222.2.0/24', vip: '10.222.2.100', keyFile: join(dir, 'id'), knownHosts: join(dir, 'kh'), resources: {},
    hosts: hosts.map((h, i) => ({ name: h.name, address: h.address, sshHost: '127.0.0.1', sshPort: 40000 + i })),
  };
  const inv = parse(readFileSync(await writeInventory(state), 'utf8'));
  assert.deepEqual(Object.keys(inv.all.children.realservers.hosts), ['web1', 'web2', 'web3']);
  assert.deepEqual(inv.all.children.realservers.hosts.web3, {
    ansible_host: '127.0.0.1', ansible_port: 40005, ansible_user: 'root', ansible_ssh_private_key_file: join(dir, 'id'),
    ansible_ssh_common_args: `-o UserKnownHostsFile=${join(dir, 'kh')}`, lab_address: '10.222.2.50', web_body: '33333',
  });
  assert.equal(realserverCount('3'), 3);
  for (const bad of ['0', '7', '2x', '-1', ''])
    assert.throws(() => realserverCount(bad), new RegExp(`--realservers ${bad}: expected a whole number from 1 to 6`));
});
