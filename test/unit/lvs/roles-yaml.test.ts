import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadYamlFile } from '../../../src/config/yaml.js';
import { evalCondition } from '../../../src/vars/template.js';

const root = join(import.meta.dirname, '..', '..', '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const PLAYBOOKS = ['site.yml', 'rollout.yml', 'upgrade-directors.yml'].map((p) => join(root, 'playbooks', p));
const yamlFiles = [...walk(join(root, 'roles')), ...PLAYBOOKS].filter((f) => /\.ya?ml$/.test(f));
const ROLES = ['lvs_facts', 'realserver', 'webserver', 'ipvsadm', 'keepalived'];

/** Task keywords the roles use; anything else in a task must be its one module. */
const KEYWORDS = new Set([
  'name', 'when', 'loop', 'loop_control', 'register', 'notify', 'vars', 'changed_when', 'failed_when',
  'check_mode', 'delegate_to', 'run_once', 'become', 'block', 'rescue', 'always', 'tags', 'until', 'retries', 'delay',
]);
const MODULES = new Set([
  'ansible.builtin.package', 'ansible.builtin.command', 'ansible.builtin.shell', 'ansible.builtin.copy',
  'ansible.builtin.template', 'ansible.builtin.file', 'ansible.builtin.service', 'ansible.builtin.systemd',
  'ansible.builtin.sysctl', 'ansible.posix.sysctl', 'ansible.builtin.meta', 'ansible.builtin.set_fact', 'ansible.builtin.assert', 'ansible.builtin.fail',
  'ansible.builtin.get_url', 'ansible.builtin.unarchive', 'ansible.builtin.include_tasks', 'ansible.builtin.apt', 'modprobe',
  'ansible.builtin.debug', 'ansible.builtin.stat', 'ansible.builtin.fetch', 'ansible.builtin.script', 'ansible.builtin.include_role', 'ansible.builtin.uri', 'ansible.builtin.group_by',
]);

function tasksOf(list: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const t of (list as Record<string, unknown>[]) ?? []) {
    out.push(t);
    for (const k of ['block', 'rescue', 'always']) if (Array.isArray(t[k])) out.push(...tasksOf(t[k]));
  }
  return out;
}

test('every YAML file of the roles and site.yml parses', () => {
  assert.ok(yamlFiles.length >= 12, `found ${yamlFiles.length} files`);
  for (const f of yamlFiles) assert.doesNotThrow(() => loadYamlFile(f), relative(root, f));
});

test('every role has defaults, tasks and a README, and site.yml plays them in order', () => {
  for (const r of ROLES) {
    for (const p of ['defaults/main.yml', 'tasks/main.yml', 'README.md']) {
      assert.ok(existsSync(join(root, 'roles', r, p)), `roles/${r}/${p}`);
    }
  }
  const plays = loadYamlFile(join(root, 'playbooks', 'site.yml')) as Record<string, unknown>[];
  const order = plays.flatMap((p) => (p.roles as string[] | undefined) ?? []);
  assert.deepEqual(order, ROLES);
  assert.deepEqual(plays.map((p) => p.hosts), ['directors:realservers', 'realservers', 'realservers', 'directors', 'directors', 'directors']);
});

