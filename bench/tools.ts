import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure, type Sample } from './measure.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The harun entry point the benchmark runs: bin/harun.js, or HARUN_BENCH_MAIN (a main.js of a
 * private build, e.g. `npx tsc -p . --outDir bench/work/dist`, so that a rebuild of dist/ by
 * someone else during a long run cannot change what is measured).
 */
export const HARUN = process.env.HARUN_BENCH_MAIN ?? join(REPO, 'bin/harun.js');
export const FLOOR = fileURLToPath(new URL('./floor.js', import.meta.url));

export type ToolName = 'harun' | 'ansible' | 'floor';

/** Where one fleet's files live, and what each tool is run with. */
export interface Setup {
  n: number;
  work: string;
  playbook: string;
  inventory: string;
  ansibleCfg: string;
  controlDir: string;
  floorSpec: (root: string) => string;
}

export interface RunResult extends Sample {
  /** Sum of changed= over the recap (floor: its own count). */
  changed: number;
  failed: number;
  unreachable: number;
}

/** Ansible's fastest honest settings for this workload; harun reads forks and host_key_checking too. */
export function ansibleCfg(n: number, controlDir: string): string {
  return `[defaults]
forks = ${Math.max(n, 5)}
gathering = explicit
# 200 handshakes at once on 2 shared cores can take longer than the default 10 s
timeout = 60
host_key_checking = True
interpreter_python = /usr/bin/python3
retry_files_enabled = False
deprecation_warnings = False

[ssh_connection]
pipelining = True
ssh_args = -o ControlMaster=auto -o ControlPersist=60s
control_path_dir = ${controlDir}
`;
}

function recap(out: string): { changed: number; failed: number; unreachable: number; hosts: number } {
  const r = { changed: 0, failed: 0, unreachable: 0, hosts: 0 };
  for (const m of out.matchAll(/^\S+\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)) {
    r.changed += Number(m[1]);
    r.unreachable += Number(m[2]);
    r.failed += Number(m[3]);
    r.hosts++;
  }
  return r;
}

/** Closes ansible's ControlPersist masters so that every run starts without a connection. */
export async function closeMasters(dir: string): Promise<void> {
  let socks: string[] = [];
  try {
    socks = readdirSync(dir).map((f) => join(dir, f));
  } catch {
    return;
  }
  await Promise.all(
    socks.map(
      (s) =>
        new Promise<void>((resolve) => {
          const c = spawn('ssh', ['-O', 'exit', '-o', `ControlPath=${s}`, 'bench-master'], { stdio: 'ignore' });
          c.on('close', () => resolve());
          c.on('error', () => resolve());
        }),
    ),
  );
}

export async function runTool(tool: ToolName, s: Setup, root: string, verbose = false): Promise<RunResult> {
  const env = { ...process.env, ANSIBLE_CONFIG: s.ansibleCfg, ANSIBLE_NOCOLOR: '1', ANSIBLE_FORCE_COLOR: '0', CI: '1' };
  const forks = String(Math.max(s.n, 5));
  const ev = `bench_root=${root}`;
  let r: Sample;
  if (tool === 'harun') {
    const args = [HARUN, 'play', s.playbook, '-i', s.inventory, '-f', forks, '--output', 'plain', '-e', ev];
    if (verbose) args.push('-vvv');
    r = await measure('node', args, { cwd: s.work, env, timeoutMs: 900_000 });
  } else if (tool === 'ansible') {
    const args = [s.playbook, '-i', s.inventory, '-f', forks, '-e', ev];
    if (verbose) args.push('-vvv');
    r = await measure('ansible-playbook', args, { cwd: s.work, env, timeoutMs: 1_800_000 });
    await closeMasters(s.controlDir);
  } else {
    r = await measure('node', [FLOOR, s.floorSpec(root)], { cwd: s.work, env, timeoutMs: 900_000 });
  }
  if (tool === 'floor') {
    const m = /changed=(\d+)/.exec(r.stdout);
    return { ...r, changed: m ? Number(m[1]) : NaN, failed: r.code === 0 ? 0 : s.n, unreachable: 0 };
  }
  const rc = recap(r.stdout);
  if (rc.hosts !== s.n) return { ...r, changed: rc.changed, failed: s.n - rc.hosts + rc.failed, unreachable: rc.unreachable };
  return { ...r, ...rc };
}

/** Exec channels per host: harun's own -vvv count; ansible's ssh/sftp/scp invocations in -vvv. */
export function channelsPerHost(tool: ToolName, out: string, n: number): number {
  if (tool === 'floor') return 5;
  const per = new Map<string, number>();
  const re = tool === 'harun' ? /^<(\S+)> ssh channels opened: (\d+)/gm : /^<(\S+)> SSH: EXEC (?:ssh|sftp|scp)\b/gm;
  for (const m of out.matchAll(re)) per.set(m[1], (per.get(m[1]) ?? 0) + (tool === 'harun' ? Number(m[2]) : 1));
  const total = [...per.values()].reduce((a, b) => a + b, 0);
  return per.size === n ? total / n : NaN;
}

export function writeFloorSpec(file: string, spec: object): string {
  writeFileSync(file, JSON.stringify(spec));
  return file;
}
