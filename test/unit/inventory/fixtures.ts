/** Paths of test/fixtures/inventory and throwaway inventories written to a temp dir. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// compiled to dist/test/unit/inventory/, fixtures stay in the source tree
export const FIX = fileURLToPath(new URL('../../../../test/fixtures/inventory/', import.meta.url));

/** Writes files (relative path -> text) into a fresh temp dir and returns it with a cleanup. */
export function tempTree(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'harun-inv-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs fn with a temp tree, always removing it. */
export function withTree<T>(files: Record<string, string>, fn: (dir: string) => T): T {
  const t = tempTree(files);
  try {
    return fn(t.dir);
  } finally {
    t.cleanup();
  }
}
