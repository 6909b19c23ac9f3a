import { createHash, randomInt } from 'node:crypto';
import { TemplateError } from './py.js';

/**
 * SHA-crypt ($5$ and $6$, Drepper's specification) and MD5-crypt ($1$), the formats of
 * /etc/shadow that Ansible's password_hash filter writes. Node has no crypt(3); these are the
 * specifications' algorithms.
 */

const ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** The byte triples of the final digest, in the order the specification encodes them. */
const ORDER: Record<'sha256' | 'sha512', number[][]> = {
  sha256: [[0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26], [27, 7, 17], [18, 28, 8], [9, 19, 29]],
  sha512: [[0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48], [28, 49, 7], [50, 8, 29], [9, 30, 51],
    [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13], [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41]],
};

function b64(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++, w >>= 6) out += ALPHABET[w & 0x3f];
  return out;
}

/** `len` bytes of `block` repeated. */
function repeat(block: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += block.length) block.copy(out, i, 0, Math.min(block.length, len - i));
  return out;
}

export function shaCrypt(algo: 'sha256' | 'sha512', secret: string, salt: string, rounds?: number): string {
  const H = (...parts: Buffer[]) => {
    const h = createHash(algo);
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const P = Buffer.from(secret, 'utf8');
  const S = Buffer.from(salt.slice(0, 16), 'utf8');
  const n = rounds === undefined ? 5000 : Math.min(999_999_999, Math.max(1000, rounds));
  const B = H(P, S, P);
  const a: Buffer[] = [P, S, repeat(B, P.length)];
  for (let len = P.length; len > 0; len >>= 1) a.push(len & 1 ? B : P);
  const A = H(...a);
  const Pp = repeat(H(...Array(P.length).fill(P)), P.length);
  const Sp = repeat(H(...Array(16 + A[0]).fill(S)), S.length);
  let C = A;
  for (let i = 0; i < n; i++) {
    const parts: Buffer[] = [i & 1 ? Pp : C];
    if (i % 3) parts.push(Sp);
    if (i % 7) parts.push(Pp);
    parts.push(i & 1 ? C : Pp);
    C = H(...parts);
  }
  let enc = ORDER[algo].map(([x, y, z]) => b64(C[x], C[y], C[z], 4)).join('');
  enc += algo === 'sha512' ? b64(0, 0, C[63], 2) : b64(0, C[31], C[30], 3);
  const id = algo === 'sha512' ? '6' : '5';
  return `$${id}$${rounds === undefined ? '' : `rounds=${n}$`}${S.toString('utf8')}$${enc}`;
}

/** MD5-crypt ($1$, Poul-Henning Kamp's algorithm), the oldest format crypt(3) reads. */
export function md5Crypt(secret: string, salt: string): string {
  const H = (...parts: Buffer[]) => {
    const h = createHash('md5');
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const P = Buffer.from(secret, 'utf8');
  const S = Buffer.from(salt.slice(0, 8), 'utf8');
  const alt = H(P, S, P);
  const a: Buffer[] = [P, Buffer.from('$1$'), S];
  for (let len = P.length; len > 0; len -= 16) a.push(alt.subarray(0, Math.min(16, len)));
  for (let i = P.length; i; i >>= 1) a.push(i & 1 ? Buffer.alloc(1) : P.subarray(0, 1));
  let C = H(...a);
  for (let i = 0; i < 1000; i++) {
    const parts: Buffer[] = [i & 1 ? P : C];
    if (i % 3) parts.push(S);
    if (i % 7) parts.push(P);
    parts.push(i & 1 ? C : P);
    C = H(...parts);
  }
  const enc = [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]].map(([x, y, z]) => b64(C[x], C[y], C[z], 4)).join('') + b64(0, 0, C[11], 2);
  return `$1$${S.toString('utf8')}$${enc}`;
}

const SALT_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./';

/**
 * Ansible's password_hash(hashtype, salt, rounds). Without a salt, a random one of 16 characters
 * (Ansible's size). Without rounds, crypt's implicit 5000, as Ansible writes it when it uses
 * Python's crypt (the case without passlib, Debian's default).
 */
export function passwordHash(secret: unknown, hashtype = 'sha512', salt?: unknown, rounds?: unknown): string {
  const algo = ({ sha512: 'sha512', sha512_crypt: 'sha512', sha256: 'sha256', sha256_crypt: 'sha256', md5: 'md5', md5_crypt: 'md5' } as Record<string, 'sha256' | 'sha512' | 'md5'>)[String(hashtype)];
  if (!algo) throw new TemplateError(`password_hash: hash type '${hashtype}' is not supported by harun (sha512, sha256 and md5 are; bcrypt is not)`);
  // Ansible's salt sizes: 8 for md5-crypt, 16 for the SHA ones
  const size = algo === 'md5' ? 8 : 16;
  const s = salt === undefined || salt === null ? Array.from({ length: size }, () => SALT_CHARS[randomInt(SALT_CHARS.length)]).join('') : String(salt);
  if (s.length > size) throw new TemplateError(`password_hash: invalid salt size: at most ${size} characters, got ${s.length}`);
  if (!/^[A-Za-z0-9./]*$/.test(s)) throw new TemplateError(`password_hash: invalid characters in salt '${s}'`);
  const r = rounds === undefined || rounds === null ? undefined : Number(rounds);
  if (r !== undefined && !Number.isInteger(r)) throw new TemplateError(`password_hash: rounds must be an integer, got ${JSON.stringify(rounds)}`);
  if (algo === 'md5') {
    if (r !== undefined) throw new TemplateError('password_hash: md5 has no rounds');
    return md5Crypt(String(secret), s);
  }
  // Ansible leaves out the rounds equal to passlib's default, and crypt then uses its own 5000
  const implicit = algo === 'sha512' ? 656000 : 535000;
  return shaCrypt(algo, String(secret), s, r === implicit ? undefined : r);
}
