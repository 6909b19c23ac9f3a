import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const BUNDLE = resolve('dist/bundle');

test('the bundle finds the native addons its packages require by a relative path', (t) => {
  if (!existsSync(BUNDLE)) return t.skip('no bundle: run npm run build');
  const wanted: string[] = [];
  for (const f of readdirSync(BUNDLE).filter((f) => /\.c?js$/.test(f))) {
    for (const m of readFileSync(join(BUNDLE, f), 'utf8').matchAll(/\brequire\("(\.[^"]*\.node)"\)/g)) wanted.push(m[1]);
  }
  // ssh2 loads its AES-GCM/ChaCha20 binding this way; without it every SSH packet costs three writes
  assert.ok(wanted.some((p) => p.endsWith('sshcrypto.node')), `ssh2's binding is not required by a relative path any more: ${wanted.join(', ')}`);
  const sshcrypto = resolve('node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node');
  for (const p of wanted) {
    if (p.endsWith('sshcrypto.node') && !existsSync(sshcrypto)) continue; // the addon failed to build at install: ssh2 runs without it
    assert.ok(existsSync(join(BUNDLE, p)), `dist/bundle requires ${p}, which does not exist there`);
  }
});
