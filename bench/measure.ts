import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One timed run of a controller process. */
export interface Sample {
  code: number | null;
  /** Wall time from spawn to exit, measured here (ms resolution, includes process start). */
  wallS: number;
  /** user + sys CPU of the child and every descendant it waited for (GNU time, from wait4). */
  cpuS: number;
  /** Largest single process's peak RSS in the tree (GNU time %M = wait4's ru_maxrss), MB. */
  rssMb: number;
  /** Peak of the summed RSS of the whole process tree, sampled from /proc every sampleMs, MB. */
  treeRssMb: number;
  stdout: string;
  stderr: string;
}

const PAGE_KB = 4;

/** RSS (kB) summed over `root` and all its descendants, from /proc/<pid>/stat. */
function treeRssKb(root: number): number {
  const parent = new Map<number, number>();
  const rss = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // after "pid (comm) ": state ppid ... ; rss is field 24 overall, index 21 here
      parent.set(Number(d), Number(f[1]));
      rss.set(Number(d), Number(f[21]) * PAGE_KB);
    } catch {
      /* exited meanwhile */
    }
  }
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return true;
    return false;
  };
  let sum = 0;
  for (const [pid, kb] of rss) if (pid !== root && inTree(pid)) sum += kb; // root is /usr/bin/time itself
  return sum;
}

let seq = 0;

/** Runs `cmd args` under GNU time; resolves when it exits (a non-zero exit is reported, not thrown). */
export function measure(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; sampleMs?: number; timeoutMs?: number } = {}): Promise<Sample> {
  const out = join(tmpdir(), `harun-bench-time-${process.pid}-${seq++}`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, cmd, ...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const so: Buffer[] = [];
    const se: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => so.push(d));
    child.stderr.on('data', (d: Buffer) => se.push(d));
    let peak = 0;
    const sampler = setInterval(() => {
      if (child.pid) peak = Math.max(peak, treeRssKb(child.pid));
    }, opts.sampleMs ?? 100);
    const killer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code) => {
      const wallS = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      clearTimeout(killer);
      let fields: number[] = [];
      try {
        // GNU time writes "Command exited with non-zero status N" first when it fails
        const lines = readFileSync(out, 'utf8').trim().split('\n');
        fields = lines[lines.length - 1].split(' ').map(Number);
        rmSync(out, { force: true });
      } catch {
        /* killed before time wrote anything */
      }
      const [, user = NaN, sys = NaN, maxKb = NaN] = fields;
      resolve({
        code,
        wallS,
        cpuS: user + sys,
        rssMb: maxKb / 1024,
        treeRssMb: Math.max(peak, maxKb) / 1024,
        stdout: Buffer.concat(so).toString('utf8'),
        stderr: Buffer.concat(se).toString('utf8'),
      });
    });
  });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
