import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectSecrets, splitVaultId } from '../../../src/vault/sources.js';
import { setVaultSecrets } from '../../../src/vault/keyring.js';
import { encrypt } from '../../../src/vault/crypto.js';
import { renderValue } from '../../../src/vars/template.js';
import { mask } from '../../../src/report/mask.js';
import { loadConfig } from '../../../src/config/cfg.js';

const dir = mkdtempSync(join(tmpdir(), 'harun-vault-src-'));
const f = (n: string) => join(dir, n);
writeFileSync(f('file'), '  from-a-file \n');
writeFileSync(f('script'), '#!/bin/sh\necho "from-a-script"\n');
chmodSync(f('script'), 0o755);
writeFileSync(f('label-client'), '#!/bin/sh\n[ "$1" = --vault-id ] && echo "client-for-$2"\n');
chmodSync(f('label-client'), 0o755);
const none = { vaultPasswordFile: undefined, vaultIdentityList: [] };
const ask = async (p: string) => `asked(${p})`;
const shown = (s: { label: string; password: Buffer }[]) => s.map((x) => `${x.label}=${x.password.toString()}`);

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('[label@]source: files are trimmed, executables print it, *-client scripts get --vault-id, prompt asks', async () => {
  assert.deepEqual(splitVaultId('dev@x@y'), { label: 'dev', source: 'x@y' });
  assert.deepEqual(splitVaultId('plain'), { label: 'default', source: 'plain' });
  const s = await collectSecrets({ vaultId: [`a@${f('file')}`, `b@${f('script')}`, `prod@${f('label-client')}`, 'c@prompt'], vaultPasswordFile: [], askVaultPass: true }, none, ask);
  assert.deepEqual(shown(s), ['a=from-a-file', 'b=from-a-script', 'prod=client-for-prod', 'c=asked(Vault password (c): )', 'default=asked(Vault password: )']);
});

test('the environment and the config: ANSIBLE_VAULT_PASSWORD_FILE / vault_password_file only without --vault-password-file; the identity list first', async () => {
  const cfgDir = mkdtempSync(join(dir, 'cfg-'));
  writeFileSync(join(cfgDir, 'ansible.cfg'), `[defaults]\nvault_password_file = ../file\nvault_identity_list = s@../script, p@prompt\n`);
  const cfg = loadConfig(cfgDir);
  assert.equal(cfg.vaultPasswordFile, f('file'));
  assert.deepEqual(shown(await collectSecrets({ vaultId: [], vaultPasswordFile: [] }, cfg, ask)), ['s=from-a-script', 'p=asked(Vault password (p): )', 'default=from-a-file']);
  assert.deepEqual(shown(await collectSecrets({ vaultId: [], vaultPasswordFile: [f('script')] }, cfg, ask)), ['s=from-a-script', 'p=asked(Vault password (p): )', 'default=from-a-script']);
  process.env.ANSIBLE_VAULT_PASSWORD_FILE = f('script');
  process.env.ANSIBLE_VAULT_IDENTITY_LIST = `e@${f('file')}`;
  try {
    assert.deepEqual(shown(await collectSecrets({ vaultId: [], vaultPasswordFile: [] }, cfg, ask)), ['e=from-a-file', 'default=from-a-script']);
  } finally {
    delete process.env.ANSIBLE_VAULT_PASSWORD_FILE;
    delete process.env.ANSIBLE_VAULT_IDENTITY_LIST;
  }
});

test('a missing file, a failing script and an empty password are option errors that show no password', async () => {
  await assert.rejects(collectSecrets({ vaultId: [], vaultPasswordFile: [f('nope')] }, none, ask), /--vault-password-file: the vault password file .*nope was not found/);
  writeFileSync(f('fails'), '#!/bin/sh\necho leaked-password; exit 3\n');
  chmodSync(f('fails'), 0o755);
  await assert.rejects(collectSecrets({ vaultId: [`x@${f('fails')}`], vaultPasswordFile: [] }, none, ask), (e: Error) => /--vault-id: the vault password script .*fails failed \(exit 3\)/.test(e.message) && !e.message.includes('leaked'));
  writeFileSync(f('empty'), '\n');
  await assert.rejects(collectSecrets({ vaultId: [], vaultPasswordFile: [f('empty')] }, none, ask), /is empty/);
});

test("lookup('unvault') opens a vaulted file on the controller and masks what it held", () => {
  writeFileSync(f('vaulted.txt'), encrypt('unvaulted-text-0042\n', Buffer.from('k')));
  writeFileSync(f('clear.txt'), 'clear text\n');
  setVaultSecrets([{ label: 'default', password: Buffer.from('k') }]);
  assert.equal(renderValue(`{{ lookup('unvault', '${f('vaulted.txt')}') }}`, {}), 'unvaulted-text-0042\n');
  assert.equal(renderValue(`{{ lookup('unvault', '${f('clear.txt')}') }}`, {}), 'clear text\n');
  assert.equal(mask('got unvaulted-text-0042'), 'got ********');
  assert.throws(() => renderValue(`{{ lookup('unvault', '${f('missing.txt')}') }}`, {}), /could not locate file in lookup: .*missing\.txt/);
});
