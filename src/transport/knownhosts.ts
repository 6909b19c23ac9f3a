import { createHmac } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { matchPattern } from './sshconfig.js';

/** One key line of a known_hosts file that names the host being checked. */
export interface KnownKey {
  file: string;
  line: number;
  keyType: string;
  /** base64 of the public key blob, as written in the file. */
  key: string;
  revoked: boolean;
}

export type HostKeyVerdict =
  | { status: 'ok'; entry: KnownKey }
  | { status: 'unknown' }
  | { status: 'changed'; old: KnownKey }
  | { status: 'revoked'; entry: KnownKey };

/** How known_hosts names a host: bare for port 22, else [host]:port. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function hashedMatches(field: string, name: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name))
  const [, magic, salt, hash] = field.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

/** OpenSSH's rule: some positive pattern matches and no negated one does. */
function hostFieldMatches(field: string, name: string): boolean {
  if (field.startsWith('|')) return hashedMatches(field, name);
  let hit = false;
  for (const p of field.split(',')) {
    if (p.startsWith('!')) {
      if (matchPattern(p.slice(1), name)) return false;
    } else if (matchPattern(p, name)) hit = true;
  }
  return hit;
}

/** Every key line in `text` that applies to host:port. @cert-authority lines are skipped (no certificates). */
export function findKnownKeys(text: string, file: string, host: string, port: number): KnownKey[] {
  const name = knownHostsName(host, port);
  const out: KnownKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const f = line.split(/\s+/);
    let revoked = false;
    if (f[0].startsWith('@')) {
      if (f[0] !== '@revoked') return;
      revoked = true;
      f.shift();
    }
    if (f.length < 3 || !hostFieldMatches(f[0], name)) return;
    out.push({ file, line: i + 1, keyType: f[1], key: f[2], revoked });
  });
  return out;
}

export function readKnownKeys(files: string[], host: string, port: number): KnownKey[] {
  const out: KnownKey[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // a missing known_hosts file is normal
    }
    out.push(...findKnownKeys(text, file, host, port));
  }
  return out;
}

/** Type name inside an SSH public key blob (string length + name). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return '';
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/**
 * Judges the key a server presented against known entries. A mismatch is "changed" when a
 * key of the same type is known (the client only offers known types, so that is the case
 * whenever any key is known).
 */
export function verifyHostKey(known: KnownKey[], blob: Buffer): HostKeyVerdict {
  const b64 = blob.toString('base64');
  const revoked = known.find((k) => k.revoked && k.key === b64);
  if (revoked) return { status: 'revoked', entry: revoked };
  const valid = known.filter((k) => !k.revoked);
  const match = valid.find((k) => k.key === b64);
  if (match) return { status: 'ok', entry: match };
  const type = keyTypeOf(blob);
  const old = valid.find((k) => k.keyType === type) ?? valid[0];
  return old ? { status: 'changed', old } : { status: 'unknown' };
}

/** Host key algorithms to offer so the server presents a key we know (as OpenSSH does). */
export function hostKeyAlgorithms(known: KnownKey[]): string[] | undefined {
  const algs = new Set<string>();
  for (const k of known) {
    if (k.revoked) continue;
    if (k.keyType === 'ssh-rsa') ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'].forEach((a) => algs.add(a));
    else if (/^(ssh-ed25519|ecdsa-sha2-nistp(256|384|521))$/.test(k.keyType)) algs.add(k.keyType);
  }
  return algs.size ? [...algs] : undefined;
}

/** StrictHostKeyChecking=accept-new: remember a first-seen key. */
export function appendKnownHost(file: string, host: string, port: number, blob: Buffer): void {
  if (!existsSync(dirname(file))) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  appendFileSync(file, `${knownHostsName(host, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}\n`, { mode: 0o600 });
}

/**
 * The host key policy of one connection: `verify` is ssh2's hostVerifier; when it refuses,
 * `problem` says why in words a user can act on.
 */
export function hostKeyChecker(t: { host: string; port: number; knownHostsFiles: string[]; hostKeyChecking: 'yes' | 'no' | 'accept-new' }) {
  const known = t.hostKeyChecking === 'no' ? [] : readKnownKeys(t.knownHostsFiles, t.host, t.port);
  const state: { problem?: string; algorithms?: string[]; verify: (blob: Buffer) => boolean } = {
    algorithms: hostKeyAlgorithms(known),
    verify: (blob) => {
      if (t.hostKeyChecking === 'no') return true;
      const v = verifyHostKey(known, blob);
      if (v.status === 'ok') return true;
      if (v.status === 'unknown' && t.hostKeyChecking === 'accept-new') {
        // Trust on first use even if the key cannot be recorded (no file, read-only home).
        try {
          if (t.knownHostsFiles[0]) appendKnownHost(t.knownHostsFiles[0], t.host, t.port, blob);
        } catch {
          /* see above */
        }
        return true;
      }
      const name = knownHostsName(t.host, t.port);
      if (v.status === 'unknown') {
        state.problem =
          `host key for ${name} (${keyTypeOf(blob)}) is not known (looked in ${t.knownHostsFiles.join(', ') || 'no file'}).` +
          ` If you trust it: ssh-keyscan -p ${t.port} ${t.host} >> ~/.ssh/known_hosts` +
          ` (or run with --host-key-checking accept-new)`;
      } else if (v.status === 'revoked') {
        state.problem = `host key for ${name} is marked @revoked in ${v.entry.file}:${v.entry.line}`;
      } else {
        state.problem =
          `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for ${name}! Someone could be eavesdropping on you` +
          ` (man-in-the-middle attack), or the host key has just been changed. The ${keyTypeOf(blob)} key it` +
          ` presents does not match the one in ${v.old.file}:${v.old.line}. If the change is expected, remove that` +
          ` line (ssh-keygen -R '${name}' -f ${v.old.file}) and add the new key.`;
      }
      return false;
    },
  };
  return state;
}
