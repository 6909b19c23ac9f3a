/**
 * Vaulted data as the loaders meet it: an inline `!vault |` value, or a whole encrypted file.
 * With vault passwords given, both are opened when they are loaded (a wrong password stops the
 * run before any host is touched). Without any, an inline value stays a VaultText and is opened
 * only when a template uses it, so a run that never uses it needs no password.
 */
import type { SourcePos } from '../errors.js';
import { registerSecret, registerSecretsIn } from '../report/mask.js';
import { isVaultText } from './crypto.js';
import { openVault, vaultSecrets } from './keyring.js';

export class VaultText {
  constructor(
    readonly ciphertext: string,
    readonly pos: SourcePos,
  ) {}

  reveal(): string {
    const plain = openVault(this.ciphertext, this.pos.file, this.pos).toString('utf8');
    registerSecret(plain);
    return plain;
  }

  /** As `ansible-inventory --list` shows an unopened vault value. */
  toJSON(): unknown {
    return { __ansible_vault: this.ciphertext };
  }
}

/** What a `!vault` scalar loads as: its plaintext when passwords were given, else a VaultText. */
export function inlineVault(ciphertext: string, pos: SourcePos): string | VaultText {
  const v = new VaultText(ciphertext, pos);
  return vaultSecrets().length ? v.reveal() : v;
}

/**
 * The text of a file as the YAML loaders read it: a whole encrypted file is opened (and every
 * value it holds registered for masking by the caller through `registerSecretsIn`).
 */
export function fileText(text: string, file: string): { text: string; vaulted: boolean } {
  if (!isVaultText(text)) return { text, vaulted: false };
  return { text: openVault(text, file).toString('utf8'), vaulted: true };
}

export { registerSecretsIn };
