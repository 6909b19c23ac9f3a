import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  CONTROLLER_ADDR, DIRECTORS, HOSTS, LabError, PREFIX, SUBNET, VIP,
  assertSubnetFree, buildImage, aptArchivesDir, labHost, makeKeys, readState, resolvConf, run, stateFile, waitForSsh, writeInventory, writeKnownHosts,
  writeState,
} from './common.js';
import { LAB_VAULT_FILES } from './vault.js';
import { buildHostInventory, removeBuildHost, startBuildHost, type BuildHostRecord } from './build-host.js';
import type { LabHost, LabProvider, LabState } from './types.js';

/** Names on the host; the fixed subnet means one uml lab per machine. */
const BRIDGE = 'harun-br0';
const tapName = (host: string) => `harun-${host}`;
const MEM = { director: '768M', other: '384M' };
const BOOT_TIMEOUT_MS = 600_000;

/** What a uml lab made on the controller; `lab down` undoes exactly this list. */
interface UmlResources {
  image?: string;
  bridge?: string;
  taps: string[];
  /** iptables rules as [table, chain, ...match/target], deleted with -D. */
  iptables: string[][];
  /** ip_forward before the lab switched it on (restored by down), if it changed it. */
  ipForwardWas?: string;
  /** Process-group leaders (linux.uml started with setsid) by host. */
  pids: Record<string, number>;
  files: string[];
  /** The container where keepalived compiles natively (none when no docker engine answers). */
  buildHost?: BuildHostRecord;
}

function res(state: LabState): UmlResources {
  const r = state.resources as Partial<UmlResources>;
  return { taps: [], iptables: [], pids: {}, files: [], ...r } as UmlResources;
}

/** Every host process of one instance carries its umid and uml_dir: found even without our record. */
function umlProcesses(state: LabState, host: string): number[] {
  const mark = `umid=harun-${host}\0`;
  const dirMark = `uml_dir=${join(resolve(state.dir), 'uml')}`;
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1');
      if (cmd.includes(mark) && cmd.includes(dirMark)) pids.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** The DIR of a running uml lab, from its instances' uml_dir=DIR/uml. */
function otherLabDir(): string | undefined {
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const m = /\0uml_dir=([^\0]*)\/uml\0/.exec(readFileSync(`/proc/${e}/cmdline`, 'latin1'));
      if (m) return m[1];
    } catch {
      /* exited meanwhile */
    }
  }
  return undefined;
}

