import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GenericContainer, Wait, getContainerRuntimeClient, type ContainerRuntimeClient } from 'testcontainers';
import {
  CONTROLLER_ADDR, LabError, SUBNET, VIP,
  aptArchivesDir, assertSubnetFree, buildImage, freeLoopbackPorts, hostKernelHasIpvs, labHost, labHosts, makeKeys, run, waitForSsh, writeInventory, writeKnownHosts, writeState,
} from './common.js';
import { LAB_VAULT_FILES } from './vault.js';
import type { LabHost, LabProvider, LabState } from './types.js';

// The reaper (ryuk) image cannot be pulled here; the lab record and `lab down` clean up instead.
// testcontainers reads this when the first network or container starts, not at import.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
// sshd is published on 127.0.0.1 only. Where /.dockerenv exists, testcontainers would check the
// mapped port on the bridge's gateway (172.17.0.1), which a loopback binding never answers.
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

const BOOT_TIMEOUT_MS = 180_000;
const NO_ENGINE = 'no Docker engine answers; start one with: bash scripts/start-dockerd.sh (installs docker.io if needed and runs dockerd in the background)';

interface DockerResources {
  image?: string;
  network?: { id: string; name: string };
  containers: Record<string, string>;
  files: string[];
}

const res = (s: LabState) => ({ containers: {}, files: [], ...(s.resources as Partial<DockerResources>) }) as DockerResources;

/** GenericContainer plus what testcontainers has no builder for: a fixed address, sshd on loopback only. */
class LabContainer extends GenericContainer {
  onLabNetwork(network: string, ip: string): this {
    this.networkMode = network;
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: ip } } } };
    return this;
  }
  /**
   * What --privileged would give, minus capabilities this machine's bounding set lacks (here
   * CAP_SYS_RESOURCE: docker's --privileged then fails with "unable to apply caps"): systemd as
   * PID 1 needs SYS_ADMIN and the cgroup tree; the ARP sysctls, VRRP and IPVS need NET_ADMIN,
   * NET_RAW and a writable /proc/sys.
   */
  asServer(): this {
    this.hostConfig.CapAdd = boundingCaps();
    this.hostConfig.SecurityOpt = ['apparmor=unconfined', 'seccomp=unconfined'];
    // The API's form of --security-opt systempaths=unconfined.
    Object.assign(this.hostConfig, { MaskedPaths: [], ReadonlyPaths: [] });
    this.hostConfig.Binds = [...(this.hostConfig.Binds ?? []), '/sys/fs/cgroup:/sys/fs/cgroup:rw'];
    return this;
  }
  /** sshd on 127.0.0.1:port, the same port after a restart (`lab start`): the inventory names it. */
  sshOnLoopback(port: number): this {
    this.withExposedPorts(22);
    this.hostConfig.PortBindings = { '22/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] };
    return this;
  }
}

/** Capability names by number, as far as docker knows them. */
const CAPS = ('CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE ' +
  'NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE ' +
  'SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE ' +
  'AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ').split(' ');

function boundingCaps(): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  const bnd = m ? BigInt('0x' + m[1]) : (1n << BigInt(CAPS.length)) - 1n;
  return CAPS.filter((_, i) => (bnd >> BigInt(i)) & 1n);
}

/** Docker sets ip_forward at its own start only; the lab hosts need it to reach the mirror. */
async function ensureForwarding(): Promise<void> {
  if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== '1') {
    process.stderr.write('lab: enabling net.ipv4.ip_forward (as dockerd does) so lab hosts reach the Debian mirror\n');
    await writeFile('/proc/sys/net/ipv4/ip_forward', '1\n');
  }
}

/** Docker's errors are plain Errors: give them the lab's error class so the CLI prints a message. */
function dockerError(what: string, e: unknown): never {
  if (e instanceof LabError) throw e;
  throw new LabError(`${what}: ${((e as { json?: { message?: string } }).json?.message ?? (e as Error).message).trim()}`);
}

async function client(): Promise<ContainerRuntimeClient> {
  try {
    return await getContainerRuntimeClient();
  } catch {
    throw new LabError(NO_ENGINE);
  }
}

