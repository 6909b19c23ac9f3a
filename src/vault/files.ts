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

export function readControllerFile(path: string, decrypt = true): { data: Buffer; vaulted: boolean } {
  const data = readFileSync(path);
  if (!decrypt || !isVaultText(data)) return { data, vaulted: false };
  return { data: openVault(data.toString('latin1'), path), vaulted: true };
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
