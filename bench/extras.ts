import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { measure, median } from './measure.js';
import { HARUN, REPO } from './tools.js';

export interface Timing {
  median: number;
  min: number;
  max: number;
  runs: number;
}

const stats = (xs: number[]): Timing => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length });

/** `harun play --syntax-check playbooks/site.yml` from the repository root, wall seconds. */
export async function syntaxCheck(reps: number): Promise<Timing & { code: number | null; cpuS: Timing }> {
  const xs: number[] = [];
  const cpu: number[] = [];
  let code: number | null = 0;
  for (let i = 0; i < reps; i++) {
    const r = await measure('node', [HARUN, 'play', '--syntax-check', 'playbooks/site.yml', '-i', 'inventory/seed.ini'], { cwd: REPO });
    if (r.code !== 0) code = r.code;
    xs.push(r.wallS);
    cpu.push(r.cpuS);
  }
  return { ...stats(xs), code, cpuS: stats(cpu) };
}

/**
 * Startup to the first SSH connection: a TCP relay in this process stands in front of one real
 * fleet sshd; the time is from just before spawn() of `node bin/harun.js play ...` to the
 * relay's 'connection' event (so it includes node's own start, module loading, parsing and
 * validation, and the TCP connect).
 */
export async function firstConnect(
  reps: number,
  work: string,
  target: { addr: string; port: number; user: string; keyFile: string; hostPublicKey: string },
  playbook: string,
  ansibleCfg: string,
): Promise<Timing & { totalS: Timing }> {
  let accepted = 0;
  let onAccept: () => void = () => {};
  const server = createServer((c: Socket) => {
    accepted = performance.now();
    onAccept();
    const up = connect({ host: target.addr, port: target.port });
    c.pipe(up).pipe(c);
    const end = () => (c.destroy(), up.destroy());
    c.on('error', end);
    up.on('error', end);
    c.on('close', end);
    up.on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const kh = join(work, 'relay_known_hosts');
  writeFileSync(kh, `[127.0.0.1]:${port} ${target.hostPublicKey}\n`);
  const inv = join(work, 'relay.ini');
  writeFileSync(
    inv,
    `[fleet]\nhost1 ansible_host=127.0.0.1 ansible_port=${port}\n\n[fleet:vars]\nansible_user=${target.user}\nansible_ssh_private_key_file=${target.keyFile}\nansible_ssh_common_args='-o UserKnownHostsFile=${kh}'\n`,
  );
  const root = '/tmp/harun-bench/relay';
  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o1777); // written by the fleet's unprivileged login user
  const first: number[] = [];
  const total: number[] = [];
  try {
    for (let i = 0; i < reps; i++) {
      accepted = 0;
      const t0 = performance.now();
      const gotIt = new Promise<void>((r) => (onAccept = r));
      const child = spawn('node', [HARUN, 'play', playbook, '-i', inv, '--output', 'plain', '-e', `bench_root=${root}`], {
        cwd: work,
        env: { ...process.env, ANSIBLE_CONFIG: ansibleCfg },
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      await Promise.race([gotIt, exited]);
      const code = await exited;
      if (!accepted || code !== 0) throw new Error(`firstConnect: harun exited ${code} (${accepted ? 'after' : 'before'} connecting)`);
      first.push((accepted - t0) / 1000);
      total.push((performance.now() - t0) / 1000);
    }
  } finally {
    server.close();
  }
  return { ...stats(first), totalS: stats(total) };
}
