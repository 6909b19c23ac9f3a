import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModuleDef, ModuleResult } from '../../../src/modules/types.js';
import { parseArgs } from '../../../src/modules/lib/args.js';
import { testContext } from '../../helpers/ctx.js';

/** A temp dir removed after the test. */
export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'harun-mod-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Validate args with the module's schema and run it, as the engine would. */
export async function runModule(
  mod: ModuleDef,
  args: unknown,
  o: Parameters<typeof testContext>[0] = {},
): Promise<ModuleResult> {
  const parsed = parseArgs(mod.name, mod.schema, args);
  return mod.run(testContext(o), parsed);
}

/** The error message a bad argument set produces. */
export function argError(mod: ModuleDef, args: unknown): string {
  try {
    parseArgs(mod.name, mod.schema, args);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}
