import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const BUNDLE = resolve('dist/bundle');

test('the bundle finds the native addons its packages require, by a path that works installed too', (t) => {
  if (!existsSync(BUNDLE)) return t.skip('no bundle: run npm run build');
  const wanted: string[] = [];
  for (const f of readdirSync(BUNDLE).filter((f) => /\.c?js$/.test(f))) {
    for (const m of readFileSync(join(BUNDLE, f), 'utf8').matchAll(/\brequire\("([^"]*\.node)"\)/g)) wanted.push(m[1]);
  }
  // ssh2 loads its AES-GCM/ChaCha20 binding this way; without it every SSH packet costs three writes
  assert.ok(wanted.includes('ssh2/lib/protocol/crypto/build/Release/sshcrypto.node'), `ssh2's binding is not required by its package path: ${wanted.join(', ')}`);
  // a path relative to dist/bundle only exists in this checkout's layout, not in an installed package
  assert.deepEqual(wanted.filter((p) => p.startsWith('.')), [], 'no addon may be required by a path relative to the bundle');
  const req = createRequire(join(BUNDLE, 'harun.cjs'));
  const sshcrypto = resolve('node_modules/ssh2/lib/protocol/crypto/build/Release/sshcrypto.node');
  for (const p of wanted) {
    if (p.endsWith('sshcrypto.node') && !existsSync(sshcrypto)) continue; // the addon failed to build at install: ssh2 runs without it
    assert.ok(existsSync(req.resolve(p)), `dist/bundle requires ${p}, which does not resolve from there`);
  }
});
