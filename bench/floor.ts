import { readFileSync } from 'node:fs';
import { NodeSSH } from 'node-ssh';
import { renderMotd } from './workload.js';

/**
 * The floor: what the workload costs with one SSH connection per host and exactly one exec
 * round trip per step, hosts in parallel, a barrier after each step. Each step is a single
 * idempotent shell command that prints "changed" when it changed something.
 *
 * Usage: node dist/bench/floor.js FLOOR.json   (written by bench/run.ts)
 */
interface FloorSpec {
  hosts: { name: string; addr: string; port: number }[];
  user: string;
  keyFile: string;
  hostPublicKey: string;
  root: string;
}

interface Channelish {
  on(ev: string, fn: (...a: any[]) => void): this;
  stderr: { on(ev: string, fn: (d: Buffer) => void): void };
  end(): void;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Write `content` to `f` with mode 0644 unless it already holds exactly that. */
const putFile = (f: string, content: string) =>
  `c=${q(content)}; if [ -f ${q(f)} ] && printf '%s\\n' "$c" | cmp -s - ${q(f)}; then :; else printf '%s\\n' "$c" > ${q(f)} && chmod 0644 ${q(f)} && echo changed; fi`;

function steps(h: FloorSpec['hosts'][number], root: string): string[] {
  const d = `${root}/${h.name}`;
  // $(...) strips the trailing newline: the files end with exactly one, written back by printf
  const hello = `hello from ${h.name}`;
  const motd = renderMotd(h).replace(/\n$/, '');
  const conf = `${d}/settings.conf`;
  return [
    `[ -d ${q(d)} ] || { mkdir -p ${q(d)} && chmod 0755 ${q(d)} && echo changed; }`,
    putFile(`${d}/hello.txt`, hello),
    putFile(`${d}/motd`, motd),
    `grep -qxF 'bench=1' ${q(conf)} 2>/dev/null || { [ -e ${q(conf)} ] || { : > ${q(conf)}; chmod 0644 ${q(conf)}; }; echo 'bench=1' >> ${q(conf)} && echo changed; }`,
    'uname -r',
  ];
}

function exec(ssh: NodeSSH, cmd: string): Promise<{ code: number; out: string }> {
  const conn = ssh.connection as unknown as { exec(c: string, cb: (e: Error | undefined, ch: Channelish) => void): void };
  return new Promise((resolve, reject) => {
    conn.exec(cmd, (e, ch) => {
      if (e) return reject(e);
      let out = '';
      let code = -1;
      ch.on('data', (d: Buffer) => (out += d));
      ch.stderr.on('data', () => {});
      ch.on('exit', (c: number) => (code = c));
      ch.on('close', () => resolve({ code, out }));
      ch.end();
    });
  });
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2], 'utf8')) as FloorSpec;
  const key = readFileSync(spec.keyFile);
  const hostKey = spec.hostPublicKey.split(' ')[1];
  const conns = await Promise.all(
    spec.hosts.map(async (h) => {
      const ssh = new NodeSSH();
      await ssh.connect({
        host: h.addr,
        port: h.port,
        username: spec.user,
        privateKey: key.toString('utf8'),
        hostVerifier: (k: Buffer) => k.toString('base64') === hostKey,
        readyTimeout: 60_000,
      } as any);
      // no Nagle: an exec request and its EOF written back to back must not wait for the
      // server's delayed ACK (harun's transport does the same)
      (ssh.connection as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
      return ssh;
    }),
  );
  const plans = spec.hosts.map((h) => steps(h, spec.root));
  const changed = new Array(spec.hosts.length).fill(0);
  for (let s = 0; s < plans[0].length; s++) {
    // the barrier: every host finishes step s before any host starts step s+1
    const rs = await Promise.all(conns.map((c, i) => exec(c, plans[i][s])));
    rs.forEach((r, i) => {
      if (r.code !== 0) throw new Error(`${spec.hosts[i].name}: step ${s + 1} exited ${r.code}`);
      if (r.out.trim() === 'changed') changed[i]++;
    });
  }
  for (const c of conns) c.dispose();
  const total = changed.reduce((a, b) => a + b, 0);
  process.stdout.write(`floor: hosts=${spec.hosts.length} changed=${total} channels_per_host=${plans[0].length}\n`);
}

main().catch((e) => {
  process.stderr.write(`floor: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
