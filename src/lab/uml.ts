import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONTROLLER_ADDR, DIRECTORS, LabError, PREFIX, SUBNET, VIP,
  buildImage, aptArchivesDir, labHost, labHosts, listenLoopback, makeKeys, readState, resolvConf, run, stateFile, waitForSsh, writeInventory, writeKnownHosts,
  writeState,
} from './common.js';
import { LAB_VAULT_FILES } from './vault.js';
import { buildHostInventory, removeBuildHost, startBuildHost, type BuildHostRecord } from './build-host.js';
import type { LabHost, LabProvider, LabState } from './types.js';
import { intToIpv4, ipv4ToInt } from '../facts/network.js';

/**
 * Every uml lab has a network namespace of its own, named after its directory: the bridge with
 * the lab's gateway address, the taps and the NAT of the lab's subnet live there, so the host's
 * routes and rules hold nothing of the (fixed) subnet and labs in other directories run side by
 * side. The host end of the namespace's uplink (a veth pair) has the namespace's name.
 */
export const netnsName = (dir: string) => `harun-${createHash('sha256').update(resolve(dir)).digest('hex').slice(0, 8)}`;
/** Names inside the namespace. */
const BRIDGE = 'harun-br0';
const UPLINK = 'uplink';
const tapName = (host: string) => `harun-${host}`;
/** The uplinks' small subnets are taken from here (the first /30 no host route overlaps). */
const LINK_POOL = { base: '10.223.0.0', prefix: 16 };
/** The port forwarder, beside this code (dist/src/lab or dist/bundle: scripts/bundle.mjs copies it). */
const FORWARDER = fileURLToPath(new URL('./forwarder.js', import.meta.url));
const MEM = { director: '768M', other: '384M' };
const BOOT_TIMEOUT_MS = 600_000;

/** What a uml lab made on the controller; `lab down` undoes exactly this list. */
interface UmlResources {
  image?: string;
  /** The lab's network namespace; deleting it deletes its bridge, taps and the uplink pair. */
  netns?: string;
  /** The uplink's subnet (a /30): host end .1 (link named like the namespace), namespace end .2. */
  uplink?: string;
  /** iptables rules on the host as [table, chain, ...match/target], deleted with -D. */
  iptables: string[][];
  /** ip_forward before the lab switched it on (restored by down), if it changed it. */
  ipForwardWas?: string;
  /** Process-group leaders (linux.uml started with setsid) by host. */
  pids: Record<string, number>;
  /** The port forwarder (127.0.0.1:port on the host to each sshd in the namespace). */
  forwarder?: number;
  files: string[];
  /** The container where keepalived compiles natively (none when no docker engine answers). */
  buildHost?: BuildHostRecord;
  /** Only in the record of a lab brought up before the namespace: its bridge and taps on the host. */
  bridge?: string;
  taps?: string[];
}

function res(state: LabState): UmlResources {
  const r = state.resources as Partial<UmlResources>;
  return { iptables: [], pids: {}, files: [], ...r } as UmlResources;
}

/** Every process's command line (NUL-separated), read from /proc. */
function processes(): Array<{ pid: number; cmd: string }> {
  const out: Array<{ pid: number; cmd: string }> = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      out.push({ pid: Number(e), cmd: readFileSync(`/proc/${e}/cmdline`, 'latin1') });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Every host process of one instance carries its umid and uml_dir: found even without our record. */
function umlProcesses(dir: string, host: string): number[] {
  const mark = `umid=harun-${host}\0`;
  const dirMark = `uml_dir=${join(resolve(dir), 'uml')}\0`;
  return processes().filter((p) => p.cmd.includes(mark) && p.cmd.includes(dirMark)).map((p) => p.pid);
}

/** For waitForSsh: why a host will never answer, when its instance is gone. */
function exitedDuringBoot(dir: string, host: string): string | undefined {
  return umlProcesses(dir, host).length === 0 ? `linux.uml exited during boot; see ${join(dir, host + '.log')}` : undefined;
}

/** The DIRs of the uml labs that run, from their instances' uml_dir=DIR/uml. */
function runningUmlDirs(): Set<string> {
  const dirs = new Set<string>();
  for (const p of processes()) {
    const m = /\0uml_dir=([^\0]*)\/uml\0/.exec(p.cmd);
    if (m) dirs.add(m[1]);
  }
  return dirs;
}

/** The port forwarders, with the lab DIR each carries on its command line (forwarder.ts). */
function forwarders(): Array<{ pid: number; dir: string }> {
  return processes().flatMap((p) => {
    const m = /\/forwarder\.js\0harun-lab\0([^\0]*)\0/.exec(p.cmd);
    return m ? [{ pid: p.pid, dir: m[1] }] : [];
  });
}

/** SIGKILLs (the groups of) pids until find() returns none. */
async function killAll(what: string, find: () => number[], groups: number[] = []): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const pids = find();
    if (pids.length === 0) return;
    for (const g of groups) tryKill(-g);
    for (const p of pids) tryKill(p);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new LabError(`${what}: processes ${find().join(' ')} survive SIGKILL`);
}

