import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setVaultSecrets } from '../../../src/vault/keyring.js';
import { loadYamlFile } from '../../../src/config/yaml.js';
import { InventoryData } from '../../../src/inventory/data.js';
import { parseIni } from '../../../src/inventory/ini.js';
import { LazyScope } from '../../../src/vars/lazy.js';
import { noTemplate, renderString } from '../../../src/vars/template.js';
import type { SourcePos } from '../../../src/errors.js';

// Tests run from dist/test/unit/lvs; the sources sit in the repository root.
const root = join(import.meta.dirname, '..', '..', '..', '..');
const at = (...p: string[]) => join(root, ...p);

/**
 * The variables of every host of inventory/seed.ini as the keepalived role sees them, without
 * facts: role defaults < group vars (all first, then deeper groups) < host vars, plus the magic
 * variables. hostvars[h] renders lazily in h's own scope, as the engine does.
 */
/** The seed's vaulted group_vars, opened with the example password named in the README. */
function seedVault(): Record<string, unknown> {
  setVaultSecrets([{ label: 'default', password: Buffer.from(readFileSync(at('inventory', 'seed-vault-pass.example'), 'utf8').trim()) }]);
  return loadYamlFile(at('inventory', 'group_vars', 'directors', 'vault.yml')) as Record<string, unknown>;
}

function seedVars(text?: string, origins?: Map<string, SourcePos | undefined>): Record<string, Record<string, unknown>> {
  const inv = new InventoryData();
  const file = at('inventory', 'seed.ini');
  parseIni(text ?? readFileSync(file, 'utf8'), file, inv);
  inv.reconcile();
  const defaults = loadYamlFile(at('roles', 'keepalived', 'defaults', 'main.yml')) as Record<string, unknown>;
  const groups: Record<string, string[]> = {};
  for (const g of inv.groups.keys()) groups[g] = inv.groupHosts(g);
  const raw: Record<string, Record<string, unknown>> = {};
  const hostvars: Record<string, unknown> = noTemplate({});
  for (const [name, host] of inv.hosts) {
    const v: Record<string, unknown> = { ...defaults };
    const own = inv.hostGroups(name).map((g) => inv.groups.get(g)!);
    own.sort((a, b) => a.depth - b.depth || a.priority - b.priority || a.name.localeCompare(b.name));
    for (const g of own) for (const [k, l] of g.vars) (v[k] = l.value), origins?.set(`${name}.${k}`, l.pos);
    // group_vars/directors/vault.yml beside seed.ini: vrrp_auth_pass, encrypted with Ansible Vault
    if (own.some((g) => g.name === 'directors')) Object.assign(v, seedVault());
    for (const [k, l] of host.vars) (v[k] = l.value), origins?.set(`${name}.${k}`, l.pos);
    Object.assign(v, { inventory_hostname: name, groups, hostvars });
    raw[name] = v;
    hostvars[name] = noTemplate(
      new Proxy(v, { get: (t, k) => (typeof k === 'string' && k in t ? new LazyScope(t).lookup(k) : undefined) }),
    );
  }
  return raw;
}

const template = readFileSync(at('roles', 'keepalived', 'templates', 'keepalived.conf.j2'), 'utf8');

for (const host of ['lb1', 'lb2']) {
  test(`keepalived.conf for seed.ini's ${host} matches the seed line for line`, () => {
    const vars = seedVars()[host];
    const got = renderString(template, vars).split('\n');
    const want = readFileSync(at('test', 'fixtures', 'lvs', `seed-keepalived-${host}.conf`), 'utf8').split('\n');
    for (let i = 0; i < Math.max(got.length, want.length); i++) {
      assert.equal(got[i], want[i], `line ${i + 1} of ${host}'s keepalived.conf`);
    }
  });
}

test('vrrp_state and vrrp_priority default from the order of groups.directors', () => {
  const all = seedVars();
  const out: string[] = [];
  for (const h of ['lb1', 'lb2']) {
    // drop the inventory's explicit values so the role defaults apply
    const { vrrp_state: _s, vrrp_priority: _p, ...v } = all[h];
    const d = loadYamlFile(at('roles', 'keepalived', 'defaults', 'main.yml')) as Record<string, unknown>;
    out.push(renderString('{{ vrrp_state }} {{ vrrp_priority }}', { ...v, vrrp_state: d.vrrp_state, vrrp_priority: d.vrrp_priority }));
  }
  assert.deepEqual(out, ['MASTER 100', 'BACKUP 90']);
});

