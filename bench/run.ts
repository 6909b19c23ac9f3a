import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { countHostProcesses } from '../test/fixtures/proccount.js';
import { startFleet, type Fleet } from '../test/fixtures/sshd.js';
import { firstConnect, syntaxCheck } from './extras.js';
import { benchFallback } from './fallback.js';
import { machine, render, type Cell, type Results } from './report.js';
import { ansibleCfg, channelsPerHost, closeMasters, HARUN, REPO, runTool, writeFloorSpec, type RunResult, type Setup, type ToolName } from './tools.js';
import { CHANGING_TASKS, expected, playbook, TASKS } from './workload.js';

/**
 * npm run bench -- [--n 1,10,50,200] [--reps 3] [--tools harun,ansible,floor]
 *                  [--ansible-budget 120] [--no-extras] [--merge] [--render-only] [--out bench/RESULTS.md]
 * npm run bench -- --fallback [--reps 3]   (the module fallback's side figure, printed; bench/fallback.ts)
 * Starts a loopback sshd fleet per N, runs the workload with each tool (a changing run on fresh
 * folders, then the idempotent run), and writes the markdown table.
 */
function args() {
  const a = process.argv.slice(2);
  const get = (k: string) => {
    const i = a.indexOf(k);
    return i >= 0 ? a[i + 1] : undefined;
  };
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  const ns = list(get('--n') ?? '1,10,50,200').map(Number);
  if (ns.some((n) => !Number.isInteger(n) || n < 1 || n > 250)) throw new Error(`--n: expected host counts 1..250, got ${get('--n')}`);
  const tools = list(get('--tools') ?? 'harun,ansible,floor') as ToolName[];
  for (const t of tools) if (!['harun', 'ansible', 'floor'].includes(t)) throw new Error(`--tools: unknown tool ${t} (harun, ansible, floor)`);
  return {
    ns,
    tools,
    reps: Number(get('--reps') ?? 3),
    // when ansible's first timed changing run at some N takes longer than this, it gets one repetition there
    ansibleBudget: Number(get('--ansible-budget') ?? 120),
    extras: !a.includes('--no-extras'),
    // add to the figures of the previous run (bench/work/results.json) instead of starting over
    merge: a.includes('--merge'),
    out: get('--out') ?? join(REPO, 'bench/RESULTS.md'),
  };
}

const BENCH_ROOT = '/tmp/harun-bench';
const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)} load ${loadavg()[0].toFixed(1)}] ${s}\n`);

/** Every host's files must match what the workload asks for, whatever tool wrote them. */
function verifyFiles(fleet: Fleet, root: string): string | undefined {
  for (const h of fleet.hosts) {
    for (const [f, want] of Object.entries(expected(h))) {
      const p = join(root, h.name, f);
      const got = existsSync(p) ? readFileSync(p, 'utf8') : '<missing>';
      if (got !== want) return `${p}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
    }
  }
  return undefined;
}

function freshRoot(tool: ToolName): string {
  const root = join(BENCH_ROOT, tool);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  chmodSync(BENCH_ROOT, 0o1777);
  chmodSync(root, 0o1777); // the fleet logs in as an unprivileged user
  return root;
}

