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
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const OUT = 'dist/bundle';

/**
 * A native addon required by a relative path (ssh2's `./crypto/build/Release/sshcrypto.node`)
 * must still be found from dist/bundle/: rewrite the path relative to it. Left as it was, ssh2
 * silently fell back to its JavaScript ciphers (three socket writes per packet).
 */
const nativeAddons = {
  name: 'native-addons',
  setup(b) {
    b.onResolve({ filter: /\.node$/ }, (a) => {
      if (!a.path.startsWith('.')) return { path: a.path, external: true };
      const p = relative(OUT, join(a.resolveDir, a.path));
      return { path: p.startsWith('.') ? p : `./${p}`, external: true };
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
  outfile: join(OUT, 'harun.cjs'),
  external: ['cpu-features', 'testcontainers'],
  plugins: [nativeAddons],
  // the sources are ES modules: give them the bundle's own URL where they ask for theirs
  define: { 'import.meta.url': '__harunUrl' },
  banner: { js: "const __harunUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});

// the first run writes the code cache; it also proves that the bundle starts
execFileSync(process.execPath, ['bin/harun.js', 'play', '--syntax-check', 'playbooks/site.yml', '-i', 'inventory/seed.ini'], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
