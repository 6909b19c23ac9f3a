#!/usr/bin/env node
// Run the esbuild bundle (npm run build) when it is at least as new as the tsc output it was
// made from; a later plain `tsc -p .` makes it stale, and then the unbundled CLI runs.
import { statSync } from 'node:fs';

const at = (p) => new URL(p, import.meta.url);
const mtime = (p) => {
  try {
    return statSync(at(p)).mtimeMs;
  } catch {
    return -1;
  }
};
const bundled = mtime('../dist/bundle/main.js') >= mtime('../dist/src/cli/main.js') && mtime('../dist/src/cli/main.js') > 0;
await import(bundled ? '../dist/bundle/main.js' : '../dist/src/cli/main.js');
