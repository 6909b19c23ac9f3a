import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir, release } from 'node:os';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { writeLabVault } from './vault.js';
import { join, resolve } from 'node:path';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { stringify } from 'yaml';
import { HarunError, OptionsError } from '../errors.js';
import { packagePath } from '../package.js';
import type { LabHost, LabState } from './types.js';

/** The seed's topology on the lab's fixed subnet (the seed's 192.168.2.x, last octets kept). */
export const SUBNET = '10.222.2.0/24';
export const PREFIX = 24;
export const VIP = '10.222.2.100';
export const CONTROLLER_ADDR = '10.222.2.254';
export const LVS_PORT = 80;
/** How many real servers a lab may have (web1 at .30 up to web6 at .80, below the VIP). */
export const MAX_REALSERVERS = 6;
export const DEFAULT_REALSERVERS = 2;

/**
 * The lab's hosts: the seed's directors and client, and `realservers` real servers: webN at
 * 10.222.2.(20 + 10 N), its page N five times (the seed's web1 serves 11111, web2 22222).
 */
export function labHosts(realservers = DEFAULT_REALSERVERS): { name: string; address: string; web_body?: string }[] {
  return [
    { name: 'lb1', address: '10.222.2.1' },
    { name: 'lb2', address: '10.222.2.10' },
    { name: 'client', address: '10.222.2.20' },
    ...Array.from({ length: realservers }, (_, i) => ({ name: `web${i + 1}`, address: `10.222.2.${30 + 10 * i}`, web_body: String(i + 1).repeat(5) })),
  ];
}
/** `lab up --realservers TEXT`: the count, or an error that names the flag. */
export function realserverCount(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_REALSERVERS)) throw new OptionsError(`--realservers ${text}: expected a whole number from 1 to ${MAX_REALSERVERS}`);
  return n;
}
export const DIRECTORS = new Set(['lb1', 'lb2']);
const REALSERVER = /^web\d+$/;

export class LabError extends HarunError {
  constructor(message: string) {
    super('lab', message);
  }
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program on the controller without a shell (arguments are never re-parsed). */
export function run(cmd: string, args: string[], opts: { input?: string; check?: boolean } = {}): Promise<RunResult> {
  return new Promise((res, rej) => {
    const child = execFile(cmd, args, { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 127) : 0;
      const r = { code, stdout: String(stdout), stderr: String(stderr) };
      if (code !== 0 && opts.check !== false) {
        rej(new LabError(`${cmd} ${args.join(' ')} failed (exit ${code}): ${r.stderr.trim() || r.stdout.trim()}`));
      } else res(r);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** The lab's host of that name, or an error that lists the hosts there are. */
export function labHost(state: LabState, name: string): LabHost {
  const h = state.hosts.find((x) => x.name === name);
  if (!h) throw new LabError(`no host ${name} in the lab (hosts: ${state.hosts.map((x) => x.name).join(', ')})`);
  return h;
}

/** A server listening on a free port of 127.0.0.1. */
export function listenLoopback(): Promise<Server> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => ok(s));
  });
}

/**
 * N distinct ports on 127.0.0.1 that nothing listens on now (all held open until each is
 * chosen, so no two are the same). A container published on a port of its own keeps it when it
 * starts again; with port 0, docker picks a new one at every start.
 */
export async function freeLoopbackPorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => listenLoopback()));
  const ports = servers.map((srv) => (srv.address() as AddressInfo).port);
  await Promise.all(servers.map((srv) => new Promise((res) => srv.close(res))));
  return ports;
}

export const stateFile = (dir: string) => join(dir, 'lab.json');

export async function readState(dir: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(stateFile(dir), 'utf8')) as LabState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LabError(`${stateFile(dir)}: cannot read the lab record: ${(e as Error).message}`);
  }
}

const stateWrites = new Map<string, Promise<void>>();

/**
 * Written after every resource is made, atomically, so a crashed `lab up` can still be torn
 * down. Hosts come up in parallel and each records itself: the writes of
 * one lab are queued, so two never share the temp file, and each writes the state as it is then.
 */
export function writeState(state: LabState): Promise<void> {
  const f = stateFile(state.dir);
  const next = (stateWrites.get(f) ?? Promise.resolve()).catch(() => undefined).then(async () => {
    await writeFile(f + '.tmp', JSON.stringify(state, null, 2) + '\n');
    await rename(f + '.tmp', f);
  });
  stateWrites.set(f, next);
  return next;
}

