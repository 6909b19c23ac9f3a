import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import { UnreachableError } from '../errors.js';
import { hostKeyChecker } from './knownhosts.js';
import { ResidentShell, signalChannel, type ResidentChannel } from './resident.js';
import type { SshTarget } from './target.js';
import type { ExecOptions, ExecResult, Transport } from './types.js';

/** The few ssh2 shapes used here (node-ssh's types refer to @types/ssh2, which is not installed). */
interface Ssh2Channel extends Duplex {
  stderr: NodeJS.ReadableStream;
  signal(name: string): void;
  close(): void;
}
interface Ssh2Client {
  on(ev: string, fn: (...a: any[]) => void): this;
  exec(cmd: string, cb: (err: Error | undefined, ch: Ssh2Channel) => void): boolean;
  end(): void;
  setNoDelay(noDelay: boolean): void;
  destroy?(): void;
}

/** Sessions per host: OpenSSH's MaxSessions is 10 by default; keep two spare. */
export const DEFAULT_CHANNEL_CAP = 8;
/** After timeout/abort, how long to wait for the channel to report its end before giving up on it. */
const KILL_GRACE_MS = 2000;
/** How long the resident shell may take to answer its first (empty) command (a loaded lab host is slow). */
const RESIDENT_SYNC_MS = 30_000;
/** Channel-open retries (about 6 s in all) when the server is out of session slots. */
const OPEN_RETRIES = 16;

export interface SshTransportOptions {
  channelCap?: number;
}

/** Opens one ssh2 connection to `t` (through `sock` when hopping), checking the host key. */
async function open(t: SshTarget, sock?: Duplex): Promise<NodeSSH> {
  const where = `${t.user}@${t.host}:${t.port}`;
  const hk = hostKeyChecker(t);

  const auth: object[] = [];
  const tried: string[] = [];
  if (t.agent) {
    auth.push({ type: 'agent', username: t.user, agent: t.agent });
    tried.push('agent');
  }
  for (const f of t.identityFiles) {
    try {
      auth.push({ type: 'publickey', username: t.user, key: readFileSync(f) });
      tried.push(`key ${f}`);
    } catch {
      /* unreadable key: skip as ssh does */
    }
  }
  if (t.password !== undefined) {
    auth.push({ type: 'password', username: t.user, password: t.password });
    tried.push('password');
  }

  const ssh = new NodeSSH();
  try {
    await ssh.connect({
      host: sock ? undefined : t.host,
      port: t.port,
      sock,
      username: t.user,
      authHandler: auth,
      hostVerifier: hk.verify,
      algorithms: hk.algorithms ? { serverHostKey: hk.algorithms } : undefined,
      readyTimeout: t.timeoutSec * 1000,
      keepaliveInterval: t.keepaliveSec * 1000,
      keepaliveCountMax: 3,
    } as any);
  } catch (e) {
    ssh.dispose();
    const err = e as Error & { code?: string; level?: string };
    let why = err.message;
    if (hk.problem) why = hk.problem;
    else if (err.code === 'ECONNREFUSED') why = 'connection refused';
    else if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') why = 'no route to host';
    else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') why = `cannot resolve host name ${t.host}`;
    else if (/handshake|ETIMEDOUT|No response/i.test(`${err.message} ${err.code}`)) why = `timed out after ${t.timeoutSec} s`;
    else if (err.level === 'client-authentication')
      why = `authentication failed (tried: ${tried.join(', ') || 'nothing: no agent, key file or password'})`;
    throw new UnreachableError(`${t.name}: ssh ${where}: ${why}`);
  }
  // as OpenSSH does: a command and its input written back to back must not wait for the
  // server's delayed ACK of the first (Nagle), which costs up to 40 ms a round trip
  (ssh.connection as unknown as Ssh2Client).setNoDelay(true);
  return ssh;
}

/** The result of a command stopped (interrupted, timed out) before any output was kept. */
function stoppedResult(why: string): ExecResult {
  return { code: null, stdout: '', stderr: '', stdoutBuf: Buffer.alloc(0), signal: why };
}

/**
 * One SSH connection per host for the whole run. Exec channels are multiplexed on it up to a
 * per-host cap; further execs wait their turn. A dropped connection rejects every pending and
 * later exec with UnreachableError.
 */
export class SshTransport implements Transport {
  channels = 0;
  execs = 0;
  readonly host: string;
  get user(): string {
    return this.target.user;
  }
  private readonly cap: number;
  private hops: NodeSSH[] = [];
  private conn?: Ssh2Client;
  private connecting?: Promise<void>;
  private dead?: UnreachableError;
  private running = 0;
  private queue: { go: () => void; fail: (e: Error) => void }[] = [];
  private inflight = new Set<(e: Error) => void>();
  private resident?: ResidentShell;
  private residentOpening?: Promise<ResidentShell | undefined>;
  /** Set when the server refused the resident shell's session: exec channels only from then on. */
  private noResident = false;