export class DockerProvider implements LabProvider {
  readonly name = 'docker' as const;

  async available(): Promise<{ ok: boolean; reason: string }> {
    // The docker CLI answers fast; testcontainers' runtime discovery would try every strategy first.
    const r = await run('docker', ['info', '--format', '{{.ServerVersion}}'], { check: false }).catch(() => ({ code: 127, stdout: '' }));
    if (r.code !== 0) return { ok: false, reason: NO_ENGINE };
    return { ok: true, reason: `Docker engine ${r.stdout.trim()} answers` };
  }

  async hasIpvs(): Promise<boolean> {
    return hostKernelHasIpvs(); // containers share the host's kernel
  }

  async up(dir: string, realservers: number): Promise<LabState> {
    const avail = await this.available();
    if (!avail.ok) throw new LabError(avail.reason);
    await assertSubnetFree();
    dir = resolve(dir);
    const image = await buildImage('build-docker-image.sh', (name) => name.startsWith('harun-lab:'));
    const docker = await client();
    await mkdir(dir, { recursive: true });
    const hosts: LabHost[] = labHosts(realservers).map((h) => ({ name: h.name, address: h.address, sshHost: '127.0.0.1', sshPort: 0, state: 'unknown' }));
    const r: DockerResources = { image, containers: {}, files: ['hosts', 'id_ed25519', 'id_ed25519.pub', 'known_hosts', 'inventory.yml', ...LAB_VAULT_FILES] };
    const state: LabState = {
      provider: 'docker', dir, subnet: SUBNET, vip: VIP, hosts,
      keyFile: join(dir, 'id_ed25519'), knownHosts: join(dir, 'known_hosts'), resources: r as unknown as Record<string, unknown>,
    };
    await writeState(state);

    const name = `harun-lab-${randomBytes(4).toString('hex')}`;
    await ensureForwarding();
    const net = await docker.network.create({
      Name: name, CheckDuplicate: true, Driver: 'bridge',
      IPAM: { Config: [{ Subnet: SUBNET, Gateway: CONTROLLER_ADDR }] },
      Labels: { 'harun.lab.dir': dir },
    }).catch((e) => dockerError(`creating network ${SUBNET}`, e));
    r.network = { id: net.id, name };
    await writeState(state);

    const keys = await makeKeys(dir, hosts);
    const pub = await readFile(keys.keyFile + '.pub', 'utf8');
    const ports = await freeLoopbackPorts(hosts.length);
    await Promise.all(
      hosts.map(async (h, i) => {
        const seed = join(dir, 'hosts', h.name, 'seed');
        await writeFile(join(seed, 'env'), `HOSTNAME=${h.name}\n`); // docker sets the address
        await writeFile(join(seed, 'authorized_keys'), pub);
        const started = await serverContainer({ image, name: `${name}-${h.name}`, dir, host: h.name, seed, sshPort: ports[i] })
          .withExtraHosts(hosts.map((x) => ({ host: x.name, ipAddress: x.address })))
          .onLabNetwork(name, h.address)
          .start()
          .catch((e) => dockerError(`starting ${h.name}`, e));
        r.containers[h.name] = started.getId();
        h.sshPort = started.getMappedPort(22);
        await writeState(state);
      }),
    );
    await writeKnownHosts(state.knownHosts, hosts, keys.hostKeys);
    await waitForSsh(state, BOOT_TIMEOUT_MS);
    for (const h of hosts) h.state = 'running';
    await writeState(state);
    // The containers share this kernel: without IPVS in it the roles skip loading ip_vs (with
    // the reason) and run keepalived's VRRP alone, so that failover can still be proven here.
    await writeInventory(state, hostKernelHasIpvs() ? {} : { lvs_ipvs: false });
    return state;
  }

  async status(state: LabState): Promise<LabHost[]> {
    const docker = await client();
    const r = res(state);
    return Promise.all(
      state.hosts.map(async (h) => {
        const id = r.containers[h.name];
        if (!id) return { ...h, state: 'unknown' as const };
        try {
          const info = await docker.container.inspect(docker.container.getById(id));
          return { ...h, state: info.State.Running ? ('running' as const) : ('stopped' as const) };
        } catch {
          return { ...h, state: 'stopped' as const };
        }
      }),
    );
  }