/** The lab's client key plus one ed25519 host key per host; known_hosts pins them all. */
export async function makeKeys(dir: string, hosts: { name: string }[]): Promise<{ keyFile: string; knownHosts: string; hostKeys: Map<string, string> }> {
  const keyFile = join(dir, 'id_ed25519');
  await rm(keyFile, { force: true });
  await rm(keyFile + '.pub', { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'harun-lab', '-f', keyFile]);
  const hostKeys = new Map<string, string>();
  for (const h of hosts) hostKeys.set(h.name, await makeHostKey(dir, h.name));
  return { keyFile, knownHosts: join(dir, 'known_hosts'), hostKeys };
}

/** A fresh ed25519 host key in DIR/hosts/NAME/seed; returns "type key" for known_hosts. */
export async function makeHostKey(dir: string, name: string): Promise<string> {
  const d = join(dir, 'hosts', name, 'seed');
  await mkdir(d, { recursive: true });
  const f = join(d, 'ssh_host_ed25519_key');
  await rm(f, { force: true });
  await rm(f + '.pub', { force: true });
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${name}`, '-f', f]);
  return (await readFile(f + '.pub', 'utf8')).trim().split(' ').slice(0, 2).join(' ');
}

/** known_hosts lines for where the controller connects: "addr" on port 22, "[addr]:port" otherwise. */
export async function writeKnownHosts(file: string, hosts: LabHost[], hostKeys: Map<string, string>): Promise<void> {
  const lines = hosts.map((h) => {
    const where = h.sshPort === 22 ? h.sshHost : `[${h.sshHost}]:${h.sshPort}`;
    return `${where} ${hostKeys.get(h.name)}`;
  });
  await writeFile(file, lines.join('\n') + '\n');
}

/** DIR/inventory.yml: the groups and variables of the seed, with the lab's addresses and keys. */
export async function writeInventory(state: LabState, extraVars: Record<string, unknown> = {}, extraGroups: Record<string, unknown> = {}): Promise<string> {
  const dir = resolve(state.dir);
  const realservers = state.hosts.filter((h) => REALSERVER.test(h.name)).map((h) => h.name);
  const specs = labHosts(realservers.length);
  const hostVars = (h: LabHost) => {
    const spec = specs.find((s) => s.name === h.name)!;
    return {
      ansible_host: h.sshHost,
      ansible_port: h.sshPort,
      ansible_user: 'root',
      ansible_ssh_private_key_file: resolve(state.keyFile),
      ansible_ssh_common_args: `-o UserKnownHostsFile=${resolve(state.knownHosts)}`,
      // The address on the lab network: what LVS, VRRP and the client use (ansible_host may be
      // a mapped port on 127.0.0.1 in the docker lab).
      lab_address: h.address,
      ...(spec.web_body ? { web_body: spec.web_body } : {}),
    };
  };
  const group = (names: string[]) => ({
    hosts: Object.fromEntries(names.map((n) => [n, hostVars(state.hosts.find((h) => h.name === n)!)])),
  });
  const inv = {
    all: {
      vars: {
        lvs_vip: state.vip,
        lvs_port: LVS_PORT,
        // Maglev hashing of the client's address and port: both directors pick the same real
        // server for a connection, so one that takes the VIP over forwards the connections the
        // other one had not synced yet instead of resetting them (a handover keeps every request);
        // mh-fallback: a drained real server's (weight 0) share goes to the others, not refused
        lvs_algo: 'mh',
        lvs_sched_flags: ['mh-port', 'mh-fallback'],
        lvs_interface: 'eth0',
        harun_lab_dir: dir,
        harun_lab_provider: state.provider,
        ...extraVars,
      },
      children: {
        directors: group(['lb1', 'lb2']),
        realservers: group(realservers),
        clients: group(['client']),
        ...extraGroups,
      },
    },
  };
  const file = join(dir, 'inventory.yml');
  await writeLabVault(dir);
  await writeFile(file, `# Written by harun lab up (${state.provider}); removed by harun lab down.\n` + stringify(inv));
  return file;
}

