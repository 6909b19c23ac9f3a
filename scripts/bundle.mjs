/**
 * Bundle the compiled CLI (dist/src/cli/main.js) into dist/bundle/ with esbuild: node loads a
 * few chunks instead of hundreds of module files, which cuts startup CPU by about a third (see
 * bench/findings.md). bin/harun.js runs the bundle when it exists, else dist/src/cli/main.js.
 * Left external: native addons (ssh2's optional cpu-features and .node files), testcontainers
 * (harun lab only, large and dynamic) and nunjucks (compile.ts requires its internal
 * transformer at run time, which must share module instances with the nunjucks it extends).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

rmSync('dist/bundle', { recursive: true, force: true });
await build({
  entryPoints: ['dist/src/cli/main.js'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  splitting: true,
  outdir: 'dist/bundle',
  external: ['cpu-features', '*.node', 'testcontainers', 'nunjucks'],
  // bundled CommonJS code calls require() and reads __dirname (ssh2): give every ESM chunk both
  banner: {
    js:
      "import { createRequire as __harunRequire } from 'node:module'; import { dirname as __harunDirname } from 'node:path'; import { fileURLToPath as __harunPath } from 'node:url'; " +
      'const require = __harunRequire(import.meta.url); const __filename = __harunPath(import.meta.url); const __dirname = __harunDirname(__filename);',
  },
  logLevel: 'warning',
});