  constructor(
    readonly target: SshTarget,
    opts: SshTransportOptions = {},
  ) {
    this.host = target.name;
    this.cap = opts.channelCap ?? DEFAULT_CHANNEL_CAP;
  }

  connect(): Promise<void> {
    this.connecting ??= this.doConnect();
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    // Chain: the first hop is the innermost `jump`.
    const chain: SshTarget[] = [];
    for (let t: SshTarget | undefined = this.target; t; t = t.jump) chain.unshift(t);
    let sock: Duplex | undefined;
    try {
      for (let i = 0; i < chain.length; i++) {
        const ssh = await open(chain[i], sock).catch((e: Error) => {
          throw i < chain.length - 1 ? new UnreachableError(`${this.target.name}: via jump host: ${e.message}`) : e;
        });
        this.hops.push(ssh);
        this.watch(ssh.connection as unknown as Ssh2Client, i < chain.length - 1 ? `jump host ${chain[i].host}` : undefined);
        const next = chain[i + 1];
        if (next) {
          try {
            sock = (await ssh.forwardOut('127.0.0.1', 0, next.host, next.port)) as unknown as Duplex;
          } catch (e) {
            throw new UnreachableError(`${this.target.name}: jump host ${chain[i].host} cannot reach ${next.host}:${next.port}: ${(e as Error).message}`);
          }
        }
      }
    } catch (e) {
      this.dead = e instanceof UnreachableError ? e : new UnreachableError(`${this.target.name}: ${(e as Error).message}`);
      this.closeHops();
      throw this.dead;
    }
    this.conn = this.hops[this.hops.length - 1].connection as unknown as Ssh2Client;
  }

  /** The listeners stay for the connection's whole life: ssh2 emits 'error' at any time. */
  private watch(c: Ssh2Client, via?: string): void {
    const down = (why: string) => this.fail(`${this.target.name}: connection ${via ? `to ${via} ` : ''}lost: ${why}`);
    c.on('error', (e: Error) => down(e.message));
    c.on('end', () => down('closed by the remote end'));
    c.on('close', () => down('closed'));
  }

  private fail(message: string): void {
    if (this.dead) return;
    this.dead = new UnreachableError(message);
    for (const reject of [...this.inflight]) reject(this.dead);
    for (const q of this.queue.splice(0)) q.fail(this.dead);
    this.closeHops();
  }

  private acquire(): Promise<void> {
    if (this.running < this.cap) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((go, fail) => this.queue.push({ go: () => go(), fail }));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next.go();
    else this.running--;
  }

