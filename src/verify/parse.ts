/**
 * Parsers of the few command outputs verify reads on the hosts. Each takes the text of one
 * command and returns plain data; nothing here touches a host. (`ip -o addr`: facts/network.ts's
 * parseAddrLines.)
 */
import type { AddrLine } from '../facts/network.js';

/** The addresses of `addrs` equal to `ip` (any prefix), e.g. where a host holds the VIP. */
export function holdersOf(addrs: AddrLine[], ip: string): AddrLine[] {
  return addrs.filter((a) => a.address === ip);
}

export interface IpvsReal {
  address: string;
  port: number;
  forward: string;
  weight: number;
  /** ActiveConn/InActConn of `-Ln`, Conns of `-Ln --stats`. */
  conns: number;
}

export interface IpvsService {
  proto: string;
  address: string;
  port: number;
  /** The scheduler (`-Ln`); empty for `--stats` output. */
  scheduler: string;
  /** Conns of `--stats` output; 0 otherwise. */
  conns: number;
  reals: IpvsReal[];
}

function hostPort(s: string): { address: string; port: number } | undefined {
  const m = /^\[?([0-9a-fA-F.:]+?)\]?:(\d+)$/.exec(s);
  return m ? { address: m[1], port: Number(m[2]) } : undefined;
}

/** `ipvsadm -Ln` or `ipvsadm -Ln --stats`. Headers are skipped; services keep their order. */
export function parseIpvsadm(text: string): IpvsService[] {
  const out: IpvsService[] = [];
  const stats = /\bConns\b/.test(text);
  for (const line of text.split('\n')) {
    const svc = /^(TCP|UDP|SCTP|FWM)\s+(\S+)\s*(.*)$/.exec(line.trim());
    if (svc && !line.startsWith(' ')) {
      const hp = hostPort(svc[2]);
      if (!hp) continue;
      const rest = svc[3].trim().split(/\s+/).filter(Boolean);
      out.push({ proto: svc[1], ...hp, scheduler: stats ? '' : (rest[0] ?? ''), conns: stats ? Number(rest[0] ?? 0) : 0, reals: [] });
      continue;
    }
    const real = /^\s*->\s+(\S+)\s*(.*)$/.exec(line);
    if (!real || !out.length) continue;
    const hp = hostPort(real[1]);
    if (!hp) continue; // the "-> RemoteAddress:Port" header
    const f = real[2].trim().split(/\s+/).filter(Boolean);
    const r: IpvsReal = stats
      ? { ...hp, forward: '', weight: 0, conns: Number(f[0] ?? 0) }
      : { ...hp, forward: f[0] ?? '', weight: Number(f[1] ?? 0), conns: Number(f[2] ?? 0) + Number(f[3] ?? 0) };
    out[out.length - 1].reals.push(r);
  }
  return out;
}

export function findService(services: IpvsService[], vip: string, port: number): IpvsService | undefined {
  return services.find((s) => s.address === vip && s.port === port);
}

/** `name=value` lines (the sysctls verify prints from /proc/sys). */
export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return out;
}

/** What verify needs from a director's keepalived.conf (its first vrrp_instance and virtual_server). */
export interface KeepalivedConf {
  state?: string;
  priority?: number;
  advertInt?: number;
  nopreempt: boolean;
  lbAlgo?: string;
  /** vrrp_version (global_defs) or version (vrrp_instance); keepalived's default is 2. */
  vrrpVersion?: number;
  /** lvs_sync_daemon: the interface, and the VRRP instance whose state it follows. */
  lvsSync?: { iface: string; instance?: string };
}

