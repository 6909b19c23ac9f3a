import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readState, writeState } from '../../../src/lab/common.js';
import type { LabState } from '../../../src/lab/types.js';

test('lab.json: hosts recording themselves at once all succeed, and the file holds the state as it is last', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'harun-labstate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const state: LabState = { provider: 'docker', dir, subnet: '10.222.2.0/24', vip: '10.222.2.100', hosts: [], keyFile: '', knownHosts: '', resources: {} };
  // as the providers do: each host comes up in parallel and writes the shared state
  await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    (state.resources as Record<string, number>)[`h${i}`] = i;
    await writeState(state);
  }));
  const back = await readState(dir);
  assert.equal(Object.keys(back!.resources).length, 20);
  assert.deepEqual(readdirSync(dir), ['lab.json'], 'no temp file left');
});
