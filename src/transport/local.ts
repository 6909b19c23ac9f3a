import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import type { ExecOptions, ExecResult, Transport } from './types.js';

/** ansible_connection=local: each command is a child `sh -c` on the controller. */
export class LocalTransport implements Transport {
  channels = 0;
  execs = 0;
  readonly user = userInfo().username;
  constructor(readonly host: string) {}

  async connect(): Promise<void> {}

  exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    this.channels++;
    this.execs++;
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let signal: string | undefined;
      const kill = (why: string) => {
        signal = why;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer = opts.timeoutMs ? setTimeout(() => kill('timeout'), opts.timeoutMs) : undefined;
      const onAbort = () => kill('interrupted');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', reject);
      child.on('close', (code, sig) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        const stdoutBuf = Buffer.concat(out);
        resolve({
          code: signal ? null : code,
          stdout: stdoutBuf.toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          stdoutBuf,
          signal: signal ?? sig ?? undefined,
        });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(opts.stdin ?? '');
    });
  }

  async close(): Promise<void> {}
}