export function parseKeepalivedConf(text: string): KeepalivedConf {
  const lines = text.split('\n').map((l) => l.replace(/[#!].*$/, '').trim());
  const word = (key: string) => lines.map((l) => new RegExp(`^${key}\\s+(\\S+)`).exec(l)?.[1]).find((v) => v !== undefined);
  const num = (key: string) => {
    const v = word(key);
    return v === undefined || Number.isNaN(Number(v)) ? undefined : Number(v);
  };
  return {
    state: word('state'),
    priority: num('priority'),
    advertInt: num('advert_int'),
    nopreempt: lines.some((l) => l === 'nopreempt'),
    lbAlgo: word('lb_algo'),
    vrrpVersion: num('vrrp_version') ?? num('version'),
    lvsSync: syncDaemon(lines),
  };
}

/** `lvs_sync_daemon <IFACE> [[inst] <VRRP_INSTANCE>] [id N] [maxlen N] [port N] [ttl N] [group IP]` */
function syncDaemon(lines: string[]): KeepalivedConf['lvsSync'] {
  const w = lines.find((l) => /^lvs_sync_daemon\s/.test(l))?.split(/\s+/).slice(1);
  if (!w?.length) return undefined;
  const [iface, ...rest] = w;
  const at = rest[0] === 'inst' ? 1 : 0;
  const instance = rest[at] !== undefined && !['id', 'maxlen', 'port', 'ttl', 'group'].includes(rest[at]) ? rest[at] : undefined;
  return { iface, instance };
}

/** One request of the client-side probe. Times are the client's clock, in ms since the epoch. */
export interface ProbeSample {
  /** When the request was sent: its answer's time less curl's own time_total. */
  sent: number;
  /** When its answer (or its failure) came: the clock read right after curl returned. */
  done: number;
  /**
   * From the clock read before curl to the request's send: starting curl (fork, exec, loading
   * its libraries) takes this long, up to seconds on a loaded client.
   */
  launchMs: number;
  ok: boolean;
  /** curl's exit status. */
  rc: number;
  status: number;
  body: string;
}

/**
 * The probe's log. First `E EPOCH_MS A B`: the epoch read between two reads of the client's
 * uptime (s, in 10 ms steps), which ties uptime to the client's clock. Then per request
 * `BEFORE RC BODY... HTTP_CODE TIME_TOTAL_S AFTER`: the uptime before curl started and after it
 * returned, and curl's own time for the request (the body's words joined by single spaces;
 * empty when the request failed). The answer came by AFTER and the request left TIME_TOTAL
 * before it; BEFORE is earlier by curl's start-up. Packet captures on the lab showed why it is
 * done so: with `date` forked before curl (the old probe), a loaded UML client stamped its
 * requests 4 to 6 s before they left. Malformed lines are counted, not fatal: a line cut by
 * the end of the probe is possible.
 */
export function parseProbeLog(text: string): { samples: ProbeSample[]; malformed: number } {
  const samples: ProbeSample[] = [];
  let malformed = 0;
  const up = (w: string | undefined) => (/^\d+\.\d{1,3}$/.test(w ?? '') ? Math.round(Number(w) * 1000) : NaN);
  const lines = text.split('\n');
  const e = /^E (\d{12,}) (\S+) (\S+)\s*$/.exec(lines.find((l) => l.startsWith('E ')) ?? '');
  // epoch minus uptime, both in ms; without it no line can be placed in time
  const base = e ? Number(e[1]) - (up(e[2]) + up(e[3])) / 2 : NaN;
  for (const line of lines) {
    const f = line.trim().split(/\s+/).filter(Boolean);
    if (!f.length || f[0] === 'E') continue;
    const [first, rc, ...rest] = f;
    const after = base + up(rest.pop());
    const time = Number(rest.pop());
    const status = Number(rest.pop());
    const before = base + up(first);
    if (!Number.isFinite(before) || !(after >= before) || !/^\d+$/.test(rc ?? '') || !Number.isFinite(time) || !Number.isInteger(status)) {
      malformed++;
      continue;
    }
    const done = Math.round(after);
    const sent = Math.round(Math.max(before, after - time * 1000));
    samples.push({ sent, done, launchMs: sent - Math.round(before), rc: Number(rc), status, ok: Number(rc) === 0 && status >= 200 && status < 400, body: rest.join(' ') });
  }
  samples.sort((a, b) => a.sent - b.sent);
  return { samples, malformed };
}

/** Answers of the traffic loop: `ok BODY...` or `fail RC`. */
export function parseTraffic(text: string): { bodies: string[]; failures: string[] } {
  const bodies: string[] = [];
  const failures: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^(ok|fail)\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    if (m[1] === 'ok') bodies.push(m[2].trim());
    else failures.push(m[2].trim());
  }
  return { bodies, failures };
}

/** Sections of one command's output, each started by a line `--- NAME`. */
export function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  let buf: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^--- (\S+)$/.exec(line);
    if (m) {
      if (name) out.set(name, buf.join('\n'));
      name = m[1];
      buf = [];
    } else buf.push(line);
  }
  if (name) out.set(name, buf.join('\n'));
  return out;
}

/** A sync daemon as `ipvsadm -L --daemon` shows it. */
export interface SyncDaemon {
  iface: string;
  syncid: number;
}

/** `ipvsadm -L --daemon`: `master sync daemon (mcast=eth0, syncid=51, ...)`, the same for backup. */
export function parseSyncDaemons(text: string): { master?: SyncDaemon; backup?: SyncDaemon } {
  const out: { master?: SyncDaemon; backup?: SyncDaemon } = {};
  for (const line of text.split('\n')) {
    const m = /^(master|backup) sync daemon \(mcast=([^,\s)]+),\s*syncid=(\d+)/.exec(line.trim());
    if (m) out[m[1] as 'master' | 'backup'] = { iface: m[2], syncid: Number(m[3]) };
  }
  return out;
}
