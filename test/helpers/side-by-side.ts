import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFleet } from '../fixtures/sshd.js';
import { installed } from './tools.js';

/**
 * What the tests that run a fixture under harun and under Debian's ansible-playbook on the same
 * loopback hosts share: running either with HARUN_IT_BASE (where the fixture writes), the recap
 * lines, and the files a run left.
 */
export function runIn(cwd: string, cmd: string, args: string[], base: string): Promise<{ code: number; out: string }> {
  const env = { ...process.env, HARUN_IT_BASE: base, ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1', ANSIBLE_PIPELINING: '1', ANSIBLE_TIMEOUT: '60' };
  return new Promise((res) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 1 << 26 }, (err, stdout, stderr) => res({ code: err ? Number((err as any).code) : 0, out: stdout + stderr }));
  });
}

export const recap = (out: string) => out.split('\n').filter((l) => /^\S+\s+: ok=/.test(l));

export function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length)] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

export const hasAnsible = (): boolean => installed('ansible-playbook');

/** A 2-host loopback fleet and a scratch dir its login user can write below (scratch(name)). */
export async function sideBySideFleet(prefix: string): Promise<{ inv: string; scratch(name: string): string; stop(): Promise<void> }> {
  const fleet = await startFleet({ count: 2, prefix });
  const work = mkdtempSync(join(tmpdir(), `harun-${prefix}-`));
  chmodSync(work, 0o755); // the fleet's login user writes below it
  const inv = join(work, 'hosts.ini');
  writeFileSync(inv, fleet.inventory);
  return {
    inv,
    scratch(name) {
      const d = join(work, name);
      mkdirSync(d, { recursive: true });
      chmodSync(d, 0o777);
      return d;
    },
    async stop() {
      await fleet.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}
