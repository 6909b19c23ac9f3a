import type { Role } from '../config/model.js';
import { UnreachableError } from '../errors.js';
import { gatherFacts } from '../facts/index.js';
import { emptyStats, type HostStats } from '../report/events.js';
import { LocalTransport } from '../transport/local.js';
import { resolveTarget, type CliSsh } from '../transport/target.js';
import type { Transport } from '../transport/types.js';

/** What harun knows about one host during a run. */
export class HostRuntime {
  /** set_fact / register results: the highest precedence but extra vars. */
  vars: Record<string, unknown> = {};
  /** The loop variables of the dynamic includes running now, outermost first (include params). */
  includeVars: Record<string, unknown>[] = [];
  /** Roles brought in by include_role with `public: true` on this host, in the order they ran. */
  publicRoles: Role[] = [];
  /** Facts without the ansible_ prefix (gathered or set by setup). */
  facts: Record<string, unknown> | undefined;
  failed = false;
  unreachable = false;
  /** Left the play by meta: end_host. */
  ended = false;
  notified = new Set<string>();
  /** The last failure, for ansible_failed_task / ansible_failed_result in a rescue. */
  lastFailure?: { task: string; result: unknown };
  stats: HostStats = emptyStats();
  /** A result was recorded for it: the recap lists it (a host that never ran a task is left out, as in Ansible). */
  processed = false;
  private conn?: Promise<Transport>;
  private factsP?: Promise<Record<string, unknown>>;

  constructor(readonly name: string) {}

  /** One connection per host for the whole run; opened on first use. */
  transport(connVars: () => Record<string, unknown>, cli: CliSsh, log: (msg: string) => void = () => {}): Promise<Transport> {
    if (!this.conn) {
      this.conn = (async () => {
        const vars = connVars();
        const local = vars.ansible_connection === 'local' || (vars.ansible_connection === undefined && this.name === 'localhost' && vars.ansible_host === undefined);
        if (vars.ansible_connection !== undefined && !['local', 'ssh', 'smart', 'paramiko'].includes(String(vars.ansible_connection))) {
          throw new UnreachableError(`ansible_connection=${vars.ansible_connection} is not supported (harun speaks ssh and local)`);
        }
        // ssh2 costs about 0.1 s of CPU to load: only runs that connect over SSH pay for it
        let t: Transport;
        if (local) {
          t = new LocalTransport(this.name);
          log('local connection');
        } else {
          const target = resolveTarget(this.name, vars, cli);
          const hops: string[] = [];
          for (let j = target.jump; j; j = j.jump) hops.unshift(`${j.user}@${j.host}:${j.port}`);
          log(`ssh ${target.user}@${target.host}:${target.port}${hops.length ? ` via ${hops.join(' -> ')}` : ''} (host key checking ${target.hostKeyChecking}; known_hosts ${target.knownHostsFiles.join(', ') || 'none'})`);
          t = new (await import('../transport/ssh.js')).SshTransport(target);
        }
        const t0 = Date.now();
        await t.connect();
        log(`connected in ${Date.now() - t0} ms`);
        return t;
      })();
    }
    return this.conn;
  }

  /**
   * Drop the host's connection and open a new one (meta: reset_connection, wait_for_connection,
   * reboot): a new login, so group memberships and limits changed since apply; later tasks use it.
   * `timeoutSec` bounds this connect instead of the host's ansible_timeout.
   */
  async reconnect(connVars: () => Record<string, unknown>, cli: CliSsh, log: (msg: string) => void = () => {}, timeoutSec?: number): Promise<Transport> {
    await this.disconnect();
    const vars = timeoutSec === undefined ? connVars : () => ({ ...connVars(), ansible_timeout: timeoutSec });
    return this.transport(vars, cli, log);
  }

  /** Close the host's connection; the next task that needs one logs in again (meta: reset_connection). */
  async disconnect(): Promise<void> {
    const old = this.conn;
    this.conn = undefined;
    if (old) await old.then((t) => t.close(), () => undefined);
  }

  /** Facts are gathered once per host per run (one round trip) and cached. */
  gather(t: () => Promise<Transport>): Promise<Record<string, unknown>> {
    if (this.facts) return Promise.resolve(this.facts);
    if (!this.factsP) {
      this.factsP = (async () => {
        const tr = await t();
        const facts = await gatherFacts((cmd) => tr.exec(cmd, { timeoutMs: 60_000 }));
        this.facts = { ...facts, ...(this.facts ?? {}) };
        return this.facts;
      })();
      this.factsP.catch(() => (this.factsP = undefined));
    }
    return this.factsP;
  }

  clearFacts(): void {
    this.facts = undefined;
    this.factsP = undefined;
  }

  async close(): Promise<void> {
    if (!this.conn) return;
    try {
      await (await this.conn).close();
    } catch {
      /* never connected */
    }
  }

  /** SSH sessions opened and commands run on this host (-vvv reports them; the benchmark reads them). */
  channels(): Promise<{ channels: number; execs: number }> {
    const none = { channels: 0, execs: 0 };
    return this.conn ? this.conn.then((t) => ({ channels: t.channels, execs: t.execs }), () => none) : Promise.resolve(none);
  }
}
