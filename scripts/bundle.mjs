/**
 * Bundle the compiled CLI (dist/src/cli/main.js) into dist/bundle/ with esbuild: node loads a
 * few chunks instead of hundreds of module files, which cuts startup CPU by about a third (see
 * bench/findings.md). bin/harun.js runs the bundle when it exists, else dist/src/cli/main.js.
 * Left external: native addons (cpu-features; .node files, by a path that works from the
 * chunk), testcontainers (harun lab only, large and dynamic) and nunjucks (compile.ts requires its internal
 * transformer at run time, which must share module instances with the nunjucks it extends).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const OUT = 'dist/bundle';

/**
 * A native addon required by a relative path (ssh2's `./crypto/build/Release/sshcrypto.node`)
 * must still be found from the chunk in dist/bundle/: rewrite the path relative to it. Left as
 * it was, ssh2 silently fell back to its JavaScript ciphers (three socket writes per packet).
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
  format: 'esm',
  splitting: true,
  outdir: OUT,
  external: ['cpu-features', 'testcontainers', 'nunjucks'],
  plugins: [nativeAddons],
  // bundled CommonJS code calls require() and reads __dirname (ssh2): give every ESM chunk both
  banner: {
    js:
      "import { createRequire as __harunRequire } from 'node:module'; import { dirname as __harunDirname } from 'node:path'; import { fileURLToPath as __harunPath } from 'node:url'; " +
      'const require = __harunRequire(import.meta.url); const __filename = __harunPath(import.meta.url); const __dirname = __harunDirname(__filename);',
  },
  logLevel: 'warning',
});
