import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeLabVault } from '../../../src/lab/vault.js';
import { loadConfig } from '../../../src/config/cfg.js';
import { loadYamlFile } from '../../../src/config/yaml.js';
import { collectSecrets } from '../../../src/vault/sources.js';
import { setVaultSecrets } from '../../../src/vault/keyring.js';

const ROOT = resolve(import.meta.dirname, '../../../..');

test("the lab's vault: a generated password, auth_pass encrypted beside the inventory, opened through ansible.cfg's script", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'harun-lab-vault-'));
  try {
    await writeLabVault(dir);
    const file = join(dir, 'group_vars', 'directors', 'vault.yml');
    assert.match(readFileSync(file, 'utf8'), /^\$ANSIBLE_VAULT;1\.1;AES256\n/);
    assert.equal(statSync(join(dir, 'vault-pass')).mode & 0o777, 0o600);
    const script = join(ROOT, 'scripts', 'lab-vault-pass');
    assert.equal(execFileSync(script, { env: { ...process.env, HARUN_LAB_DIR: dir }, encoding: 'utf8' }), readFileSync(join(dir, 'vault-pass'), 'utf8'));
    assert.equal(execFileSync(script, { env: { ...process.env, HARUN_LAB_DIR: join(dir, 'none') }, encoding: 'utf8' }), 'no-lab-is-up\n', 'no lab: a placeholder');
    // the repository's ansible.cfg names the script: the password the run gets opens the file
    const cfg = loadConfig(ROOT);
    assert.equal(cfg.vaultPasswordFile, script);
    process.env.HARUN_LAB_DIR = dir;
    setVaultSecrets(await collectSecrets({ vaultId: [], vaultPasswordFile: [] }, cfg, async () => assert.fail('no prompt')));
    const vars = loadYamlFile(file) as Record<string, string>;
    assert.match(vars.vrrp_auth_pass, /^[A-Za-z0-9_-]{8}$/, 'keepalived reads 8 characters at most');
  } finally {
    delete process.env.HARUN_LAB_DIR;
    rmSync(dir, { recursive: true, force: true });
  }
});
