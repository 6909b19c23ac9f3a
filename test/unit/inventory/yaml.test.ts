import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ValidationError } from '../../../src/errors.js';
import { loadInventory } from '../../../src/inventory/index.js';
import { FIX, withTree } from './fixtures.js';

const yamlInv = () => loadInventory([join(FIX, 'yaml/hosts.yml')]);

test('YAML: all/children/hosts/vars, ranges and ports in host keys', () => {
  const inv = yamlInv();
  assert.deepEqual(inv.hosts(), ['solo', 'mail.example.com', 'web01', 'web02', 'web03', 'wwwa.example.com', 'wwwb.example.com', 'db1', 'lb1']);
  const g = inv.groups();
  assert.deepEqual(g.ungrouped, ['solo', 'mail.example.com']);
  assert.deepEqual(g.site, ['web01', 'web02', 'web03', 'wwwa.example.com', 'wwwb.example.com', 'db1', 'lb1']);
  assert.deepEqual(inv.group('all')!.children, ['ungrouped', 'web', 'db', 'site']);
  assert.equal(inv.hostVars('wwwb.example.com').ansible_port, 2222);
  assert.equal(inv.hostVars('web02').http_port, 8080);
  assert.equal(inv.hostVars('web02').tier, 'front');
  assert.equal(inv.hostVars('solo').ntp, 'pool.example.org');
});

test('YAML: values keep YAML 1.1 types (yes is true, 0644 is octal)', () => {
  const v = yamlInv().hostVars('db1');
  assert.equal(v.enabled, true);
  assert.equal(v.mode, 420);
  assert.equal(v.ansible_user, 'postgres');
});

test('YAML: variable origins point at the key', () => {
  const inv = yamlInv();
  const file = join(FIX, 'yaml/hosts.yml');
  assert.deepEqual(inv.varOrigin('web01', 'http_port'), { file, line: 12, col: 11 });
  assert.deepEqual(inv.varOrigin('web01', 'tier'), { file, line: 15, col: 9 });
  assert.deepEqual(inv.varOrigin('wwwa.example.com', 'ansible_port'), { file, line: 13, col: 9 });
});

test('YAML: unexpected keys are skipped with a located warning, like Ansible', () => {
  withTree({ 'inv.yml': 'all:\n  host:\n    a:\n  hosts:\n    b:\n' }, (d) => {
    const inv = loadInventory([join(d, 'inv.yml')]);
    assert.deepEqual(inv.hosts(), ['b']);
    assert.equal(inv.warnings.length, 1);
    assert.match(inv.warnings[0], /unexpected key 'host' in group 'all'.*inv\.yml:2:3/);
  });
});

test('YAML: hosts given as a single string, and a file without extension', () => {
  withTree({ inventory: 'web:\n  hosts: w1\n' }, (d) => {
    assert.deepEqual(loadInventory([join(d, 'inventory')]).groups().web, ['w1']);
  });
});

function yamlError(text: string, name = 'inv.yml'): ValidationError {
  return withTree({ [name]: text }, (d) => {
    try {
      loadInventory([join(d, name)]);
    } catch (e) {
      assert.ok(e instanceof ValidationError, String(e));
      return e;
    }
    assert.fail('expected a ValidationError');
  });
}

test('YAML errors: tabs, bad sections, bad host vars, ranges, plugin files', () => {
  let e = yamlError('all:\n  hosts:\n\ta:\n');
  assert.match(e.message, /tab/i);
  assert.equal(e.source!.line, 3);
  e = yamlError('all:\n  hosts:\n    - a\n    - b\n');
  assert.match(e.message, /'hosts' of group 'all' must be a mapping, got a list/);
  assert.deepEqual([e.source!.line, e.source!.col], [2, 3]);
  e = yamlError('all:\n  hosts:\n    a: [1, 2]\n');
  assert.match(e.message, /variables of host 'a' must be a mapping/);
  assert.equal(e.source!.line, 3);
  e = yamlError('all:\n  hosts:\n    "web[9:1]":\n');
  assert.match(e.message, /begin <= end/);
  assert.deepEqual([e.source!.line, e.source!.col], [3, 5]);
  e = yamlError('plugin: aws_ec2\n');
  assert.match(e.message, /plugin configuration/);
  e = yamlError('- a\n- b\n');
  assert.match(e.message, /must be a mapping of groups, got a list/);
});

test('a file without extension that looks like YAML reports the YAML error', () => {
  const e = yamlError('all:\n  hosts:\n    a: {\n', 'inventory');
  assert.match(e.message, /YAML/);
});
