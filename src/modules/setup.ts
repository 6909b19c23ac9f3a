import { z } from 'zod';
import { gatherFacts } from '../facts/index.js';
import { bool, int, str, strList, lazySchema } from './lib/args.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z
  .object({
    gather_subset: strList().default(['all']),
    filter: z.union([strList(), str().transform((s) => [s])]).default([]),
    gather_timeout: int().default(10),
    fact_path: str().optional(),
  })
  .strict());
type Args = z.infer<ReturnType<typeof schema>>;

// Ansible's minimal subset: always gathered, even with gather_subset: '!all'
const MIN = new Set([
  'hostname', 'fqdn', 'nodename', 'domain', 'system', 'kernel', 'kernel_version', 'architecture', 'machine',
  'distribution', 'distribution_version', 'distribution_major_version', 'distribution_release', 'os_family',
  'pkg_mgr', 'service_mgr', 'user_id', 'user_uid', 'user_gid', 'user_dir', 'user_shell', 'env', 'date_time',
]);
const HARDWARE = new Set(['memtotal_mb', 'memfree_mb', 'swaptotal_mb', 'swapfree_mb', 'processor_vcpus', 'processor_nproc']);

/** The subset a fact belongs to: interface facts (eth0, lo) and address lists are network. */
function subsetOf(name: string): 'min' | 'hardware' | 'network' {
  if (MIN.has(name)) return 'min';
  if (HARDWARE.has(name)) return 'hardware';
  return 'network';
}

/** Which subsets gather_subset asks for: all, min, hardware, network, and their !negations. */
export function wantedSubsets(list: string[]): Set<string> {
  const want = new Set<string>(['min']);
  const excluded = new Set<string>();
  for (const raw of list) {
    if (raw === 'all') ['hardware', 'network'].forEach((n) => want.add(n));
    // '!all' only drops the default; '!network' removes network whatever else asked for it
    else if (raw.startsWith('!') && raw !== '!all' && raw !== '!min') excluded.add(raw.slice(1));
    else if (!raw.startsWith('!') && raw !== 'min') want.add(raw);
  }
  for (const n of excluded) want.delete(n);
  return want;
}

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.').replace(/\[!/g, '[^')}$`);

/** Facts with the ansible_ prefix, limited to the subsets and the filter globs. */
export function selectFacts(facts: Record<string, unknown>, a: Pick<Args, 'gather_subset' | 'filter'>): Record<string, unknown> {
  const subsets = wantedSubsets(a.gather_subset);
  const filters = a.filter.map((f) => glob(f.startsWith('ansible_') ? f : `ansible_${f}`));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(facts)) {
    if (!subsets.has(subsetOf(k))) continue;
    const name = `ansible_${k}`;
    if (filters.length && !filters.some((re) => re.test(name))) continue;
    out[name] = v;
  }
  return out;
}

/** setup: gathers again (facts may have changed since the play began) in one round trip. */
export const setup: ModuleDef<Args> = {
  name: 'setup',
  get schema() {
    return schema();
  },
  checkMode: true,
  hostFacts: true,
  async run(ctx, a) {
    const facts = await gatherFacts((cmd) => ctx.run(cmd, { timeoutMs: a.gather_timeout * 1000 }));
    const selected = selectFacts(facts, a);
    return { changed: false, facts: selected, ansible_facts: selected };
  },
};

const gatherSchema = lazySchema(() => schema().extend({ parallel: bool().optional() }).strict());

/**
 * gather_facts: the play's fact gathering as a task. Ansible runs its facts modules (setup) with
 * the task's arguments; harun gathers once per host however many modules it would name, so
 * `parallel` has nothing to change.
 */
export const gatherFactsModule: ModuleDef<Args & { parallel?: boolean }> = {
  name: 'gather_facts',
  get schema() {
    return gatherSchema();
  },
  checkMode: true,
  hostFacts: true,
  run: (ctx, a) => setup.run(ctx, a),
};