async function killHost(state: LabState, host: string): Promise<void> {
  const leader = res(state).pids[host];
  await killAll(`${host}: linux.uml`, () => umlProcesses(state.dir, host), leader ? [leader] : []);
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

function dockerdRuns(): boolean {
  try {
    process.kill(Number(readFileSync('/var/run/docker.pid', 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** The harun-* network namespaces on this machine (ours: a lab's, running or left behind). */
async function labNamespaces(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { check: false });
  return r.stdout.split('\n').map((l) => l.split(' ')[0]).filter((n) => /^harun-[0-9a-f]{8}$/.test(n));
}

/** NAT and forwarding on the host for the uplink of the lab in DIR, tagged with DIR (how a lab left behind is traced). */
function hostRules(dir: string, link: string, subnet: string): string[][] {
  const tag = ['-m', 'comment', '--comment', `harun-lab ${dir}`.slice(0, 255)];
  return [
    ['nat', 'POSTROUTING', '-s', subnet, '!', '-o', link, ...tag, '-j', 'MASQUERADE'],
    ['filter', 'FORWARD', '-i', link, ...tag, '-j', 'ACCEPT'],
    ['filter', 'FORWARD', '-o', link, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...tag, '-j', 'ACCEPT'],
  ];
}

/** The host's rules tagged with DIR, as [table, chain, ...spec] (from iptables-save). */
async function taggedRules(dir?: string): Promise<Array<{ dir: string; rule: string[] }>> {
  const out: Array<{ dir: string; rule: string[] }> = [];
  let table = '';
  for (const line of (await run('iptables-save', [], { check: false })).stdout.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1);
    const m = /--comment "?harun-lab ([^"]*)"?/.exec(line);
    if (!line.startsWith('-A ') || !m || (dir !== undefined && m[1] !== dir)) continue;
    const words = (line.match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/^"(.*)"$/, '$1'));
    out.push({ dir: m[1], rule: [table, ...words.slice(1)] });
  }
  return out;
}

async function deleteRule([table, chain, ...spec]: string[]): Promise<void> {
  if ((await run('iptables', ['-w', '-t', table, '-C', chain, ...spec], { check: false })).code === 0)
    await run('iptables', ['-w', '-t', table, '-D', chain, ...spec]);
}

/** The first /30 of LINK_POOL that overlaps no route of the host (any table: addresses have local routes). */
async function freeLinkSubnet(): Promise<string> {
  const used: Array<[number, number]> = [];
  for (const line of (await run('ip', ['-o', '-4', 'route', 'show', 'table', 'all'])).stdout.split('\n')) {
    const w = line.trim().split(/\s+/);
    const dest = /^\d/.test(w[0]) ? w[0] : w[1]; // "local 10.0.0.1 ...", "broadcast ..."
    const m = /^([\d.]+)(?:\/(\d+))?$/.exec(dest ?? '');
    if (!m) continue; // default, multicast tables' oddities
    const len = Number(m[2] ?? 32);
    const size = 2 ** (32 - len);
    const start = ipv4ToInt(m[1]) - (ipv4ToInt(m[1]) % size);
    used.push([start, start + size]);
  }
  const base = ipv4ToInt(LINK_POOL.base);
  for (let n = base; n < base + 2 ** (32 - LINK_POOL.prefix); n += 4)
    if (!used.some(([a, b]) => n < b && a < n + 4)) return `${intToIpv4(n)}/30`;
  throw new LabError(`no free /30 left in ${LINK_POOL.base}/${LINK_POOL.prefix} for the lab's uplink`);
}

/** The host end (.1) and the namespace end (.2) of an uplink subnet. */
function uplinkAddrs(subnet: string): { host: string; ns: string } {
  const [a, b, c, d] = subnet.split('/')[0].split('.').map(Number);
  return { host: `${a}.${b}.${c}.${d + 1}`, ns: `${a}.${b}.${c}.${d + 2}` };
}

async function linkExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name], { check: false })).code === 0;
}

