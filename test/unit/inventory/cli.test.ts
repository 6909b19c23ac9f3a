import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { OptionsError } from '../../../src/errors.js';
import { registerInventory, runInventory } from '../../../src/cli/inventory.js';
import { FIX, tempTree } from './fixtures.js';

// expected/ holds what ansible-inventory 2.14 printed for the same fixtures (see its README)
const expected = (name: string) => readFileSync(join(FIX, 'expected', name), 'utf8').trimEnd();
const empty = mkdtempSync(join(tmpdir(), 'harun-inv-pb-'));
const run = (inventory: string[], o: Record<string, unknown>) => runInventory({ inventory, playbookDir: empty, ...o });

test.after(() => rmSync(empty, { recursive: true, force: true }));

test('--list matches ansible-inventory for INI, YAML and directory inventories', () => {
  assert.equal(run([join(FIX, 'basic/hosts.ini')], { list: true }), expected('basic.list.json'));
  assert.equal(run([join(FIX, 'yaml/hosts.yml')], { list: true }), expected('yaml.list.json'));
  assert.equal(run([join(FIX, 'dir')], { list: true }), expected('dir.list.json'));
});

test('--list shape: _meta.hostvars, all.children, groups with hosts/children, empty groups left out', () => {
  const out = JSON.parse(run([join(FIX, 'basic/hosts.ini')], { list: true }));
  assert.deepEqual(Object.keys(out).sort(), ['_meta', 'all', 'db', 'lb', 'site', 'ungrouped', 'web']);
  assert.deepEqual(out.all, { children: ['ungrouped', 'site'] });
  assert.deepEqual(out.site, { children: ['web', 'db', 'lb'] });
  assert.equal(out._meta.hostvars.web01.x, 'a b');
  assert.equal(out._meta.hostvars.web1.inventory_file, undefined);
  const bare = JSON.parse(run(['a,'], { list: true }));
  assert.deepEqual(bare, { _meta: { hostvars: {} }, all: { children: ['ungrouped'] }, ungrouped: { hosts: ['a'] } });
});

test('--list --yaml, --graph and --host match ansible-inventory', () => {
  assert.equal(run([join(FIX, 'yaml/hosts.yml')], { list: true, yaml: true }), expected('yaml.list.yaml'));
  assert.equal(run([join(FIX, 'basic/hosts.ini')], { graph: true }), expected('basic.graph.txt'));
  assert.equal(run([join(FIX, 'yaml/hosts.yml')], { graph: true }), expected('yaml.graph.txt'));
  assert.equal(run([join(FIX, 'basic/hosts.ini')], { host: 'web01' }), expected('basic.host-web01.json'));
});

test('--graph GROUP starts the tree at that group', () => {
  assert.equal(run([join(FIX, 'basic/hosts.ini')], { graph: 'db' }), '@db:\n  |--dba\n  |--dbb\n  |--dbc');
});

test('bad option combinations are OptionsErrors (exit 5)', () => {
  const inv = [join(FIX, 'basic/hosts.ini')];
  for (const o of [{}, { list: true, graph: true }, { host: 'web*' }, { host: 'nope' }, { graph: 'nope' }, { graph: true, yaml: true }]) {
    assert.throws(() => run(inv, o), (e: Error) => e instanceof OptionsError && e.exitCode === 5, JSON.stringify(o));
  }
  assert.throws(() => runInventory({ list: true }), /needs an inventory/);
});

test('the command sets exit code 4 and prints the located error for a broken inventory', async () => {
  const { dir: d, cleanup } = tempTree({ 'bad.ini': '[web:oops]\n' });
  try {
    const program = new Command().exitOverride();
    registerInventory(program);
    const errs: string[] = [];
    const write = process.stderr.write;
    const prevCode = process.exitCode;
    process.stderr.write = ((s: string) => (errs.push(s), true)) as typeof process.stderr.write;
    try {
      await program.parseAsync(['node', 'harun', 'inventory', '-i', join(d, 'bad.ini'), '--list']);
      assert.equal(process.exitCode, 4);
    } finally {
      process.stderr.write = write;
      process.exitCode = prevCode;
    }
    assert.match(errs.join(''), /bad\.ini:1:6: section \[web:oops\] has unknown type 'oops'.*\n {2}\[web:oops\]\n {7}\^/);
  } finally {
    cleanup();
  }
});
