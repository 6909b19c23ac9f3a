import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import type { ModuleDef, ModuleResult } from '../../../../src/modules/types.js';
import { testContext } from '../../../helpers/ctx.js';

/** Run a module the way the engine does: validate the raw args, then run with a test context. */
export async function runModule(
  mod: ModuleDef,
  raw: Record<string, unknown>,
  o: Parameters<typeof testContext>[0] = {},
): Promise<ModuleResult> {
  const args = parseArgs(mod.name, mod.schema, raw);
  return mod.run(testContext(o), args);
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'harun-sys-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

import type { ExecOptions, ExecResult, Transport } from '../../../../src/transport/types.js';

/** A transport that answers commands from a script of [pattern, result] and records them. */
export class FakeTransport implements Transport {
  channels = 0;
  execs = 0;
  readonly cmds: string[] = [];
  constructor(private answers: [RegExp, Partial<ExecResult>][], readonly host = 'fake') {}
  async connect(): Promise<void> {}
  async close(): Promise<void> {}
  async exec(cmd: string, _o?: ExecOptions): Promise<ExecResult> {
    this.channels++;
    this.execs++;
    this.cmds.push(cmd);
    const hit = this.answers.find(([re]) => re.test(cmd));
    if (!hit) throw new Error(`FakeTransport: unexpected command: ${cmd}`);
    return { code: 0, stdout: '', stderr: '', ...hit[1] };
  }
}