/**
 * Deletes a lab's namespace. Its bridge, taps and uplink pair go with it once nothing runs in it
 * any more, which the kernel does a moment later: the host end is waited for (deleted by hand if
 * it stays, which takes the pair).
 */
async function deleteNamespace(ns: string): Promise<void> {
  if ((await labNamespaces()).includes(ns)) await run('ip', ['netns', 'del', ns]);
  for (let i = 0; i < 50 && (await linkExists(ns)); i++) await new Promise((r) => setTimeout(r, 100));
  if (await linkExists(ns)) await run('ip', ['link', 'del', ns]);
}

/**
 * A uml lab none of whose hosts runs any more (its `lab up` or test run was killed, the machine
 * was stopped) still holds its namespace, its forwarder and its host rules. Nothing uses them:
 * they are removed, by the lab's record when its directory (named in its rules' tag and on its
 * forwarder's command line) still has one, else by the tag, the command line and the namespace's
 * name. A lab that runs is left alone; so is one whose `lab up` has not booted its hosts yet
 * (it has no record of a running host either, so two `lab up` at the very same moment are not
 * told apart from a dead one: start them one after the other).
 */
export async function removeDeadUmlLab(log: (msg: string) => void): Promise<void> {
  const running = runningUmlDirs();
  const dirs = new Set([...(await taggedRules()).map((r) => r.dir), ...forwarders().map((f) => f.dir)]);
  for (const dir of dirs) {
    if (running.has(dir)) continue;
    log(`lab up: no host of the uml lab in ${dir} runs, but its namespace, forwarder or rules are still here: removing what it left`);
    const recorded = await readState(dir).catch(() => undefined);
    if (recorded?.provider === 'uml') {
      await new UmlProvider().down(recorded);
      await rm(stateFile(dir), { force: true });
    }
    await killAll(`the forwarder of ${dir}`, () => forwarders().filter((f) => f.dir === dir).map((f) => f.pid));
    await deleteNamespace(netnsName(dir));
    for (const { rule } of await taggedRules(dir)) await deleteRule(rule);
  }
  const live = new Set([...running].map(netnsName));
  for (const ns of await labNamespaces()) {
    if (live.has(ns)) continue;
    log(`lab up: namespace ${ns} is left from a uml lab no host of which runs: removing it`);
    await deleteNamespace(ns);
  }
}

export class UmlProvider implements LabProvider {
  readonly name = 'uml' as const;

  async available(): Promise<{ ok: boolean; reason: string }> {
    if ((await run('sh', ['-c', 'command -v linux.uml'], { check: false })).code !== 0)
      return { ok: false, reason: 'linux.uml is not installed (apt-get install user-mode-linux)' };
    if (!existsSync('/dev/net/tun')) return { ok: false, reason: '/dev/net/tun is missing (no tap devices)' };
    if (process.getuid?.() !== 0) return { ok: false, reason: 'the uml lab needs root (a network namespace, taps and NAT)' };
    return { ok: true, reason: 'linux.uml is installed: every lab host runs its own Linux 6.1 kernel with IPVS' };
  }

  async hasIpvs(): Promise<boolean> {
    return true; // the UML kernel ships ip_vs as modules, installed into the image
  }