  async kill(state: LabState, host: string): Promise<void> {
    labHost(state, host);
    const docker = await client();
    await docker.container.getById(res(state).containers[host]).kill({ signal: 'SIGKILL' }).catch((e: Error) => {
      if (!/is not running|304/.test(e.message)) throw e;
    });
  }

  async start(state: LabState, host: string): Promise<void> {
    const h = labHost(state, host);
    const docker = await client();
    await docker.container.getById(res(state).containers[host]).start().catch((e: Error) => {
      if (/already started|304/.test(e.message)) throw new LabError(`${host} is running: nothing to start (harun lab kill ${host} stops it)`);
      dockerError(`starting ${host}`, e);
    });
    await waitForSsh({ ...state, hosts: [h] }, BOOT_TIMEOUT_MS);
  }

  async down(state: LabState): Promise<void> {
    const docker = await client();
    const r = res(state);
    await removeLabContainers(state.dir, Object.values(r.containers));
    if (r.network) {
      await docker.network.getById(r.network.id).remove().catch((e: Error) => {
        if (!/not found|404/i.test(e.message)) throw e;
      });
    }
    for (const f of r.files) await rm(join(state.dir, f), { recursive: true, force: true });
  }
}

interface ServerSpec {
  image: string;
  name: string;
  dir: string;
  host: string;
  /** Directory copied to /etc/harun-seed: the host's identity (harun-seed in rootfs.sh). */
  seed: string;
  /** Where sshd is published on 127.0.0.1. */
  sshPort: number;
}

/**
 * A lab server: systemd as PID 1 (so the service module behaves as on a server), the shared
 * .debs at /var/cache/harun-debs, sshd on 127.0.0.1, labelled with the lab's dir (so that
 * removeLabContainers finds it even when `lab up` crashed before recording it).
 */
function serverContainer(o: ServerSpec): LabContainer {
  return new LabContainer(o.image)
    .withName(o.name)
    .withHostname(o.host)
    .withLabels({ 'harun.lab.dir': o.dir, 'harun.lab.host': o.host })
    // before asServer: withBindMounts replaces the binds, asServer adds the cgroup tree to them
    .withBindMounts([{ source: aptArchivesDir(), target: '/var/cache/harun-debs', mode: 'rw' }])
    .asServer()
    .withTmpFs({ '/run': 'rw', '/run/lock': 'rw', '/tmp': 'rw' })
    .withCopyDirectoriesToContainer([{ source: o.seed, target: '/etc/harun-seed' }])
    .sshOnLoopback(o.sshPort)
    .withWaitStrategy(Wait.forListeningPorts())
    .withStartupTimeout(BOOT_TIMEOUT_MS)
    .withAutoRemove(false);
}

/** A lab server alone on docker's default bridge: it reaches the mirror through docker's NAT. */
export async function startServerContainer(o: Omit<ServerSpec, 'sshPort'>): Promise<{ id: string; sshPort: number }> {
  await client(); // a clear error when no engine answers
  await ensureForwarding();
  const [sshPort] = await freeLoopbackPorts(1);
  const started = await serverContainer({ ...o, sshPort }).start().catch((e) => dockerError(`starting ${o.host}`, e));
  return { id: started.getId(), sshPort: started.getMappedPort(22) };
}

/** Removes every container labelled with the lab's dir (also ones a crashed `lab up` never recorded). */
export async function removeLabContainers(dir: string, ids: Iterable<string> = []): Promise<void> {
  const docker = await client();
  const all = new Set(ids);
  const leftovers = await docker.container.dockerode.listContainers({ all: true, filters: { label: [`harun.lab.dir=${dir}`] } });
  for (const c of leftovers) all.add(c.Id);
  for (const id of all) {
    await docker.container.getById(id).remove({ force: true, v: true }).catch((e: Error) => {
      if (!/no such container|404/i.test(e.message)) throw e;
    });
  }
}
