/**
 * The vault passwords of this run (set once by the CLI from --vault-id, --vault-password-file,
 * --ask-vault-pass, the environment and the config) and the one function that opens a vault
 * text with them. Callers register what they opened for masking (report/mask.ts): a value
 * whole, a vars file leaf by leaf, a file sent to hosts line by line.
 */
import { formatPos, ValidationError, type SourcePos } from '../errors.js';
import { decryptWith, encrypt, parseEnvelope, VaultFormatError } from './crypto.js';

export interface VaultSecret {
  label: string;
  password: Buffer;
}

let secrets: VaultSecret[] = [];

export function setVaultSecrets(s: VaultSecret[]): void {
  secrets = s;
}

export function vaultSecrets(): readonly VaultSecret[] {
  return secrets;
}

/** Could not open a vault: a parse-time error (exit 4), naming the file or file:line. */
export class VaultError extends ValidationError {
  constructor(message: string, source?: SourcePos) {
    super('vault', message, source);
  }
}

const HOW = 'give it with --vault-password-file, --vault-id or --ask-vault-pass';

/**
 * The plaintext of a vault text. `what` names where it came from (a file, or file:line of an
 * inline value). The secret whose label matches the envelope's vault id is tried first, then
 * the others, as ansible-vault does.
 */
export function openVault(text: string, what: string, pos?: SourcePos): Buffer {
  return openVaultWith(text, what, pos).plain;
}

/** openVault, also telling which secret opened it (edit saves with the same one). */
export function openVaultWith(text: string, what: string, pos?: SourcePos): { plain: Buffer; secret: VaultSecret } {
  const where = pos ? formatPos(pos) : what;
  let env;
  try {
    env = parseEnvelope(text);
  } catch (e) {
    throw new VaultError(`${where}: ${(e as VaultFormatError).message}`);
  }
  if (!secrets.length) throw new VaultError(`${where} is encrypted with Ansible Vault and no vault password was given: ${HOW}`);
  const ordered = [...secrets.filter((s) => s.label === env.label), ...secrets.filter((s) => s.label !== env.label)];
  for (const s of ordered) {
    let plain: Buffer | undefined;
    try {
      plain = decryptWith(env, s.password);
    } catch (e) {
      throw new VaultError(`${where}: ${(e as Error).message}`);
    }
    if (plain) {
      return { plain, secret: s };
    }
  }
  const known = secrets.some((s) => s.label === env.label);
  const why = env.label !== 'default' && !known
    ? `it was encrypted with vault id '${env.label}', which was not given, and no other vault password opens it`
    : 'the vault password is wrong or the file was changed (its HMAC does not match)';
  throw new VaultError(`decryption failed on ${where}: ${why}`);
}

/** The secret to encrypt with: the one named by `id`, else the only one there is. */
export function encryptingSecret(id?: string): VaultSecret {
  if (id) {
    const s = secrets.find((x) => x.label === id);
    if (!s) throw new VaultError(`--encrypt-vault-id ${id}: no vault password with that id was given`);
    return s;
  }
  if (!secrets.length) throw new VaultError(`no vault password to encrypt with: ${HOW}`);
  if (secrets.length > 1) throw new VaultError(`several vault ids were given (${secrets.map((s) => s.label).join(', ')}): choose one with --encrypt-vault-id`);
  return secrets[0];
}

export function seal(plain: Buffer | string, s: VaultSecret): string {
  return encrypt(plain, s.password, s.label);
}