  async up(dir: string, realservers: number): Promise<LabState> {
    const avail = await this.available();
    if (!avail.ok) throw new LabError(`uml lab: ${avail.reason}`);
    dir = resolve(dir);
    const image = await buildImage('build-uml-image.sh');
    await mkdir(join(dir, 'uml'), { recursive: true });
    // sshHost/sshPort: the forwarder's ports, set by network()
    const hosts: LabHost[] = labHosts(realservers).map((h) => ({ name: h.name, address: h.address, sshHost: '127.0.0.1', sshPort: 0, state: 'unknown' }));
    const r: UmlResources = { image, iptables: [], pids: {}, files: [] };
    const state: LabState = {
      provider: 'uml', dir, subnet: SUBNET, vip: VIP, hosts,
      keyFile: join(dir, 'id_ed25519'), knownHosts: join(dir, 'known_hosts'), resources: r as unknown as Record<string, unknown>,
    };
    r.files.push('hosts', 'uml', 'id_ed25519', 'id_ed25519.pub', 'known_hosts', 'inventory.yml', ...LAB_VAULT_FILES);
    await writeState(state);

    const keys = await makeKeys(dir, hosts);
    await this.network(state, r);
    await writeKnownHosts(state.knownHosts, hosts, keys.hostKeys);
    const pub = await readFile(keys.keyFile + '.pub', 'utf8');
    const resolv = await resolvConf();
    await Promise.all(hosts.map((h) => this.seed(dir, h, pub, resolv)));
    for (const h of hosts) {
      r.pids[h.name] = this.boot(state, image, h);
      await writeState(state);
    }
    // The build host starts while the UML hosts boot; `lab down` finds it by the lab's label.
    const build = startBuildHost(state, (m) => process.stderr.write(m + '\n'));
    build.catch(() => {}); // awaited below: a boot failure first must not leave it unhandled
    try {
      await waitForSsh(state, BOOT_TIMEOUT_MS, async (h) =>
        exitedDuringBoot(dir, h.name)
        ?? (!forwarders().some((f) => f.pid === r.forwarder) ? `the port forwarder exited; see ${join(dir, 'forwarder.log')}` : undefined),
      );
    } catch (e) {
      await build.catch(() => {}); // settled before `lab down` looks for its container
      throw e;
    }
    r.buildHost = await build;
    for (const h of hosts) h.state = 'running';
    await writeState(state);
    const inv = r.buildHost ? buildHostInventory(state, r.buildHost) : undefined;
    await writeInventory(state, inv?.vars, inv?.groups);
    return state;
  }