function setup(fleet: Fleet, n: number): Setup {
  const work = join(REPO, 'bench/work', `n${n}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const controlDir = join('/tmp', `hb-cp-${n}`); // short: ssh's ControlPath must fit a unix socket name
  rmSync(controlDir, { recursive: true, force: true });
  mkdirSync(controlDir, { recursive: true });
  const s: Setup = {
    n,
    work,
    playbook: join(work, 'workload.yml'),
    inventory: join(work, 'inventory.ini'),
    ansibleCfg: join(work, 'ansible.cfg'),
    controlDir,
    floorSpec: (root) =>
      writeFloorSpec(join(work, 'floor.json'), { hosts: fleet.hosts, user: fleet.user, keyFile: fleet.keyFile, hostPublicKey: fleet.hostPublicKey, root }),
  };
  writeFileSync(s.playbook, playbook());
  writeFileSync(s.inventory, fleet.inventory);
  writeFileSync(s.ansibleCfg, ansibleCfg(n, controlDir));
  return s;
}

function check(tool: ToolName, kind: 'changing' | 'idempotent', r: RunResult, n: number): string | undefined {
  const want = kind === 'changing' ? CHANGING_TASKS * n : 0;
  if (r.code !== 0 || r.failed || r.unreachable) return `${tool} ${kind}: exit ${r.code}, failed ${r.failed}, unreachable ${r.unreachable}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`;
  if (r.changed !== want) return `${tool} ${kind}: changed=${r.changed}, expected ${want}`;
  return undefined;
}

async function benchN(n: number, o: ReturnType<typeof args>, res: Results): Promise<void> {
  log(`N=${n}: starting the fleet`);
  const fleet = await startFleet({ count: n, prefix: 'host' });
  // an interrupted benchmark must not leave its sshd processes behind
  const onSig = () => void fleet.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  try {
    const s = setup(fleet, n);
    const cells = new Map<string, Cell>();
    const cell = (tool: ToolName, kind: string): Cell => {
      const k = `${tool}/${kind}`;
      if (!cells.has(k)) cells.set(k, { n, tool, kind: kind as Cell['kind'], runs: [], channels: NaN, processes: NaN });
      return cells.get(k)!;
    };
    // Untimed warm-up that also counts channels (-vvv) and the processes started on the hosts
    // (strace on the fleet's sshd): page cache, python bytecode, sshd.
    for (const tool of o.tools) {
      if (tool === 'ansible' && n > 50) continue; // a full -vvv run is minutes there; the per-host count does not depend on N
      const root = freshRoot(tool);
      for (const kind of ['changing', 'idempotent'] as const) {
        log(`N=${n}: ${tool} ${kind} (counting channels and host processes)`);
        const { result: r, processes } = await countHostProcesses(fleet.listenerPids(), () => runTool(tool, s, root, true));
        const bad = check(tool, kind, r, n);
        if (bad) throw new Error(bad);
        cell(tool, kind).channels = channelsPerHost(tool, r.stdout, n);
        cell(tool, kind).processes = processes / (n * TASKS);
      }
    }
    const reps = new Map(o.tools.map((t) => [t, o.reps]));
    for (let rep = 0; rep < o.reps; rep++) {
      for (const tool of o.tools) {
        if (rep >= reps.get(tool)!) continue;
        const root = freshRoot(tool);
        for (const kind of ['changing', 'idempotent'] as const) {
          const r = await runTool(tool, s, root);
          const bad = check(tool, kind, r, n);
          if (bad) throw new Error(bad);
          if (kind === 'changing') {
            const wrong = verifyFiles(fleet, root);
            if (wrong) throw new Error(`${tool}: ${wrong}`);
          }
          cell(tool, kind).runs.push({ wallS: r.wallS, cpuS: r.cpuS, rssMb: r.rssMb, treeRssMb: r.treeRssMb });
          log(`N=${n} rep ${rep + 1}: ${tool} ${kind} ${r.wallS.toFixed(2)} s, cpu ${r.cpuS.toFixed(2)} s, rss ${r.rssMb.toFixed(0)} MB, tree ${r.treeRssMb.toFixed(0)} MB`);
          if (tool === 'ansible' && kind === 'changing' && rep === 0 && r.wallS > o.ansibleBudget) {
            reps.set(tool, 1);
            res.notes.push(`ansible-playbook at N=${n}: one repetition only (its first run took ${r.wallS.toFixed(0)} s, over the ${o.ansibleBudget} s budget).`);
          }
        }
      }
    }
    res.cells.push(...cells.values());
    res.load.push({ n, load: loadavg()[0] });
    await closeMasters(s.controlDir);
    if (o.extras && n === o.ns[0]) {
      log('startup to first SSH connection');
      try {
        res.firstConnect = await firstConnect(5, s.work, { ...fleet.hosts[0], user: fleet.user, keyFile: fleet.keyFile, hostPublicKey: fleet.hostPublicKey }, s.playbook, s.ansibleCfg);
      } catch (e) {
        res.notes.push(`startup to first SSH connection not measured: ${(e as Error).message}`);
      }
    }
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    await fleet.stop();
  }
}

async function main(): Promise<void> {
  const o = args();
  if (process.argv.includes('--render-only')) {
    // re-write RESULTS.md from the saved figures (after editing bench/findings.md)
    writeFileSync(o.out, render(JSON.parse(readFileSync(join(REPO, 'bench/work/results.json'), 'utf8')) as Results));
    return;
  }
  if (process.getuid?.() !== 0) throw new Error('the benchmark starts sshd and adds a login user: run it as root');
  if (process.argv.includes('--fallback')) {
    log(`load at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; harun entry point ${HARUN}`);
    process.stdout.write(await benchFallback(10, o.reps, log));
    log(`load at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    return;
  }
  const saved = join(REPO, 'bench/work/results.json');
  const res: Results = o.merge
    ? (JSON.parse(readFileSync(saved, 'utf8')) as Results)
    : { machine: machine(), started: new Date().toISOString(), cells: [], load: [], notes: [], tools: o.tools, reps: o.reps };
  if (o.merge) res.notes.push(`N=${o.ns.join(',')} (${o.tools.join(', ')}, ${o.reps} repetitions) were measured in a later invocation started ${new Date().toISOString()}.`);
  const save = () => {
    writeFileSync(saved, JSON.stringify(res));
    writeFileSync(o.out, render(res));
  };
  log(`load at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; harun entry point ${HARUN}`);
  if (o.extras) {
    log('syntax check');
    const sc = await syntaxCheck(7);
    if (sc.code !== 0) res.notes.push(`harun play --syntax-check playbooks/site.yml exited ${sc.code}.`);
    res.syntaxCheck = sc;
  }
  for (const n of o.ns) {
    await benchN(n, o, res);
    save();
    log(`N=${n} done: ${o.out} written`);
  }
  res.finished = new Date().toISOString();
  save();
  execFileSync('sh', ['-c', `rm -rf ${BENCH_ROOT}`]);
}

main().catch((e) => {
  process.stderr.write(`bench: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