  async exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    if (opts.signal?.aborted) return stoppedResult('interrupted');
    if (!this.conn && !this.dead) await this.connect();
    if (this.dead) throw this.dead;
    if (!opts.loginShell) {
      const viaShell = await this.viaResident(cmd, opts);
      if (viaShell) return viaShell;
    }
    await this.acquire();
    try {
      if (this.dead) throw this.dead;
      if (opts.signal?.aborted) return stoppedResult('interrupted');
      return await this.run(cmd, opts);
    } finally {
      this.release();
    }
  }

  /**
   * A command runs in the resident shell (see resident.ts) when it is free, its stdin given as a
   * here-document; undefined sends it to an exec channel (the shell is busy with another command,
   * or cannot be had).
   */
  private async viaResident(cmd: string, opts: ExecOptions): Promise<ExecResult | undefined> {
    const shell = await this.residentShell();
    if (!shell || shell.busy || this.dead || !shell.takes(opts.stdin)) return undefined;
    // interrupted while the shell was being opened
    if (opts.signal?.aborted) return stoppedResult('interrupted');
    let stopped: string | undefined;
    let grace: NodeJS.Timeout | undefined;
    const stop = (why: string) => {
      if (stopped) return;
      stopped = why;
      // the shell kills the command and reports its end; if it does not within the grace, it goes too
      shell.interrupt();
      grace = setTimeout(() => shell.kill(why), KILL_GRACE_MS);
    };
    const onAbort = () => stop('interrupted');
    const timer = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let onDrop: (e: Error) => void = () => {};
    const dropped = new Promise<never>((_, reject) => (onDrop = reject));
    this.inflight.add(onDrop);
    try {
      this.execs++;
      const r = await Promise.race([shell.run(cmd, opts.stdin), dropped]);
      if (stopped) {
        // the command is dead, but children it started may live on and write to this shell's
        // output: retire the shell, as a stopped exec channel is closed; the next command opens another
        shell.kill(stopped);
        return { code: null, stdout: r.stdoutBuf.toString('utf8'), stderr: r.stderr, stdoutBuf: r.stdoutBuf, signal: stopped };
      }
      return { code: r.code, stdout: r.stdoutBuf.toString('utf8'), stderr: r.stderr, stdoutBuf: r.stdoutBuf };
    } catch (e) {
      if (stopped) return stoppedResult(stopped);
      // the shell went with its connection, whose own events may arrive a moment later
      await new Promise((go) => setTimeout(go, 50));
      if (this.dead) throw this.dead;
      return { code: null, stdout: '', stderr: `${this.target.name}: ${(e as Error).message}`, stdoutBuf: Buffer.alloc(0), signal: 'shell ended' };
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
      opts.signal?.removeEventListener('abort', onAbort);
      this.inflight.delete(onDrop);
    }
  }

  /** The resident shell, opened on first use (and again after a timeout killed it). */
  private residentShell(): Promise<ResidentShell | undefined> {
    if (this.resident && !this.resident.ended) return Promise.resolve(this.resident);
    if (this.noResident || !this.conn) return Promise.resolve(undefined);
    this.residentOpening ??= new Promise<ResidentShell | undefined>((resolve) => {
      try {
        // the login shell (whatever it is) makes way for sh, the shell every harun command is written for
        this.conn!.exec('exec /bin/sh', (e, channel) => {
          if (e) {
            this.noResident = true;
            return resolve(undefined);
          }
          this.channels++;
          const shell = new ResidentShell(channel as unknown as ResidentChannel);
          // a first empty command takes whatever the login scripts printed; a server that runs
          // something else instead (a ForceCommand) never answers it: exec channels then
          const refuse = () => {
            this.noResident = true;
            shell.kill('no resident shell on this host');
            resolve(undefined);
          };
          const timer = setTimeout(refuse, RESIDENT_SYNC_MS);
          shell.run().then(
            (r) => {
              clearTimeout(timer);
              if (r.code === 0) resolve((this.resident = shell));
              else refuse();
            },
            () => {
              clearTimeout(timer);
              refuse();
            },
          );
        });
      } catch {
        resolve(undefined);
      }
    }).finally(() => (this.residentOpening = undefined));
    return this.residentOpening;
  }

  private run(cmd: string, opts: ExecOptions): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let ch: Ssh2Channel | undefined;
      let stopped: string | undefined;
      let code: number | null = null;
      let sig: string | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      let settled = false;
      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        clearTimeout(graceTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.inflight.delete(onDrop);
      };
      let exited = false;
      const finish = () => {
        if (settled) return;
        if (!exited && !stopped) {
          // sshd always reports an exit status: a session closed without one went down with its
          // connection, whose own events may arrive a moment later.
          setTimeout(() => onDrop(this.dead ?? new UnreachableError(`${this.target.name}: the SSH session ended without an exit status`)), 50);
          return;
        }
        cleanup();
        const stdoutBuf = Buffer.concat(out);
        resolve({
          code: stopped ? null : code,
          stdout: stdoutBuf.toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          stdoutBuf,
          signal: stopped ?? sig,
        });
      };
      const onDrop = (e: Error) => {
        if (settled) return;
        cleanup();
        reject(e);
      };
      const kill = () => {
        // the close below covers servers that ignore the signal
        signalChannel(ch, 'KILL');
        try {
          ch?.close();
        } catch {
          /* channel already gone */
        }
      };
      const stop = (why: string) => {
        if (stopped || settled) return;
        stopped = why;
        kill();
        graceTimer = setTimeout(finish, KILL_GRACE_MS);
      };
      const onAbort = () => stop('interrupted');
      const timer = opts.timeoutMs ? setTimeout(() => stop('timeout'), opts.timeoutMs) : undefined;
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.inflight.add(onDrop);

      const openChannel = (attempt: number) => {
        if (settled) return;
        if (this.dead) return onDrop(this.dead);
        try {
          this.conn!.exec(cmd, (e, channel) => {
            if (settled) {
              channel?.close();
              return;
            }
            if (e) {
              // sshd frees a session slot a moment after its channel closed, so a refusal right
              // after others ended is normal: retry for a while before calling the host broken.
              if (!this.dead && attempt < OPEN_RETRIES) {
                setTimeout(() => openChannel(attempt + 1), Math.min(10 * 2 ** attempt, 500));
                return;
              }
              return onDrop(this.dead ?? new UnreachableError(`${this.target.name}: cannot open an SSH session: ${e.message}`));
            }
            this.channels++;
            this.execs++;
            ch = channel;
            if (stopped) kill();
            channel.on('data', (d: Buffer) => out.push(d));
            channel.stderr.on('data', (d: Buffer) => err.push(d));
            channel.on('exit', (c: number | null, signalName?: string) => {
              exited = true;
              code = c;
              if (signalName) sig = signalName;
            });
            channel.on('error', () => {}); // reported through the connection
            channel.on('close', finish);
            channel.end(opts.stdin ?? '');
          });
        } catch (e) {
          onDrop(this.dead ?? new UnreachableError(`${this.target.name}: ${(e as Error).message}`));
        }
      };
      openChannel(0);
    });
  }

  private closeHops(): void {
    for (const h of this.hops.reverse()) {
      try {
        h.dispose();
        // end() waits for the peer; a crashed host never answers and its socket would keep
        // the process alive: drop it now
        (h.connection as unknown as { destroy?: () => void } | null)?.destroy?.();
      } catch {
        /* already closed */
      }
    }
    this.hops = [];
  }

  async close(): Promise<void> {
    this.fail(`${this.target.name}: connection closed`);
  }
}
