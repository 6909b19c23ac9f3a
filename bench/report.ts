import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { median } from './measure.js';
import type { Timing } from './extras.js';
import { REPO, type ToolName } from './tools.js';

export interface Cell {
  n: number;
  tool: ToolName;
  kind: 'changing' | 'idempotent';
  runs: { wallS: number; cpuS: number; rssMb: number; treeRssMb: number }[];
  channels: number;
  /** Processes started on the hosts per host and task, connection set-up included (untimed, strace). */
  processes?: number;
}

export interface Results {
  machine: Record<string, string>;
  started: string;
  finished?: string;
  tools: ToolName[];
  reps: number;
  cells: Cell[];
  load: { n: number; load: number }[];
  notes: string[];
  syntaxCheck?: Timing & { cpuS?: Timing };
  firstConnect?: Timing & { totalS: Timing };
}

function cmd(c: string, a: string[]): string {
  try {
    return execFileSync(c, a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (e) {
    return ((e as { stderr?: string }).stderr ?? '').trim() || 'not found';
  }
}

export function machine(): Record<string, string> {
  const pkg = JSON.parse(readFileSync(`${REPO}/package.json`, 'utf8')) as { version: string };
  const dirty = cmd('git', ['-C', REPO, 'status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).length;
  const rev = cmd('git', ['-C', REPO, 'rev-parse', '--short', 'HEAD']) + (dirty ? ` + ${dirty} uncommitted paths under src/` : '');
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'} (nproc ${cmd('nproc', [])})`,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${release()}`,
    node: process.version,
    harun: `${pkg.version} (git ${rev})`,
    'ansible-core': cmd('ansible-playbook', ['--version']).split('\n')[0],
    openssh: cmd('sh', ['-c', 'ssh -V 2>&1']),
  };
}

const f = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '–');
const mmm = (xs: number[], d = 2) => (xs.length ? `${f(median(xs), d)} (${f(Math.min(...xs), d)}–${f(Math.max(...xs), d)})` : '–');
const LABEL: Record<ToolName, string> = { harun: 'harun', ansible: 'ansible-playbook', floor: 'floor (ssh2, 1 exec/step)' };

/** Median wall time of tool a over tool b for one N and run kind (NaN when either is missing). */
function ratio(r: Results, n: number, kind: string, a: ToolName, b: ToolName): number {
  const wall = (t: ToolName) => {
    const c = r.cells.find((x) => x.n === n && x.tool === t && x.kind === kind);
    return c && c.runs.length ? median(c.runs.map((y) => y.wallS)) : NaN;
  };
  return wall(a) / wall(b);
}

/** Host processes per host and task of a tool over the floor's, for one N and run kind. */
function procRatio(r: Results, n: number, kind: string, a: ToolName): number {
  const p = (t: ToolName) => r.cells.find((x) => x.n === n && x.tool === t && x.kind === kind)?.processes ?? NaN;
  return p(a) / p('floor');
}

export function render(r: Results): string {
  const L: string[] = [];
  L.push('# Benchmark: harun vs ansible-playbook vs the SSH floor', '');
  L.push('Written by `npm run bench` (bench/run.ts). Do not edit by hand: re-run it.', '');
  L.push(`Run: ${r.started}${r.finished ? ` to ${r.finished}` : ' (partial)'}, ${r.reps} repetitions per tool (see notes), median (min–max).`, '');
  for (const [k, v] of Object.entries(r.machine)) L.push(`- ${k}: ${v}`);
  L.push(`- load average (1 min) after each N: ${r.load.map((x) => `N=${x.n}: ${x.load.toFixed(1)}`).join(', ') || '–'}`, '');
  L.push(
    '| N | run | tool | wall s | controller CPU s | peak RSS MB (largest process) | peak RSS MB (process tree) | SSH channels / host | host processes / host·task |',
    '|---:|---|---|---|---|---|---|---:|---:|',
  );
  for (const c of r.cells) {
    const w = c.runs.map((x) => x.wallS);
    L.push(
      `| ${c.n} | ${c.kind} | ${LABEL[c.tool]} | ${mmm(w)} | ${mmm(c.runs.map((x) => x.cpuS))} | ${mmm(c.runs.map((x) => x.rssMb), 0)} | ${mmm(c.runs.map((x) => x.treeRssMb), 0)} | ${f(c.channels, 1)} | ${f(c.processes ?? NaN, 2)} |`,
    );
  }
  L.push(
    '', '## Ratios (medians of wall time, same run; host processes per host and task)', '',
    '| N | run | ansible-playbook ÷ harun | harun ÷ floor | processes: harun ÷ floor | processes: ansible-playbook ÷ floor |',
    '|---:|---|---:|---:|---:|---:|',
  );
  for (const c of r.cells.filter((x) => x.tool === 'harun')) {
    L.push(
      `| ${c.n} | ${c.kind} | ${f(ratio(r, c.n, c.kind, 'ansible', 'harun'), 1)}× | ${f(ratio(r, c.n, c.kind, 'harun', 'floor'), 2)}× | ` +
        `${f(procRatio(r, c.n, c.kind, 'harun'), 2)}× | ${f(procRatio(r, c.n, c.kind, 'ansible'), 2)}× |`,
    );
  }
  L.push('', '## Targets', '', '| target | figure | met |', '|---|---|---|');
  const ok = (x: number, good: boolean) => (Number.isFinite(x) ? (good ? 'yes' : '**no**') : 'not measured');
  for (const n of [10, 50])
    for (const kind of ['changing', 'idempotent']) {
      const x = ratio(r, n, kind, 'ansible', 'harun');
      L.push(`| harun ≥ 10× faster than ansible-playbook, N=${n} ${kind} | ${f(x, 1)}× | ${ok(x, x >= 10)} |`);
    }
  for (const n of [10, 50, 200])
    for (const kind of ['changing', 'idempotent']) {
      const x = ratio(r, n, kind, 'harun', 'floor');
      L.push(`| harun within 1.2× the floor's wall time, N=${n} ${kind} | ${f(x, 2)}× | ${ok(x, x <= 1.2)} |`);
    }
  for (const kind of ['changing', 'idempotent']) {
    const xs = [...new Set(r.cells.map((c) => c.n))].map((n) => procRatio(r, n, kind, 'harun')).filter(Number.isFinite);
    const x = xs.length ? Math.max(...xs) : NaN;
    L.push(`| harun within 1.3× the floor's host processes per host and task, ${kind} (worst N) | ${f(x, 2)}× | ${ok(x, x <= 1.3)} |`);
  }
  const rss = Math.max(...r.cells.filter((c) => c.n === 200 && c.tool === 'harun').flatMap((c) => c.runs.map((x) => x.rssMb)));
  L.push(`| harun peak RSS < 150 MB at N=200 | ${f(rss, 0)} MB (largest run) | ${ok(rss, rss < 150)} |`);
  if (r.syntaxCheck) L.push(`| --syntax-check site.yml < 0.5 s | ${f(r.syntaxCheck.median, 2)} s wall${r.syntaxCheck.cpuS ? `, ${f(r.syntaxCheck.cpuS.median, 2)} s CPU` : ''} | ${ok(r.syntaxCheck.median, r.syntaxCheck.median < 0.5)} |`);
  if (r.firstConnect) L.push(`| startup to first SSH connection < 0.3 s | ${f(r.firstConnect.median, 2)} s wall | ${ok(r.firstConnect.median, r.firstConnect.median < 0.3)} |`);
  L.push('', '## Startup');
  if (r.syntaxCheck) L.push('', `- \`harun play --syntax-check playbooks/site.yml -i inventory/seed.ini\` (from the repository root; the default inventory is written by \`harun lab up\`): ${f(r.syntaxCheck.median, 3)} s (${f(r.syntaxCheck.min, 3)}–${f(r.syntaxCheck.max, 3)}, ${r.syntaxCheck.runs} runs), target < 0.5 s${r.syntaxCheck.cpuS ? `; CPU ${f(r.syntaxCheck.cpuS.median, 3)} s (${f(r.syntaxCheck.cpuS.min, 3)}–${f(r.syntaxCheck.cpuS.max, 3)})` : ''}.`);
  if (r.firstConnect)
    L.push(
      `- Process start to the first SSH connection: ${f(r.firstConnect.median, 3)} s (${f(r.firstConnect.min, 3)}–${f(r.firstConnect.max, 3)}, ${r.firstConnect.runs} runs), target < 0.3 s; the whole one-host run took ${f(r.firstConnect.totalS.median, 3)} s.`,
    );
  if (r.notes.length) L.push('', '## Notes from this run', '', ...r.notes.map((n) => `- ${n}`));
  L.push('', '## How it is measured', '', ...METHOD);
  // what the figures mean and what was changed because of them: written by hand, kept beside the script
  const findings = `${REPO}/bench/findings.md`;
  if (existsSync(findings)) L.push('', readFileSync(findings, 'utf8').trimEnd());
  return L.join('\n') + '\n';
}

const METHOD = [
  '- Fleet: test/fixtures/sshd.ts starts real OpenSSH servers on 127.0.0.2.. (one sshd per 15 addresses) on this machine; the login user has /bin/sh as its shell. Controller and hosts share the same 2 cores, so every figure includes the sshd side too.',
  '- Workload (bench/workload.ts, the same playbook for both tools, facts off): file state=directory, copy content, template (bench/motd.j2), lineinfile create, command `uname -r` with changed_when false, each host under /tmp/harun-bench/TOOL/HOST. The changing run starts from empty folders and must report changed=4 per host; the idempotent run right after must report changed=0; the written files are compared with the expected bytes for every host.',
  '- harun: `node bin/harun.js play workload.yml -i inventory.ini -f max(N,5) --output plain`.',
  '- ansible-playbook: the same command line with an ansible.cfg of pipelining = True, ControlMaster=auto + ControlPersist=60s, forks = max(N,5), timeout = 60 (harun reads forks and timeout from the same file), gathering = explicit, interpreter_python = /usr/bin/python3 (no discovery), host_key_checking on against the fleet known_hosts. The ControlPersist masters are closed after each run (`ssh -O exit`), so every run of every tool starts without a connection.',
  '- floor: bench/floor.ts, one node-ssh (ssh2) connection per host with TCP_NODELAY (as harun\'s), the five steps as one idempotent shell command each, one exec per step per host, hosts in parallel, a barrier per step.',
  '- Wall time: spawn to exit of the controller command, measured by the benchmark. CPU: user+sys from GNU time (`/usr/bin/time -f %U %S`, which counts the process and every descendant it waited for: ansible\'s forks and ssh clients, not the daemonised ControlPersist masters). Peak RSS (largest process): GNU time `%M`, the largest single process of the tree. Peak RSS (process tree): the sum of RSS over all live descendants, sampled from /proc every 100 ms (for ansible this adds up its forks and ssh clients; shared pages count once per process).',
  '- SSH channels per host: harun prints its transport\'s count at -vvv ("ssh channels opened"); for ansible-playbook the count of `SSH: EXEC ssh|sftp|scp` lines per host in -vvv output (each is one session over the ControlMaster connection; ansible at N > 50 is not counted, the per-host count does not depend on N); floor = 5 by construction. Counted in an untimed -vvv warm-up run, not in the timed runs.',
  '- Host processes per host and task: every process that descends from the fleet\'s sshd listeners during the warm-up run (the per-connection sshd processes, the login shell, every command it starts; a fork counts whether or not it execs), traced by `strace -f` attached to the listeners (test/fixtures/proccount.ts), divided by N × 5 tasks. The fleet\'s hosts are this machine, so this is what each tool costs the hosts: it does not move with the machine\'s speed or load as wall time does. ansible at N > 50 is not counted (its warm-up is skipped there).',
  '- Startup to first SSH connection: a TCP relay inside the benchmark forwards to one fleet sshd; the time runs from just before spawn() of `node bin/harun.js play ...` to the relay\'s accept.',
];
