/**
 * The cluster verify works on, read from the inventory before any host is reached: its
 * directors, real servers and client, the VIP and port, and how to run a command on each host
 * (the run's transport, become through sudo when the inventory says ansible_become).
 */
import { isIPv4 } from 'node:net';
import { OptionsError, ValidationError } from '../errors.js';
import { loadConfig } from '../config/cfg.js';
import { loadInventory, type Inventory } from '../inventory/index.js';
import type { Sh } from '../shell/sh.js';
import { resolveBecome, wrap } from '../shell/wrap.js';
import { TransportPool } from '../transport/pool.js';
import type { CliSsh } from '../transport/target.js';
import type { ExecResult } from '../transport/types.js';
import { renderValue } from '../vars/template.js';


export interface HostSpec {
  name: string;
  /** Address on the cluster network: lvs_address, else lab_address, else ansible_host. */
  address: string;
  vars: Record<string, unknown>;
  /** A real server's document root (webserver_docroot, else the webserver role's default). */
  docroot: string;
}

export interface ClusterSpec {
  vip: string;
  port: number;
  directors: HostSpec[];
  realservers: HostSpec[];
  client?: HostSpec;
  /** Set by `harun lab up`: where the lab's record is (crash faults need it). */
  labDir?: string;
  labProvider?: string;
}

function where(inv: Inventory): string {
  return inv.sources.join(', ') || '(no inventory)';
}

/** A variable of `host`, templated against its own variables; undefined when unset or unrenderable. */
export function hostValue(inv: Inventory, host: string, name: string): unknown {
  const vars: Record<string, unknown> = { ...inv.hostVars(host), inventory_hostname: host, groups: inv.groups() };
  const v = vars[name];
  if (v === undefined || v === null) return undefined;
  try {
    return renderValue(v, vars);
  } catch {
    return undefined;
  }
}

function spec(inv: Inventory, host: string): HostSpec {
  const addr = ['lvs_address', 'lab_address', 'ansible_host'].map((k) => hostValue(inv, host, k)).find((v) => typeof v === 'string' && v.length > 0);
  const docroot = hostValue(inv, host, 'webserver_docroot');
  return { name: host, address: String(addr ?? host), vars: inv.hostVars(host), docroot: typeof docroot === 'string' && docroot.startsWith('/') ? docroot.replace(/\/+$/, '') : '/var/www/html' };
}

/**
 * Reads and checks what verify needs; bad input is a ValidationError (exit 4) naming the problem.
 * `client` (--client) picks the host the probe and the long-lived connections run from instead
 * of the first of group clients: any inventory host but a director or a real server, which hold
 * the VIP themselves (an OptionsError, exit 5).
 */
export function clusterSpec(inv: Inventory, client?: string): ClusterSpec {
  const groups = inv.groups();
  const directors = groups.directors ?? [];
  if (!directors.length)
    throw new ValidationError('verify', `inventory ${where(inv)} has no hosts in group 'directors': verify needs the LVS directors (keepalived + IPVS) there, as in inventory/seed.ini`);
  const realservers = groups.realservers ?? [];
  if (!realservers.length)
    throw new ValidationError('verify', `inventory ${where(inv)} has no hosts in group 'realservers': verify needs the web servers behind the VIP there`);
  const vips = new Map<string, string[]>();
  for (const d of directors) {
    const v = hostValue(inv, d, 'lvs_vip');
    const key = v === undefined ? '' : String(v);
    vips.set(key, [...(vips.get(key) ?? []), d]);
  }
  if (vips.has('')) {
    const pos = inv.varOrigin(directors[0], 'lvs_vip');
    throw new ValidationError('verify', `lvs_vip is not set for ${vips.get('')!.join(', ')} in inventory ${where(inv)}: give the cluster's virtual IPv4 address (e.g. lvs_vip=192.168.2.100 in [all:vars])`, pos);
  }
  if (vips.size > 1)
    throw new ValidationError('verify', `the directors disagree on lvs_vip: ${[...vips].map(([v, hs]) => `${v} (${hs.join(', ')})`).join(' vs ')}`);
  const vip = [...vips.keys()][0];
  if (!isIPv4(vip))
    throw new ValidationError('verify', `lvs_vip: expected an IPv4 address such as 192.168.2.100, got "${vip}"`, inv.varOrigin(directors[0], 'lvs_vip'));
  const rawPort = hostValue(inv, directors[0], 'lvs_port') ?? 80;
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new ValidationError('verify', `lvs_port: expected a port from 1 to 65535, got "${String(rawPort)}"`, inv.varOrigin(directors[0], 'lvs_port'));
  const clients = groups.clients ?? [];
  if (client !== undefined) {
    if (!inv.has(client)) throw new OptionsError(`--client ${client}: no such host in inventory ${where(inv)}; expected a host of it (such as one with ansible_connection=local for this machine)`);
    if (directors.includes(client) || realservers.includes(client))
      throw new OptionsError(`--client ${client}: a ${directors.includes(client) ? 'director' : 'real server'} holds the VIP itself, so its requests never cross the load balancer; expected another host`);
  }
  const labDir = hostValue(inv, directors[0], 'harun_lab_dir');
  const labProvider = hostValue(inv, directors[0], 'harun_lab_provider');
  return {
    vip,
    port,
    directors: directors.map((h) => spec(inv, h)),
    realservers: realservers.map((h) => spec(inv, h)),
    client: client !== undefined ? spec(inv, client) : clients.length ? spec(inv, clients[0]) : undefined,
    labDir: typeof labDir === 'string' && labDir ? labDir : undefined,
    labProvider: typeof labProvider === 'string' ? labProvider : undefined,
  };
}

/** The inventory verify works on (-i, else the project config's), and the config's SSH options. */
export function loadVerifyInventory(given: string[]): { sources: string[]; inv: Inventory; cli: CliSsh } {
  const cfg = loadConfig();
  const sources = given.length ? given : cfg.inventory;
  if (!sources.length) throw new OptionsError('no inventory: give -i INVENTORY (or set inventory in the [defaults] of ansible.cfg / harun.cfg)');
  return { sources, inv: loadInventory(sources), cli: { timeoutSec: cfg.timeout, hostKeyChecking: cfg.hostKeyChecking, privateKey: cfg.privateKeyFile } };
}

export interface Runner {
  readonly name: string;
  readonly address: string;
  /** Runs one POSIX sh command as root (become applied); never throws for a non-zero exit. */
  run(cmd: Sh, timeoutMs?: number): Promise<ExecResult>;
  /** Drops the connection: the host was booted again, the next run logs in anew. */
  reconnect(): void;
}

/** One transport per host for the whole verification, closed by `close()`. */
export class Hosts {
  private readonly pool: TransportPool;
  constructor(cli: CliSsh) {
    this.pool = new TransportPool(cli);
  }

  runner(h: HostSpec): Runner {
    this.pool.get(h.name, h.vars); // bad connection variables fail here, before anything runs
    const become = resolveBecome(h.vars);
    return {
      name: h.name,
      address: h.address,
      reconnect: () => this.pool.drop(h.name),
      run: async (cmd, timeoutMs = 30_000) => {
        const t = this.pool.get(h.name, h.vars);
        await t.connect();
        const w = wrap(cmd, { become }, t.user);
        return t.exec(w.cmd, { timeoutMs, stdin: w.stdinPrefix || undefined });
      },
    };
  }

  close(): Promise<void> {
    return this.pool.closeAll();
  }
}
