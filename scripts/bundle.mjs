/**
 * Bundle the compiled CLI (dist/src/cli/main.js) into one CommonJS file, dist/bundle/harun.cjs,
 * with esbuild, then run it once (`play --syntax-check` of playbooks/site.yml) so that
 * bin/harun.js writes V8's code cache for it: later runs skip parsing and compiling what that run
 * compiled (see bench/findings.md). CommonJS because Node 20 can only cache a script's code
 * (vm.Script's cachedData), not an ES module's.
 * Left external: native addons (cpu-features; .node files, by a path that works from the
 * bundle) and testcontainers (harun lab only, large and dynamic).
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, sep } from 'node:path';

const OUT = 'dist/bundle';
const BUNDLE = join(OUT, 'harun.cjs');

/**
 * A native addon required by a relative path (ssh2's `./crypto/build/Release/sshcrypto.node`)
 * must still be found from dist/bundle/. Left as it was, ssh2 silently fell back to its
 * JavaScript ciphers (three socket writes per packet). A path relative to dist/bundle/ only
 * fits this checkout's layout; an installed harun has its dependencies in harun/node_modules
 * (npm install -g) or beside it (a dependency of a project, npx), so the addon is required by
 * its package path (`ssh2/lib/...`), which Node resolves from the bundle's node_modules lookup
 * in every layout (ssh2 is a direct dependency for that reason).
 */
const nativeAddons = {
  name: 'native-addons',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (a) => {
      if (!a.path.startsWith('.')) return { path: a.path, external: true };
      const abs = join(a.resolveDir, a.path).split(sep);
      const nm = abs.lastIndexOf('node_modules');
      if (nm < 0) throw new Error(`native addon outside node_modules: ${abs.join(sep)}`);
      return { path: abs.slice(nm + 1).join('/'), external: true };
    });
  },
};

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: ['dist/src/cli/main.js'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: BUNDLE,
  external: ['cpu-features', 'testcontainers'],
  plugins: [nativeAddons],
  // the sources are ES modules: give them the bundle's own URL where they ask for theirs
  define: { 'import.meta.url': '__harunUrl' },
  // the build id keys the code cache (bin/harun.js); the URL stands in for import.meta.url
  banner: { js: `/* harun build ${randomBytes(6).toString('hex')} */\nconst __harunUrl = require('node:url').pathToFileURL(__filename).href;` },
  logLevel: 'warning',
});

// esbuild escapes every non-ASCII character in code but keeps comments as they are: one such
// character makes V8 hold the whole 3 MB source as UTF-16 and decode it on every start (about
// 40 ms here). Escaped, a comment reads the same and the source stays one byte per character.
const text = readFileSync(BUNDLE, 'utf8');
const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
if (ascii !== text) writeFileSync(BUNDLE, ascii);

// The uml lab's port forwarder runs as a process of its own, from the file beside the code that
// starts it (src/lab/uml.ts finds it by its own URL): beside the bundle too. node: imports only.
copyFileSync('dist/src/lab/forwarder.js', join(OUT, 'forwarder.js'));

// the first run writes the code cache; it also proves that the bundle starts
execFileSync(process.execPath, ['bin/harun.js', 'play', '--syntax-check', 'playbooks/site.yml', '-i', 'inventory/seed.ini'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
