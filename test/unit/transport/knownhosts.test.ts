import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { findKnownKeys, hostKeyAlgorithms, keyTypeOf, knownHostsName, verifyHostKey } from '../../../src/transport/knownhosts.js';

/** A syntactically real ssh-ed25519 key blob. */
function blob(fill: number): Buffer {
  const type = Buffer.from('ssh-ed25519');
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([len(type.length), type, len(32), Buffer.alloc(32, fill)]);
}
const K1 = blob(1);
const K2 = blob(2);
const b64 = (b: Buffer) => b.toString('base64');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

test('names: bare for port 22, [host]:port otherwise', () => {
  assert.equal(knownHostsName('h', 22), 'h');
  assert.equal(knownHostsName('10.0.0.1', 2222), '[10.0.0.1]:2222');
});

test('plain, comma lists, [host]:port, wildcards and negation', () => {
  const text = [
    `web1,10.0.0.1 ssh-ed25519 ${b64(K1)}`,
    `[10.0.0.1]:2222 ssh-ed25519 ${b64(K2)} comment here`,
    `*.lan,!db.lan ssh-ed25519 ${b64(K2)}`,
  ].join('\n');
  assert.deepEqual(findKnownKeys(text, 'f', '10.0.0.1', 22).map((k) => k.line), [1]);
  assert.deepEqual(findKnownKeys(text, 'f', '10.0.0.1', 2222).map((k) => k.line), [2]);
  assert.deepEqual(findKnownKeys(text, 'f', 'web.lan', 22).map((k) => k.line), [3]);
  assert.deepEqual(findKnownKeys(text, 'f', 'db.lan', 22), []);
});

test('hashed entries match their host (and port) only', () => {
  const text = `${hashed('[127.0.0.2]:2222')} ssh-ed25519 ${b64(K1)}\n${hashed('other')} ssh-ed25519 ${b64(K2)}\n`;
  const keys = findKnownKeys(text, 'kh', '127.0.0.2', 2222);
  assert.equal(keys.length, 1);
  assert.equal(keys[0].line, 1);
  assert.deepEqual(findKnownKeys(text, 'kh', '127.0.0.2', 22), []);
  assert.equal(verifyHostKey(keys, K1).status, 'ok');
});

test('markers: @cert-authority lines are skipped, @revoked keys are refused', () => {
  const text = `@cert-authority *.lan ssh-ed25519 ${b64(K2)}\n@revoked h ssh-ed25519 ${b64(K2)}\nh ssh-ed25519 ${b64(K1)}\n`;
  const keys = findKnownKeys(text, 'kh', 'h', 22);
  assert.deepEqual(keys.map((k) => [k.line, k.revoked]), [[2, true], [3, false]]);
  assert.equal(verifyHostKey(keys, K1).status, 'ok');
  assert.equal(verifyHostKey(keys, K2).status, 'revoked');
  assert.equal(findKnownKeys(text, 'kh', 'x.lan', 22).length, 0);
});

test('verdicts: unknown, changed names the old entry', () => {
  assert.equal(verifyHostKey([], K1).status, 'unknown');
  const keys = findKnownKeys(`# c\nh ssh-ed25519 ${b64(K1)}\n`, '/x/known_hosts', 'h', 22);
  const v = verifyHostKey(keys, K2);
  assert.equal(v.status, 'changed');
  if (v.status === 'changed') assert.deepEqual([v.old.file, v.old.line], ['/x/known_hosts', 2]);
});

test('key type from a blob, and the host key algorithms to offer', () => {
  assert.equal(keyTypeOf(K1), 'ssh-ed25519');
  const keys = findKnownKeys(`h ssh-rsa AAAA\nh ssh-ed25519 ${b64(K1)}\n@revoked h ecdsa-sha2-nistp256 AAAA\n`, 'f', 'h', 22);
  assert.deepEqual(hostKeyAlgorithms(keys), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  assert.equal(hostKeyAlgorithms([]), undefined);
});