  /**
   * The lab's namespace: a bridge with the controller's address and one tap per host, NAT of
   * the lab's subnet out of the uplink (a veth pair to the host, NATed again there, so hosts
   * reach the mirror), and the forwarder of the hosts' sshd to ports on the host's 127.0.0.1.
   */
  private async network(state: LabState, r: UmlResources): Promise<void> {
    const ns = netnsName(state.dir);
    const inNs = (cmd: string, ...args: string[]) => run('ip', ['netns', 'exec', ns, cmd, ...args]);
    const ip = (...args: string[]) => run('ip', ['-n', ns, ...args]);
    await run('ip', ['netns', 'add', ns]);
    r.netns = ns;
    await writeState(state);
    await ip('link', 'set', 'lo', 'up');
    // Snooping off: VRRP adverts (224.0.0.18) must reach every tap without an IGMP join.
    await ip('link', 'add', BRIDGE, 'type', 'bridge', 'mcast_snooping', '0');
    await ip('addr', 'add', `${CONTROLLER_ADDR}/${PREFIX}`, 'dev', BRIDGE);
    await ip('link', 'set', BRIDGE, 'up');
    for (const h of state.hosts) {
      // made in the namespace: linux.uml, started there, opens it by name
      const tap = tapName(h.name);
      await ip('tuntap', 'add', 'dev', tap, 'mode', 'tap');
      // The UML vector driver has GRO off: segmentation-offloaded frames from the host to the
      // guest are dropped, which stalls large SSH transfers (a 1.2 MB push hung for minutes).
      await ip('link', 'set', 'dev', tap, 'gso_max_segs', '1');
      await ip('link', 'set', tap, 'master', BRIDGE, 'up');
    }

    const link = await freeLinkSubnet();
    const addr = uplinkAddrs(link);
    await run('ip', ['link', 'add', ns, 'type', 'veth', 'peer', 'name', UPLINK, 'netns', ns]);
    r.uplink = link;
    await writeState(state);
    await run('ip', ['addr', 'add', `${addr.host}/30`, 'dev', ns]);
    await run('ip', ['link', 'set', ns, 'up']);
    await ip('addr', 'add', `${addr.ns}/30`, 'dev', UPLINK);
    await ip('link', 'set', UPLINK, 'up');
    await ip('route', 'add', 'default', 'via', addr.host);
    await inNs('sysctl', '-qw', 'net.ipv4.ip_forward=1');
    // Only what leaves through the uplink: with br_netfilter (docker loads it) bridged packets
    // pass POSTROUTING too, and the VRRP adverts to 224.0.0.18 would leave the bridge with the
    // gateway's address as source (VRRPv3's checksum covers it: every advert refused).
    await inNs('iptables', '-w', '-t', 'nat', '-A', 'POSTROUTING', '-s', SUBNET, '-o', UPLINK, '-j', 'MASQUERADE');

    const fwd = (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
    if (fwd !== '1') {
      r.ipForwardWas = fwd;
      await writeState(state);
      await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
    }
    for (const rule of hostRules(state.dir, ns, link)) {
      const [table, chain, ...spec] = rule;
      // -I: ahead of a DROP policy rule someone else (dockerd) may have put in FORWARD.
      await run('iptables', ['-w', '-t', table, '-I', chain, ...spec]);
      r.iptables.push(rule);
      await writeState(state);
    }
    await this.forward(state, r, ns);
  }

  /**
   * One listening socket per host on the host's 127.0.0.1 (a free port each), handed to the
   * forwarder (forwarder.ts) that runs inside the namespace, where the hosts' addresses are.
   * Started with setsid like the instances: it outlives the controller, and finds its way to
   * `lab down` by its pid or by the lab directory on its command line.
   */
  private async forward(state: LabState, r: UmlResources, ns: string): Promise<void> {
    const servers = await Promise.all(state.hosts.map(() => listenLoopback()));
    try {
      // net.Server has no public accessor for its socket: the handle's fd is the libuv one
      const fds = servers.map((s) => (s as unknown as { _handle: { fd: number } })._handle.fd);
      const log = openSync(join(state.dir, 'forwarder.log'), 'w');
      const args = ['netns', 'exec', ns, process.execPath, FORWARDER, 'harun-lab', state.dir, ...state.hosts.map((h) => h.address)];
      const child = spawn('ip', args, { detached: true, stdio: ['ignore', log, log, ...fds] });
      closeSync(log);
      child.on('error', () => {}); // seen as the forwarder missing (waitForSsh's check)
      child.unref();
      if (!child.pid) throw new LabError(`the port forwarder did not start (ip ${args.join(' ')})`);
      r.forwarder = child.pid;
      state.hosts.forEach((h, i) => (h.sshPort = (servers[i].address() as AddressInfo).port));
      await writeState(state);
    } finally {
      for (const s of servers) s.close(); // the forwarder has its own copies
    }
  }

  /** A tiny read-only ext4 disk with this host's identity, read by harun-seed.service at boot. */
  private async seed(dir: string, h: LabHost, pub: string, resolv: string): Promise<void> {
    const d = join(dir, 'hosts', h.name, 'seed');
    await mkdir(d, { recursive: true });
    await writeFile(join(d, 'env'), `HOSTNAME=${h.name}\nADDRESS=${h.address}/${PREFIX}\nGATEWAY=${CONTROLLER_ADDR}\nAPT_ARCHIVES=hostfs\n`);
    await writeFile(join(d, 'authorized_keys'), pub);
    if (resolv) await writeFile(join(d, 'resolv.conf'), resolv);
    const img = join(dir, 'hosts', h.name, 'seed.img');
    await rm(img, { force: true });
    await run('mkfs.ext4', ['-q', '-F', '-d', d, img, '8M']);
    await rm(join(dir, 'hosts', h.name, 'root.cow'), { force: true });
  }

  /** `flags` 'a' when booting again: the console log of the crash stays, for post-mortems. */
  private boot(state: LabState, image: string, h: LabHost, flags: 'w' | 'a' = 'w'): number {
    const hostDir = join(state.dir, 'hosts', h.name);
    const octet = h.address.split('.')[3];
    const args = [
      `mem=${DIRECTORS.has(h.name) ? MEM.director : MEM.other}`,
      `umid=harun-${h.name}`,
      `uml_dir=${join(state.dir, 'uml')}`,
      `ubd0=${join(hostDir, 'root.cow')},${image}`,
      `ubd1r=${join(hostDir, 'seed.img')}`,
      'root=/dev/ubda', 'rw',
      // the only host directory the guest can mount (hostfs): the shared .debs
      `hostfs=${aptArchivesDir()}`,
      `vec0:transport=tap,ifname=${tapName(h.name)},mac=52:54:00:de:02:${Number(octet).toString(16).padStart(2, '0')}`,
      'con=null', 'ssl=null', 'con0=null,fd:1',
      'systemd.show_status=0',
    ];
    const log = openSync(join(state.dir, `${h.name}.log`), flags);
    // setsid: the instance (and its per-address-space helper processes) is one process group,
    // independent of the controller; a SIGKILL to the group is a crash of the whole machine.
    // ip netns exec execs linux.uml: the pid (and the process group) is the instance's
    const child = spawn('ip', ['netns', 'exec', netnsName(state.dir), 'linux.uml', ...args], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    if (!child.pid) throw new LabError(`${h.name}: linux.uml did not start`);
    return child.pid;
  }

  async status(state: LabState): Promise<LabHost[]> {
    return state.hosts.map((h) => ({ ...h, state: umlProcesses(state.dir, h.name).length ? 'running' : 'stopped' }));
  }

  async kill(state: LabState, host: string): Promise<void> {
    labHost(state, host);
    await killHost(state, host);
  }

  async start(state: LabState, host: string): Promise<void> {
    const h = labHost(state, host);
    const r = res(state);
    if (umlProcesses(state.dir, host).length) throw new LabError(`${host} is running: nothing to start (harun lab kill ${host} stops it)`);
    if (!r.image) throw new LabError(`${host}: the lab record names no image to boot`);
    // the same copy-on-write disk: the host boots with what it had written before the crash
    r.pids[host] = this.boot(state, r.image, h, 'a');
    state.resources = r as unknown as Record<string, unknown>;
    await writeState(state);
    await waitForSsh({ ...state, hosts: [h] }, BOOT_TIMEOUT_MS, async () => exitedDuringBoot(state.dir, host));
  }

  async down(state: LabState): Promise<void> {
    const r = res(state);
    const problems: string[] = [];
    const attempt = async (what: string, f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        problems.push(`${what}: ${(e as Error).message}`);
      }
    };
    for (const h of state.hosts) await attempt(`kill ${h.name}`, () => killHost(state, h.name));
    await attempt('build host', () => removeBuildHost(state.dir, r.buildHost));
    const forwarder = () => forwarders().filter((f) => f.pid === r.forwarder || f.dir === resolve(state.dir)).map((f) => f.pid);
    await attempt('forwarder', () => killAll('the port forwarder', forwarder));
    if (r.netns) await attempt(`namespace ${r.netns}`, () => deleteNamespace(r.netns!));
    for (const link of [...(r.taps ?? []), ...(r.bridge ? [r.bridge] : [])])
      if (await linkExists(link)) await attempt(`link ${link}`, () => run('ip', ['link', 'del', link]));
    for (const rule of r.iptables) await attempt(`iptables ${rule[1]}`, () => deleteRule(rule));
    // A dockerd started while the lab was up saw forwarding on and relies on it from then on;
    // another uml lab's uplink relies on it too.
    const others = (await labNamespaces()).filter((n) => n !== r.netns);
    if (r.ipForwardWas !== undefined && !dockerdRuns() && others.length === 0)
      await attempt('ip_forward', () => writeFile('/proc/sys/net/ipv4/ip_forward', r.ipForwardWas + '\n'));
    if (problems.length) throw new LabError(`lab down left something behind:\n  ${problems.join('\n  ')}`);
    for (const f of r.files) await rm(join(state.dir, f), { recursive: true, force: true });
  }
}

