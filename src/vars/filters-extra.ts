import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { passwordHash } from './crypt.js';
import { iterable, pyStr, TemplateError } from './py.js';
import { PyRandom } from './pyrandom.js';

/** Filters that public roles use beyond the core set: randomness, password hashes, paths, sets. */

type FilterFn = (value: any, args: any[], kw: Record<string, any>) => unknown;

const list = (v: unknown): unknown[] => [...iterable(v)];

function uuid5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name).digest().subarray(0, 16);
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function product(lists: unknown[][]): unknown[][] {
  return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
}

function combinations(l: unknown[], r: number): unknown[][] {
  if (r === 0) return [[]];
  return l.flatMap((x, i) => combinations(l.slice(i + 1), r - 1).map((c) => [x, ...c]));
}

function permutations(l: unknown[], r: number): unknown[][] {
  if (r === 0) return [[]];
  return l.flatMap((x, i) => permutations([...l.slice(0, i), ...l.slice(i + 1)], r - 1).map((p) => [x, ...p]));
}

export const EXTRA_FILTERS: Record<string, FilterFn> = {
  // Ansible's random: an integer end gives randrange(start, end, step), a list a choice of it
  random: (v, [start, step, seed], kw) => {
    const r = new PyRandom(kw.seed ?? seed);
    if (typeof v === 'number') return r.randrange(Number(kw.start ?? start ?? 0) || 0, v, Number(kw.step ?? step ?? 1) || 1);
    const l = list(v);
    if (!l.length) throw new TemplateError('random: cannot choose from an empty sequence');
    return l[r.below(l.length)];
  },
  shuffle: (v, [seed], kw) => new PyRandom(kw.seed ?? seed).shuffle(list(v)),
  password_hash: (v, [hashtype, salt, rounds], kw) => passwordHash(v, kw.hashtype ?? hashtype ?? 'sha512', kw.salt ?? salt, kw.rounds ?? rounds),
  to_uuid: (v, [ns], kw) => uuid5(pyStr(v), String(kw.namespace ?? ns ?? '361E6D51-FAEC-444A-9079-341386DA8E2E').toLowerCase()),
  path_join: (v) => posix.join(...(typeof v === 'string' ? [v] : list(v).map(pyStr))),
  relpath: (v, [start]) => posix.relative(pyStr(start), pyStr(v)),
  product: (v, args) => product([list(v), ...args.map(list)]),
  combinations: (v, [r]) => combinations(list(v), Number(r)),
  permutations: (v, [r]) => { const l = list(v); return permutations(l, r === undefined ? l.length : Number(r)); },
  log: (v, [base]) => (base === undefined ? Math.log(Number(v)) : Math.log(Number(v)) / Math.log(Number(base))),
  pow: (v, [e]) => Number(v) ** Number(e),
  root: (v, [base = 2]) => (Number(base) === 2 ? Math.sqrt(Number(v)) : Number(v) ** (1 / Number(base))),
};