async function killHost(state: LabState, host: string): Promise<void> {
  const leader = res(state).pids[host];
  for (let i = 0; i < 50; i++) {
    const pids = umlProcesses(state, host);
    if (pids.length === 0) return;
    if (leader) tryKill(-leader);
    for (const p of pids) tryKill(p);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new LabError(`${host}: linux.uml processes ${umlProcesses(state, host).join(' ')} survive SIGKILL`);
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

/** NAT and forwarding for the lab in DIR, tagged with DIR (how a lab left behind is traced to its record). */
function natRules(dir: string): string[][] {
  const tag = ['-m', 'comment', '--comment', `harun-lab ${dir}`.slice(0, 255)];
  return [
    // only what leaves through another link: with br_netfilter (docker loads it) bridged
    // packets pass POSTROUTING too, and the VRRP adverts to 224.0.0.18 would leave the bridge
    // with the host's address as source (VRRPv3's checksum covers it: every advert refused)
    ['nat', 'POSTROUTING', '-s', SUBNET, '!', '-d', SUBNET, '!', '-o', BRIDGE, ...tag, '-j', 'MASQUERADE'],
    ['filter', 'FORWARD', '-i', BRIDGE, ...tag, '-j', 'ACCEPT'],
    ['filter', 'FORWARD', '-o', BRIDGE, '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', ...tag, '-j', 'ACCEPT'],
  ];
}

/**
 * A uml lab none of whose hosts runs any more (its `lab up` or test run was killed, the machine
 * was stopped) still holds the bridge, the taps and the rules, and every later lab is refused
 * for them. Nothing uses them: they are removed, by the lab's record when its directory (named
 * in its rules' tag) still has one, else by their names and tag. A lab that runs is left alone.
 */
export async function removeDeadUmlLab(log: (msg: string) => void): Promise<void> {
  if (!(await linkExists(BRIDGE)) || otherLabDir() !== undefined) return;
  const rules = await run('iptables', ['-w', '-S', 'FORWARD'], { check: false });
  const dir = new RegExp(`-i ${BRIDGE} -m comment --comment "?harun-lab (.+?)"? -j ACCEPT`).exec(rules.stdout)?.[1];
  log(`lab up: no host of the uml lab${dir ? ` in ${dir}` : ''} runs, but its bridge ${BRIDGE} is still here: removing what it left`);
  const recorded = dir ? await readState(dir).catch(() => undefined) : undefined;
  if (dir && recorded?.provider === 'uml') {
    await new UmlProvider().down(recorded);
    await rm(stateFile(dir), { force: true });
    return;
  }
  for (const link of [...HOSTS.map((h) => tapName(h.name)), BRIDGE]) if (await linkExists(link)) await run('ip', ['link', 'del', link]);
  for (const [table, chain, ...spec] of dir ? natRules(dir) : [])
    if ((await run('iptables', ['-w', '-t', table, '-C', chain, ...spec], { check: false })).code === 0)
      await run('iptables', ['-w', '-t', table, '-D', chain, ...spec]);
}

async function linkExists(name: string): Promise<boolean> {
  return (await run('ip', ['link', 'show', 'dev', name], { check: false })).code === 0;
}

export class UmlProvider implements LabProvider {
  readonly name = 'uml' as const;

  async available(): Promise<{ ok: boolean; reason: string }> {
    if ((await run('sh', ['-c', 'command -v linux.uml'], { check: false })).code !== 0)
      return { ok: false, reason: 'linux.uml is not installed (apt-get install user-mode-linux)' };
    if (!existsSync('/dev/net/tun')) return { ok: false, reason: '/dev/net/tun is missing (no tap devices)' };
    if (process.getuid?.() !== 0) return { ok: false, reason: 'the uml lab needs root (bridge, taps and NAT on the host)' };
    return { ok: true, reason: 'linux.uml is installed: every lab host runs its own Linux 6.1 kernel with IPVS' };
  }

  async hasIpvs(): Promise<boolean> {
    return true; // the UML kernel ships ip_vs as modules, installed into the image
  }

  async up(dir: string): Promise<LabState> {
    const avail = await this.available();
    if (!avail.ok) throw new LabError(`uml lab: ${avail.reason}`);
    if (await linkExists(BRIDGE))
      throw new LabError(`bridge ${BRIDGE} exists: another uml lab is up on this machine (harun lab down --dir ${otherLabDir() ?? '<its dir>'})`);
    await assertSubnetFree();
    dir = resolve(dir);
    const image = await buildImage('build-uml-image.sh');
    await mkdir(join(dir, 'uml'), { recursive: true });
    const hosts: LabHost[] = HOSTS.map((h) => ({ name: h.name, address: h.address, sshHost: h.address, sshPort: 22, state: 'unknown' }));
    const r: UmlResources = { image, taps: [], iptables: [], pids: {}, files: [] };
    const state: LabState = {
      provider: 'uml', dir, subnet: SUBNET, vip: VIP, hosts,
      keyFile: join(dir, 'id_ed25519'), knownHosts: join(dir, 'known_hosts'), resources: r as unknown as Record<string, unknown>,
    };
    r.files.push('hosts', 'uml', 'id_ed25519', 'id_ed25519.pub', 'known_hosts', 'inventory.yml', ...LAB_VAULT_FILES);
    await writeState(state);

    const keys = await makeKeys(dir);
    await writeKnownHosts(state.knownHosts, hosts, keys.hostKeys);
    await this.network(state, r);
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
        umlProcesses(state, h.name).length === 0 ? `linux.uml exited during boot; see ${join(dir, h.name + '.log')}` : undefined,
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

  /** Bridge with the controller's address, one tap per host, and NAT so hosts reach the mirror. */
  private async network(state: LabState, r: UmlResources): Promise<void> {
    // Snooping off: VRRP adverts (224.0.0.18) must reach every tap without an IGMP join.
    await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge', 'mcast_snooping', '0']);
    r.bridge = BRIDGE;
    await writeState(state);
    await run('ip', ['addr', 'add', `${CONTROLLER_ADDR}/${PREFIX}`, 'dev', BRIDGE]);
    await run('ip', ['link', 'set', BRIDGE, 'up']);
    for (const h of HOSTS) {
      const tap = tapName(h.name);
      await run('ip', ['tuntap', 'add', 'dev', tap, 'mode', 'tap']);
      r.taps.push(tap);
      await writeState(state);
      // The UML vector driver has GRO off: segmentation-offloaded frames from the host to the
      // guest are dropped, which stalls large SSH transfers (a 1.2 MB push hung for minutes).
      await run('ip', ['link', 'set', 'dev', tap, 'gso_max_segs', '1']);
      await run('ip', ['link', 'set', tap, 'master', BRIDGE, 'up']);
    }
    const fwd = (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim();
    if (fwd !== '1') {
      r.ipForwardWas = fwd;
      await writeState(state);
      await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
    }
    for (const [table, chain, ...spec] of natRules(state.dir)) {
      // -I: ahead of a DROP policy rule someone else (dockerd) may have put in FORWARD.
      await run('iptables', ['-w', '-t', table, '-I', chain, ...spec]);
      r.iptables.push([table, chain, ...spec]);
      await writeState(state);
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
    const child = spawn('linux.uml', args, { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    if (!child.pid) throw new LabError(`${h.name}: linux.uml did not start`);
    return child.pid;
  }

  async status(state: LabState): Promise<LabHost[]> {
    return state.hosts.map((h) => ({ ...h, state: umlProcesses(state, h.name).length ? 'running' : 'stopped' }));
  }

  async kill(state: LabState, host: string): Promise<void> {
    labHost(state, host);
    await killHost(state, host);
  }

  async start(state: LabState, host: string): Promise<void> {
    const h = labHost(state, host);
    const r = res(state);
    if (umlProcesses(state, host).length) throw new LabError(`${host} is running: nothing to start (harun lab kill ${host} stops it)`);
    if (!r.image) throw new LabError(`${host}: the lab record names no image to boot`);
    // the same copy-on-write disk: the host boots with what it had written before the crash
    r.pids[host] = this.boot(state, r.image, h, 'a');
    state.resources = r as unknown as Record<string, unknown>;
    await writeState(state);
    await waitForSsh({ ...state, hosts: [h] }, BOOT_TIMEOUT_MS, async () =>
      umlProcesses(state, host).length === 0 ? `linux.uml exited during boot; see ${join(state.dir, host + '.log')}` : undefined,
    );
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
    for (const tap of r.taps) if (await linkExists(tap)) await attempt(`tap ${tap}`, () => run('ip', ['link', 'del', tap]));
    if (r.bridge && (await linkExists(r.bridge))) await attempt(`bridge ${r.bridge}`, () => run('ip', ['link', 'del', r.bridge!]));
    for (const [table, chain, ...spec] of r.iptables) {
      const ok = await run('iptables', ['-w', '-t', table, '-C', chain, ...spec], { check: false });
      if (ok.code === 0) await attempt(`iptables ${chain}`, () => run('iptables', ['-w', '-t', table, '-D', chain, ...spec]));
    }
    // A dockerd started while the lab was up saw forwarding on and relies on it from then on.
    if (r.ipForwardWas !== undefined && !dockerdRuns())
      await attempt('ip_forward', () => writeFile('/proc/sys/net/ipv4/ip_forward', r.ipForwardWas + '\n'));
    if (problems.length) throw new LabError(`lab down left something behind:\n  ${problems.join('\n  ')}`);
    for (const f of r.files) await rm(join(state.dir, f), { recursive: true, force: true });
  }
}

