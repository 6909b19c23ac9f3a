/**
 * Controller files that modules send to hosts (copy/template/unarchive `src`) and
 * lookup('unvault'): a file encrypted with Ansible Vault is opened on the controller, as
 * Ansible does, and its text registered for masking; `decrypt: false` sends it as it is.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '../errors.js';
import { isVaultText } from './crypto.js';
import { openVault } from './keyring.js';
import { registerSecret } from '../report/mask.js';

export function readControllerFile(path: string, decrypt = true): { data: Buffer; vaulted: boolean } {
  const data = readFileSync(path);
  if (!decrypt || !isVaultText(data)) return { data, vaulted: false };
  const plain = openVault(data.toString('latin1'), path);
  // text is masked wherever it shows (a diff shows it line by line); a binary file is never printed
  if (!plain.includes(0)) registerSecret(plain.toString('utf8'));
  return { data: plain, vaulted: true };
}

/**
 * lookup('unvault', path): the file's text, opened when vaulted. Relative paths are taken from
 * the current directory (harun's lookups have no search path of files/ directories yet).
 */
export function unvault(path: string): string {
  const full = resolve(path);
  try {
    return readControllerFile(full).data.toString('utf8');
  } catch (e) {
    if (e instanceof ValidationError) throw e;
    throw new ValidationError('lookup', `lookup('unvault'): cannot read ${full}: ${(e as Error).message}`);
  }
}
