#!/usr/bin/env node
// Run the bundle (npm run build: dist/bundle/harun.cjs) when it is at least as new as the tsc
// output it was made from; a later plain `tsc -p .` makes it stale, and then the unbundled CLI
// runs. An installed package ships the bundle only (package.json files), so it always runs that.
// The bundle is compiled with V8's code cache beside it (harun.cjs.cache, made by the build and
// shipped by npm pack): a run without a usable cache writes one at exit, atomically.
import { closeSync, fstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const at = (p) => fileURLToPath(new URL(p, import.meta.url));
const BUNDLE = at('../dist/bundle/harun.cjs');
const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
};

/**
 * The cache holds the bundle's size and build id (its first line, written by scripts/bundle.mjs)
 * on its first line: V8 itself only checks the source's length, and a rebuilt bundle of the same
 * length must not run stale code. Not the mtime: npm pack stamps every file with one fixed date,
 * so an installed bundle's mtime says nothing about the build the shipped cache was made from.
 */
function runBundle(file) {
  const cacheFile = `${file}.cache`;
  const fd = openSync(file, 'r');
  const st = fstatSync(fd);
  const source = readFileSync(fd, 'utf8');
  closeSync(fd);
  const build = /^\/\* harun build (\S+) \*\//.exec(source.slice(0, 100))?.[1] ?? st.mtimeMs;
  const key = Buffer.from(`harun ${st.size} ${build}\n`);
  let cachedData;
  try {
    const c = readFileSync(cacheFile);
    if (c.subarray(0, key.length).equals(key)) cachedData = c.subarray(key.length);
  } catch {
    /* first run */
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      const tmp = `${cacheFile}.${process.pid}`;
      try {
        writeFileSync(tmp, Buffer.concat([key, script.createCachedData()]));
        renameSync(tmp, cacheFile);
      } catch {
        rmSync(tmp, { force: true }); // a read-only install only costs the speed
      }
    });
  }
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dirname(file));
}

const tsc = mtime(at('../dist/src/cli/main.js'));
if (tsc < 0 || mtime(BUNDLE) >= tsc) runBundle(BUNDLE);
else await import('../dist/src/cli/main.js');
