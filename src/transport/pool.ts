import { OptionsError } from '../errors.js';
import { LocalTransport } from './local.js';
import { SshTransport } from './ssh.js';
import { resolveTarget, type CliSsh } from './target.js';
import type { Transport } from './types.js';

/**
 * The run's transports: one per host, created on first use from the host's variables
 * (ansible_connection, ansible_host, ...) and closed together at the end.
 */
export class TransportPool {
  private readonly byHost = new Map<string, Transport>();

  constructor(
    private readonly cli: CliSsh = {},
    private readonly opts: { channelCap?: number } = {},
  ) {}

  /** Throws OptionsError for bad connection variables (before anything connects). */
  get(hostName: string, vars: Record<string, unknown>): Transport {
    let t = this.byHost.get(hostName);
    if (t) return t;
    const kind = String(vars.ansible_connection ?? 'ssh');
    if (kind === 'local') t = new LocalTransport(hostName);
    else if (kind === 'ssh' || kind === 'smart' || kind === 'paramiko') t = new SshTransport(resolveTarget(hostName, vars, this.cli), this.opts);
    else throw new OptionsError(`${hostName}: ansible_connection=${kind} is not supported by harun (use ssh or local)`);
    this.byHost.set(hostName, t);
    return t;
  }

  /** Closes the host's connection; the next get() opens a new one (the host was rebooted). */
  drop(hostName: string): void {
    void this.byHost.get(hostName)?.close();
    this.byHost.delete(hostName);
  }

  /** SSH sessions opened over the whole run. */
  get channels(): number {
    let n = 0;
    for (const t of this.byHost.values()) n += t.channels;
    return n;
  }

  /** Commands run over the whole run (round trips). */
  get execs(): number {
    let n = 0;
    for (const t of this.byHost.values()) n += t.execs;
    return n;
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.byHost.values()].map((t) => t.close()));
    this.byHost.clear();
  }
}
