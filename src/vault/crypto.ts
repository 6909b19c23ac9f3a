/**
 * Ansible Vault's envelope and its one cipher, AES256, byte-compatible with ansible-vault:
 *
 *     $ANSIBLE_VAULT;1.1;AES256            (1.2 adds ;LABEL, the vault id)
 *     hex( hex(salt) "\n" hex(hmac) "\n" hex(ciphertext) )   in lines of 80 characters
 *
 * Keys: PBKDF2-HMAC-SHA256(password, 32-byte salt, 10000 iterations) gives 80 bytes: the AES
 * key, the HMAC key and the counter's IV. The plaintext is PKCS#7-padded to 16 bytes, then
 * AES-256-CTR; the HMAC-SHA256 covers the ciphertext and is checked before decrypting.
 */
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const HEADER = '$ANSIBLE_VAULT';

export interface Envelope {
  version: '1.1' | '1.2';
  cipher: string;
  /** The vault id of a 1.2 envelope ('default' for 1.1). */
  label: string;
  /** The hexlified payload, whitespace removed. */
  body: string;
}

/** Why a vault text could not be opened; the message never holds any part of the plaintext. */
export class VaultFormatError extends Error {}

export function isVaultText(text: string | Buffer): boolean {
  const head = typeof text === 'string' ? text.slice(0, 40) : text.subarray(0, 40).toString('latin1');
  return head.trimStart().startsWith(HEADER + ';');
}

export function parseEnvelope(text: string): Envelope {
  const lines = text.trim().split(/\r?\n/).map((l) => l.trim());
  const fields = lines[0].split(';');
  if (fields[0] !== HEADER || fields.length < 3) throw new VaultFormatError('not a vault text: the first line must be $ANSIBLE_VAULT;1.1;AES256');
  const [, version, cipher, label] = fields;
  if (version !== '1.1' && version !== '1.2') throw new VaultFormatError(`vault format ${version} is not supported (1.1 and 1.2 are)`);
  if (cipher !== 'AES256') throw new VaultFormatError(`vault cipher ${cipher} is not supported (AES256 is)`);
  if (version === '1.2' && !label) throw new VaultFormatError('vault format 1.2 needs a vault id after the cipher');
  const body = lines.slice(1).join('');
  if (!/^[0-9a-fA-F]*$/.test(body) || body.length % 2) throw new VaultFormatError('the vault payload is not hexadecimal');
  return { version, cipher, label: version === '1.2' ? label : 'default', body };
}

function unhex(s: string, what: string): Buffer {
  if (!/^[0-9a-fA-F]*$/.test(s) || s.length % 2) throw new VaultFormatError(`the vault ${what} is not hexadecimal`);
  return Buffer.from(s, 'hex');
}

function deriveKeys(password: Buffer, salt: Buffer) {
  const m = pbkdf2Sync(password, salt, 10000, 80, 'sha256');
  return { aes: m.subarray(0, 32), hmac: m.subarray(32, 64), iv: m.subarray(64, 80) };
}

/** Split the payload into salt, hmac and ciphertext. */
function payload(env: Envelope) {
  const parts = unhex(env.body, 'payload').toString('latin1').split('\n');
  if (parts.length !== 3) throw new VaultFormatError('the vault payload is damaged (expected salt, hmac and ciphertext)');
  return { salt: unhex(parts[0], 'salt'), mac: unhex(parts[1], 'hmac'), data: unhex(parts[2], 'ciphertext') };
}

/**
 * The plaintext, or undefined when the password does not open it (the HMAC does not match:
 * a wrong password or a changed file look the same, as in ansible-vault).
 */
export function decryptWith(env: Envelope, password: Buffer): Buffer | undefined {
  const { salt, mac, data } = payload(env);
  const k = deriveKeys(password, salt);
  const want = createHmac('sha256', k.hmac).update(data).digest();
  if (mac.length !== want.length || !timingSafeEqual(mac, want)) return undefined;
  const d = createDecipheriv('aes-256-ctr', k.aes, k.iv);
  const padded = Buffer.concat([d.update(data), d.final()]);
  const pad = padded[padded.length - 1];
  if (!pad || pad > 16 || pad > padded.length) throw new VaultFormatError('the vault plaintext has bad padding');
  return padded.subarray(0, padded.length - pad);
}

/** A vault text as ansible-vault writes it (header, then hex lines of 80), ending in a newline. */
export function encrypt(plain: Buffer | string, password: Buffer, label = 'default'): string {
  const data = Buffer.from(plain);
  const salt = randomBytes(32);
  const k = deriveKeys(password, salt);
  const pad = 16 - (data.length % 16);
  const c = createCipheriv('aes-256-ctr', k.aes, k.iv);
  const ct = Buffer.concat([c.update(Buffer.concat([data, Buffer.alloc(pad, pad)])), c.final()]);
  const mac = createHmac('sha256', k.hmac).update(ct).digest();
  const inner = [salt, mac, ct].map((b) => b.toString('hex')).join('\n');
  const body = Buffer.from(inner, 'latin1').toString('hex');
  const header = label === 'default' ? `${HEADER};1.1;AES256` : `${HEADER};1.2;AES256;${label}`;
  return [header, ...(body.match(/.{1,80}/g) ?? [])].join('\n') + '\n';
}