test('every task is named, uses one known module, and its notify/template/include targets exist', () => {
  for (const f of yamlFiles.filter((f) => /\/(tasks|handlers)\//.test(f) || PLAYBOOKS.includes(f))) {
    const doc = loadYamlFile(f);
    const lists = PLAYBOOKS.includes(f) ? (doc as Record<string, unknown>[]).flatMap((p) => [p.pre_tasks ?? [], p.tasks ?? [], p.post_tasks ?? []]) : [doc];
    const roleDir = join(f, '..', '..');
    const handlers = existsSync(join(roleDir, 'handlers', 'main.yml'))
      ? (loadYamlFile(join(roleDir, 'handlers', 'main.yml')) as { name: string }[]).map((h) => h.name)
      : [];
    for (const t of lists.flatMap(tasksOf)) {
      const where = `${relative(root, f)}: ${String(t.name)}`;
      assert.equal(typeof t.name, 'string', `unnamed task in ${relative(root, f)}`);
      const mods = Object.keys(t).filter((k) => !KEYWORDS.has(k));
      if (!t.block) {
        assert.equal(mods.length, 1, `${where}: modules ${mods.join(',')}`);
        assert.ok(MODULES.has(mods[0]), `${where}: unknown module ${mods[0]}`);
      }
      if (t.notify) assert.ok(handlers.includes(String(t.notify)), `${where}: no handler ${String(t.notify)}`);
      const args = t[mods[0]] as Record<string, unknown> | undefined;
      if (mods[0] === 'ansible.builtin.template') assert.ok(existsSync(join(roleDir, 'templates', String(args?.src))), `${where}: template`);
      if (mods[0] === 'ansible.builtin.script') assert.ok(existsSync(join(roleDir, 'files', String((args as { cmd?: string })?.cmd ?? args).split(' ')[0])), `${where}: script`);
      // a role's include is relative to its tasks/, a playbook's to the playbook
      if (mods[0] === 'ansible.builtin.include_tasks') assert.ok(existsSync(join(PLAYBOOKS.includes(f) ? join(f, '..') : join(roleDir, 'tasks'), String(args))), `${where}: include`);
      if (mods[0] === 'ansible.builtin.include_role') {
        const r = args as { name: string; tasks_from?: string };
        assert.ok(existsSync(join(root, 'roles', r.name, 'tasks', `${r.tasks_from ?? 'main'}.yml`)), `${where}: include_role`);
      }
    }
  }
});

/** Facts of a director as Ansible (and harun) report them, with the names of `ip` interfaces. */
function facts(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    inventory_hostname: 'lb1',
    lvs_vip: '10.222.2.100',
    ansible_interfaces: ['lo', 'eth0', 'lab-br0', 'lo:0'],
    ansible_lo: { ipv4: { address: '127.0.0.1', netmask: '255.0.0.0' } },
    ansible_eth0: { ipv4: { address: '192.0.2.2', netmask: '255.255.255.0' } },
    ansible_lab_br0: { ipv4: { address: '10.222.2.1', netmask: '255.255.255.0' } },
    ansible_lo_0: { ipv4: { address: '10.222.2.100', netmask: '255.255.255.255' } },
    ansible_default_ipv4: { address: '192.0.2.2', interface: 'eth0' },
    ...extra,
  };
}

/** Which interfaces lvs_facts' discovery task accepts, evaluated as the engine would. */
function matching(vars: Record<string, unknown>): string[] {
  const tasks = loadYamlFile(join(root, 'roles', 'lvs_facts', 'tasks', 'main.yml')) as Record<string, unknown>[];
  const find = tasks.find((t) => String(t.name).startsWith('Find the interface'))!;
  const hostvars = { lb1: vars };
  const all = { ...vars, hostvars };
  return (vars.ansible_interfaces as string[]).filter((item) => {
    // task vars are raw locals: rendered lazily, per item, as the engine does
    return evalCondition(find.when as string[], all, { item, ...(find.vars as Record<string, unknown>) });
  });
}

test("lvs_facts finds the interface on the VIP's subnet with plain Jinja arithmetic", () => {
  assert.deepEqual(matching(facts()), ['lab-br0']);
  // a /23 network holds 10.222.3.100, a /25 one at .1 does not hold .200
  assert.deepEqual(matching(facts({ lvs_vip: '10.222.3.100', ansible_lab_br0: { ipv4: { address: '10.222.2.1', netmask: '255.255.254.0' } } })), ['lab-br0']);
  assert.deepEqual(matching(facts({ lvs_vip: '10.222.2.200', ansible_lab_br0: { ipv4: { address: '10.222.2.1', netmask: '255.255.255.128' } } })), []);
  // an interface without IPv4 is passed over
  assert.deepEqual(matching(facts({ ansible_interfaces: ['eth1', 'lab-br0'], ansible_eth1: { macaddress: 'x' } })), ['lab-br0']);
});
