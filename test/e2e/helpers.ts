/**
 * Shared steps of the end-to-end tests: run harun as a user would (bin/harun.js), time it,
 * read the recap and the verify report, and see what a lab left behind on this machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadYamlFile } from '../../src/config/yaml.js';
import { netnsName } from '../../src/lab/uml.js';

/** The repository root, from dist/test/e2e or test/e2e. */
export const ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'bin', 'harun.js'))) d = dirname(d);
  return d;
})();

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `harun ARGS` from the repository root, killed after timeoutMs. */
export function harun(args: string[], timeoutMs: number): Promise<Ran> {
  const t0 = Date.now();
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'harun.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[test: killed after ${timeoutMs / 1000} s]`;
      child.kill('SIGINT');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** The recap lines of a play: host -> counters. */
export function recap(out: string): Map<string, Record<string, number>> {
  const m = new Map<string, Record<string, number>>();
  for (const line of out.split('\n')) {
    const r = /^(\S+)\s*:\s*(ok=\d+.*)$/.exec(line.trim());
    if (!r) continue;
    m.set(r[1], Object.fromEntries([...r[2].matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1], Number(x[2])])));
  }
  return m;
}

export interface JsonCheck {
  step: number;
  name: string;
  status: 'pass' | 'fail' | 'not run';
  detail: string;
}

export interface JsonReport {
  checks: JsonCheck[];
  figures: {
    outageMs?: number;
    outageEarliestMs?: number;
    takeoverMs?: number;
    takeoverEarliestMs?: number;
    bound?: { boundMs: number };
    requestsLost?: number;
    distributionBefore?: Record<string, number>;
    distributionAfter?: Record<string, number>;
    scheduledBefore?: Record<string, number>;
    scheduledAfter?: Record<string, number>;
    longLivedConnections?: number;
    longLivedBroken?: number;
    returnMs?: number;
  };
  exitCode: number;
  master?: string;
  backup?: string;
}

export function parseReport(out: string): JsonReport {
  return JSON.parse(out) as JsonReport;
}

export function summary(r: JsonReport): string {
  return r.checks.map((c) => `${c.status.toUpperCase().padEnd(7)} ${c.step}. ${c.name}${c.status === 'pass' ? '' : `: ${c.detail}`}`).join('\n');
}

/**
 * Whatever a lab has running here: linux.uml processes, lab links on the host (a uml lab's
 * uplink, named like its namespace), uml lab namespaces and their port forwarders, and the lab
 * subnet on a host interface (a docker lab's network; a uml lab keeps it in its namespace).
 * With `dir`, only what the lab in that directory made (its uplink and namespace are named
 * after the directory: UmlProvider's netnsName).
 */
export function labTraces(dir?: string): { uml: string[]; links: string[]; netns: string[]; forwarders: string[]; subnet: string } {
  const ns = dir === undefined ? undefined : netnsName(dir);
  const uml: string[] = [];
  const forwarders: string[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1');
      const line = `${e} ${cmd.replace(/\0/g, ' ').slice(0, 120)}`;
      if (dir !== undefined && !cmd.includes(`\0uml_dir=${resolve(dir)}/uml\0`) && !cmd.includes(`\0harun-lab\0${resolve(dir)}\0`)) continue;
      if (cmd.startsWith('linux.uml') || cmd.includes('/linux.uml\0')) uml.push(line);
      else if (/\/forwarder\.js\0harun-lab\0/.test(cmd)) forwarders.push(line);
    } catch {
      /* gone */
    }
  }
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout.split('\n')
    .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1] ?? '')
    .filter((n) => (ns ? n === ns : n.startsWith('harun-')));
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => (ns ? n === ns : /^harun-[0-9a-f]{8}$/.test(n)));
  const subnet = spawnSync('ip', ['-o', '-4', 'addr', 'show', 'to', '10.222.2.0/24'], { encoding: 'utf8' }).stdout.trim();
  return { uml, links, netns, forwarders, subnet };
}

/** NAT/filter rules a lab in `dir` tagged with its comment. */
export function labRules(dir: string): string[] {
  const out: string[] = [];
  for (const table of ['nat', 'filter']) {
    const r = spawnSync('iptables', ['-w', '-t', table, '-S'], { encoding: 'utf8' });
    out.push(...r.stdout.split('\n').filter((l) => l.includes(`harun-lab ${resolve(dir)}`)));
  }
  return out;
}

/** One command on a host of a lab inventory (written by `harun lab up`), as root over its key. */
export function sshLab(inventoryFile: string, host: string, cmd: string): { code: number | null; stdout: string; stderr: string } {
  const inv = loadYamlFile(inventoryFile) as { all: { children: Record<string, { hosts: Record<string, Record<string, unknown>> }> } };
  const vars = Object.values(inv.all.children).map((g) => g.hosts[host]).find(Boolean);
  if (!vars) throw new Error(`${host} is not in ${inventoryFile}`);
  const known = /UserKnownHostsFile=(\S+)/.exec(String(vars.ansible_ssh_common_args))![1];
  const r = spawnSync('ssh', [
    '-i', String(vars.ansible_ssh_private_key_file), '-p', String(vars.ansible_port), '-o', `UserKnownHostsFile=${known}`,
    '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR',
    `root@${vars.ansible_host}`, cmd,
  ], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The lines of one task's (or handler's) results in plain output, sorted (hosts answer in any order): `TASK [name]` up to the next banner, every time it ran. */
export function taskLines(out: string, name: string): string[] {
  const lines: string[] = [];
  // every time the task ran: a play with serial runs it once per batch
  for (const banner of [`TASK [${name}]`, `RUNNING HANDLER [${name}]`]) {
    for (let start = out.indexOf(banner); start >= 0; start = out.indexOf(banner, start + 1)) {
      const rest = out.slice(start).split('\n').slice(1);
      const end = rest.findIndex((l) => /^(TASK|PLAY|RUNNING HANDLER) \[|^PLAY RECAP/.test(l));
      lines.push(...rest.slice(0, end < 0 ? undefined : end).filter((l) => l.trim()));
    }
  }
  return lines.sort();
}
