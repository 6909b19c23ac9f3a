import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterSpec, Runner } from '../../../src/verify/cluster.js';
import { FaultUnavailable, inject } from '../../../src/verify/faults.js';

/**
 * A director whose firewall commands are fakes on PATH: `iptables` fails as iptables-nft does
 * over a kernel without nf_tables (a uml lab host), `iptables-legacy` records what it was asked.
 */
function director(t: { after: (fn: () => void) => void }, legacyWorks: boolean): { runner: Runner; log: string } {
  const bin = mkdtempSync(join(tmpdir(), 'harun-faults-'));
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  const log = join(bin, 'calls');
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  fake('iptables', 'echo "iptables v1.8.9 (nf_tables):  TABLE_ADD failed (Operation not supported): table filter" >&2; exit 4');
  fake('iptables-legacy', legacyWorks ? `echo "$*" >> ${log}` : 'echo "iptables-legacy: cannot initialize" >&2; exit 3');
  const runner: Runner = {
    name: 'lb1',
    address: '10.222.2.1',
    reconnect: () => undefined,
    run: async (cmd) => {
      const r = spawnSync('/bin/sh', ['-c', String(cmd)], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
      return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr, stdoutBuf: Buffer.from(r.stdout) } as Awaited<ReturnType<Runner['run']>>;
    },
  };
  return { runner, log };
}

test('--fault isolate: when iptables cannot work over this kernel, iptables-legacy drops the adverts', async (t) => {
  const { runner, log } = director(t, true);
  const before = Date.now();
  const f = await inject('isolate', runner, 0, {} as ClusterSpec);
  assert.equal(readFileSync(log, 'utf8'), '-w -I OUTPUT -p 112 -m comment --comment harun-verify -j DROP\n');
  assert.match(f.detail, /^lb1: .*\(iptables-legacy: OUTPUT -p 112 -j DROP\)$/);
  assert.ok(f.at >= before - 1000 && f.until >= f.at && f.until <= Date.now() + 1000, JSON.stringify(f));
});

test('--fault isolate: no firewall that works is a fault that cannot run (FaultUnavailable), with each one\'s words', async (t) => {
  const { runner } = director(t, false);
  await assert.rejects(inject('isolate', runner, 0, {} as ClusterSpec), (e: Error) => {
    assert.ok(e instanceof FaultUnavailable, String(e));
    assert.match(e.message, /no firewall here can drop the adverts .*iptables: .*TABLE_ADD failed.*iptables-legacy: iptables-legacy: cannot initialize/);
    return true;
  });
});