/** Waits until every host's sshd accepts the lab key with the pinned host key. */
export async function waitForSsh(state: LabState, timeoutMs: number, alive?: (h: LabHost) => Promise<string | undefined>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await Promise.all(
    state.hosts.map(async (h) => {
      for (;;) {
        if (await bannerOk(h.sshHost, h.sshPort)) {
          const r = await sshRun(state, h, 'true', 15_000);
          if (r.code === 0) return;
          if (Date.now() > deadline) throw new LabError(`${h.name}: sshd answers but login fails: ${r.stderr.trim()}`);
        }
        const dead = alive ? await alive(h) : undefined;
        if (dead) throw new LabError(`${h.name}: ${dead}`);
        if (Date.now() > deadline) throw new LabError(`${h.name}: sshd at ${h.sshHost}:${h.sshPort} did not answer within ${timeoutMs / 1000} s`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }),
  );
}

function bannerOk(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      res(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.on('data', (d) => done(d.toString().startsWith('SSH-')));
    s.on('error', () => done(false));
    // a forwarder (the uml lab's, docker's port proxy) accepts, then closes when nothing listens behind it yet
    s.on('close', () => done(false));
  });
}

/** One command on a lab host through the OpenSSH client, host key checking on. */
export function sshRun(state: LabState, h: Pick<LabHost, 'sshHost' | 'sshPort'>, cmd: string, timeoutMs = 60_000): Promise<RunResult> {
  const args = [
    '-i', state.keyFile, '-p', String(h.sshPort),
    '-o', `UserKnownHostsFile=${state.knownHosts}`, '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', '-o', 'LogLevel=ERROR',
    `root@${h.sshHost}`, cmd,
  ];
  return Promise.race([
    run('ssh', args, { check: false }),
    new Promise<RunResult>((r) => setTimeout(() => r({ code: 255, stdout: '', stderr: 'timeout' }), timeoutMs).unref()),
  ]);
}

/** The host's own resolvers, minus loopback ones the lab hosts cannot reach. */
export async function resolvConf(): Promise<string> {
  let text = '';
  try {
    text = await readFile('/etc/resolv.conf', 'utf8');
  } catch {
    /* none */
  }
  const ns = text.split('\n').filter((l) => /^nameserver\s/.test(l) && !/\s(127\.|::1)/.test(l));
  return ns.length ? ns.join('\n') + '\n' : '';
}

/** The controller's cache of the labs (images, downloaded packages): outlives every lab. */
export const labCacheDir = () => join(process.env.HARUN_CACHE || join(homedir(), '.cache', 'harun'), 'lab');

/**
 * The .debs lab hosts downloaded, on the controller: mounted in every lab host at
 * /var/cache/harun-debs (see harun-debs in scripts/lab/rootfs.sh), kept by `lab down`.
 */
export function aptArchivesDir(): string {
  const d = join(labCacheDir(), 'apt-archives');
  mkdirSync(d, { recursive: true });
  return d;
}

/** The lab image recipes, shipped with harun (the checkout or the installed package). */
export function scriptsDir(): string {
  const d = packagePath('scripts', 'lab');
  if (existsSync(join(d, 'build-uml-image.sh'))) return d;
  throw new LabError(`${d}/build-uml-image.sh not found: the harun installation is incomplete`);
}

/** Runs a (cached) image build script; its progress goes to our stderr, the result is its last line. */
export function buildImage(script: string, exists: (result: string) => boolean = existsSync): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn('bash', [join(scriptsDir(), script)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', fail);
    child.on('close', (code) => {
      const img = out.trim().split('\n').pop() ?? '';
      if (code === 0 && exists(img)) ok(img);
      else fail(new LabError(`building the lab image failed (exit ${code}); run bash scripts/lab/${script} to see why`));
    });
  });
}


/** ip_vs built in or loaded, or loadable as a module of the running kernel. */
export function hostKernelHasIpvs(): boolean {
  if (existsSync('/proc/net/ip_vs')) return true;
  const d = `/lib/modules/${release()}/kernel/net/netfilter/ipvs/ip_vs.ko`;
  return ['', '.xz', '.zst', '.gz'].some((ext) => existsSync(d + ext));
}

/** One lab per machine: the fixed subnet must not be on any interface yet (uml bridge or docker network). */
export async function assertSubnetFree(): Promise<void> {
  const r = await run('ip', ['-o', '-4', 'addr', 'show', 'to', SUBNET], { check: false });
  const dev = r.stdout.trim().split(/\s+/)[1];
  if (r.code === 0 && dev)
    throw new LabError(`${SUBNET} is already on interface ${dev}: another lab is up on this machine (harun lab down --dir <its dir>)`);
}
