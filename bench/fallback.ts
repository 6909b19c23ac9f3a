/**
 * The side figure of the module fallback (npm run bench -- --fallback [--reps 3]): at N=10, one
 * task of a module harun has no native implementation for (community.general.ini_file), run by
 * harun through the fallback and by ansible-playbook, as the wall time of a one-task playbook and
 * the marginal cost of a second task of the same module (two-task playbook minus one-task one).
 * The main workload and its figures are not touched.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFleet } from '../test/fixtures/sshd.js';
import { ansibleCfg, REPO, runTool, type Setup, type ToolName } from './tools.js';

function playbook(tasks: number): string {
  const one = (i: number) => `    - name: ini option ${i}
      community.general.ini_file:
        path: "{{ bench_root }}/{{ inventory_hostname }}.ini"
        section: bench
        option: "o${i}"
        value: "1"
`;
  return `- hosts: fleet\n  gather_facts: false\n  tasks:\n${Array.from({ length: tasks }, (_, i) => one(i + 1)).join('')}`;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchFallback(n: number, reps: number, log: (s: string) => void): Promise<string> {
  const fleet = await startFleet({ count: n, prefix: 'host' });
  // an interrupted benchmark must not leave its sshd processes behind
  const onSig = () => void fleet.stop().finally(() => process.exit(130));
  process.once('SIGINT', onSig);
  process.once('SIGTERM', onSig);
  const rows: string[] = [];
  try {
    const work = join(REPO, 'bench/work', `fallback-n${n}`);
    const controlDir = `/tmp/hb-fb-${n}`;
    for (const d of [work, controlDir]) {
      rmSync(d, { recursive: true, force: true });
      mkdirSync(d, { recursive: true });
    }
    const wall: Record<string, number[]> = {};
    for (const tasks of [1, 2]) {
      const s: Setup = {
        n, work, controlDir,
        playbook: join(work, `fallback-${tasks}.yml`),
        inventory: join(work, 'inventory.ini'),
        ansibleCfg: join(work, 'ansible.cfg'),
        floorSpec: () => '',
      };
      writeFileSync(s.playbook, playbook(tasks));
      writeFileSync(s.inventory, fleet.inventory);
      writeFileSync(s.ansibleCfg, ansibleCfg(n, controlDir));
      for (const tool of ['harun', 'ansible'] as ToolName[]) {
        // one untimed warm-up per tool (page cache, python bytecode, the payload cache), then reps
        for (let rep = tasks === 1 ? 0 : 1; rep <= reps; rep++) {
          const root = `/tmp/harun-bench-fb/${tool}`;
          rmSync(root, { recursive: true, force: true });
          mkdirSync(root, { recursive: true });
          chmodSync('/tmp/harun-bench-fb', 0o1777);
          chmodSync(root, 0o1777);
          for (const kind of ['changing', 'idempotent']) {
            const r = await runTool(tool, s, root);
            const want = kind === 'changing' ? tasks * n : 0;
            if (r.code !== 0 || r.changed !== want) throw new Error(`${tool} ${kind} ${tasks} task(s): exit ${r.code}, changed ${r.changed} (expected ${want})\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`);
            log(`fallback N=${n} ${tool} ${tasks} task(s) ${kind}: ${r.wallS.toFixed(2)} s${rep === 0 ? ' (warm-up, not counted)' : ''}`);
            if (rep > 0) (wall[`${tool}/${tasks}/${kind}`] ??= []).push(r.wallS);
          }
        }
      }
    }
    rows.push(`| run | harun, 1 task | ansible-playbook, 1 task | harun, 2nd task | ansible-playbook, 2nd task | ansible ÷ harun (2nd task) |`, '|---|---:|---:|---:|---:|---:|');
    for (const kind of ['changing', 'idempotent']) {
      const m = (tool: string, t: number) => median(wall[`${tool}/${t}/${kind}`]);
      const h2 = m('harun', 2) - m('harun', 1);
      const a2 = m('ansible', 2) - m('ansible', 1);
      rows.push(`| ${kind} | ${m('harun', 1).toFixed(2)} s | ${m('ansible', 1).toFixed(2)} s | ${h2.toFixed(2)} s | ${a2.toFixed(2)} s | ${h2 > 0 ? (a2 / h2).toFixed(1) + '×' : 'n/a'} |`);
    }
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    await fleet.stop();
    rmSync('/tmp/harun-bench-fb', { recursive: true, force: true });
  }
  return rows.join('\n') + '\n';
}