test('unicast peers, nopreempt, HTTP_GET and no authentication render as keepalived 2.x wants', () => {
  const all = seedVars();
  const v = {
    ...all.lb2,
    vrrp_unicast: true,
    vrrp_nopreempt: true,
    vrrp_auth_pass: '',
    lvs_health_check: 'HTTP_GET',
    lvs_http_path: '/health',
  };
  const text = renderString(template, v);
  assert.match(text, /\n {4}state BACKUP\n/);
  assert.match(text, /\n {4}nopreempt\n/);
  assert.match(text, /\n {4}unicast_src_ip 192\.168\.2\.10\n {4}unicast_peer \{\n {8}192\.168\.2\.1\n {4}\}\n/);
  assert.doesNotMatch(text, /authentication/);
  assert.match(text, /HTTP_GET \{\n {12}url \{\n {16}path \/health\n {16}status_code 200\n {12}\}\n {12}connect_port 80\n/);
  // the MASTER with nopreempt still starts as BACKUP (keepalived ignores nopreempt otherwise)
  assert.match(renderString(template, { ...all.lb1, vrrp_nopreempt: true }), /\n {4}state BACKUP\n/);
});

/** A keepalived binary to check rendered files with: $KEEPALIVED_BIN, else the installed one. */
function keepalivedBin(): string | undefined {
  for (const p of [process.env.KEEPALIVED_BIN, '/usr/sbin/keepalived', '/usr/local/sbin/keepalived']) {
    if (p && existsSync(p)) return p;
  }
  return undefined;
}

test('keepalived -t accepts the rendered files (when a keepalived binary is at hand)', { skip: keepalivedBin() ? false : 'no keepalived binary (set KEEPALIVED_BIN)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lvs-ka-'));
  try {
    const all = seedVars();
    // ens33 exists on the seed's hosts, not here: -t refuses unknown interfaces and lo
    const nic = readdirSync('/sys/class/net').find((n) => n !== 'lo') ?? 'eth0';
    const variants = [
      { ...all.lb1, vrrp_interface: nic },
      { ...all.lb2, vrrp_interface: nic, vrrp_unicast: true, vrrp_nopreempt: true, lvs_health_check: 'HTTP_GET', lvs_persistence_timeout: 300 },
      { ...all.lb1, vrrp_interface: nic, lvs_algo: 'mh', lvs_sched_flags: ['mh-port'], keepalived_handover_file: join(dir, 'handover') },
    ];
    variants.forEach((v, i) => {
      const file = join(dir, `k${i}.conf`);
      writeFileSync(file, renderString(template, v));
      const r = spawnSync(keepalivedBin()!, ['-t', '-f', file], { encoding: 'utf8' });
      assert.equal(r.status, 0, `keepalived -t on variant ${i}: ${r.stderr}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scheduler flags render inside virtual_server, after lb_algo', () => {
  const text = renderString(template, { ...seedVars()['lb1'], lvs_algo: 'mh', lvs_sched_flags: ['mh-port', 'mh-fallback'] });
  assert.match(text, /\n {4}lb_algo mh\n {4}mh-port\n {4}mh-fallback\n {4}lb_kind DR\n/);
});

test('a real server marked lvs_state: drained renders with weight 0 and stays in the pool; the others keep theirs', () => {
  const seed = readFileSync(at('inventory', 'seed.ini'), 'utf8');
  const text = renderString(template, seedVars(seed.replace(/^web1 .*$/m, '$& lvs_state=drained lvs_weight=5'))['lb1']);
  assert.match(text, /real_server 192\.168\.2\.30 80 \{\n {8}weight 0\n/);
  assert.match(text, /real_server 192\.168\.2\.40 80 \{\n {8}weight 1\n/);
  const active = renderString(template, seedVars(seed.replace(/^web1 .*$/m, '$& lvs_state=active lvs_weight=5'))['lb1']);
  assert.match(active, /real_server 192\.168\.2\.30 80 \{\n {8}weight 5\n/);
});
