import { posix } from 'node:path';
import { EXTRA_FILTERS } from './filters-extra.js';
import { TEXT_FILTERS } from './filters-text.js';
import { memberLookup } from './methods.js';
import { defined, isMapping, isUndef, pyEq, pyStr, TemplateError, truthy, typeName, compare, percentFormat } from './py.js';
import { TESTS } from './tests.js';

/**
 * Jinja2 and Ansible filters. A filter gets its input, positional and keyword arguments
 * (`sort(attribute='name', reverse=true)`).
 */
export type FilterFn = (value: any, args: any[], kw: Record<string, any>) => unknown;

/** Filters that accept an undefined input instead of failing on it. */
export const LENIENT_FILTERS = new Set(['default', 'd', 'mandatory']);

/** Ansible's boolean words (module_utils.parsing.convert_bool), lower case: the one table. */
export const BOOLEANS_TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
export const BOOLEANS_FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);

/** Ansible's boolean() as keywords (become, no_log, ignore_errors, public) read it: a true word or 1 is true, anything else false. */
export function toBool(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === null || v === undefined) return false;
  if (typeof v === 'number') return v === 1;
  return BOOLEANS_TRUE.has(String(v).trim().toLowerCase());
}

/** The value of `attribute` (dotted path allowed) on an item, as sort/map/selectattr use it. */
function attr(item: unknown, path: unknown): unknown {
  let v = item;
  for (const part of String(path).split('.')) v = memberLookup(v, /^\d+$/.test(part) && Array.isArray(v) ? Number(part) : part);
  return v;
}

function list(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return v.split('');
  if (isMapping(v)) return Object.keys(v);
  if (v && typeof v === 'object' && Symbol.iterator in v) return Array.from(v as Iterable<unknown>);
  throw new TemplateError(`expected a list, got ${typeName(v)}`);
}

function uniq(xs: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const x of xs) if (!out.some((y) => pyEq(x, y))) out.push(x);
  return out;
}

function nonEmpty(xs: unknown[]): unknown[] {
  if (!xs.length) throw new TemplateError('No aggregated item, sequence was empty.');
  return xs;
}

const has = (xs: unknown[], x: unknown) => xs.some((y) => pyEq(x, y));

function sortKey(v: unknown, caseSensitive: boolean): unknown {
  return typeof v === 'string' && !caseSensitive ? v.toLowerCase() : v;
}

function toInt(v: unknown, dflt = 0, base = 10): number {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : dflt;
  const s = String(v ?? '').trim().replace(/_/g, '');
  if (base === 10 && /^[-+]?\d+(\.\d*)?([eE][-+]?\d+)?$/.test(s)) return Math.trunc(Number(s));
  const n = parseInt(s.replace(/^0[xob]/i, ''), base);
  return Number.isNaN(n) || s === '' ? dflt : n;
}

function toFloat(v: unknown, dflt = 0): number {
  if (typeof v === 'boolean') return Number(v);
  const n = typeof v === 'number' ? v : Number(String(v ?? '').trim());
  return Number.isNaN(n) || String(v ?? '').trim() === '' ? dflt : n;
}

/** Ansible's merge_hash: nested dicts merge only when recursive, lists follow list_merge. */
export function merge(a: Record<string, unknown>, b: Record<string, unknown>, recursive: boolean, listMerge: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, y] of Object.entries(b)) {
    const x = out[k];
    if (recursive && isMapping(x) && isMapping(y)) out[k] = merge(x, y, true, listMerge);
    else if (Array.isArray(x) && Array.isArray(y)) out[k] = mergeLists(x, y, listMerge);
    else out[k] = y;
  }
  return out;
}

function mergeLists(a: unknown[], b: unknown[], how: string): unknown[] {
  switch (how) {
    case 'replace': return b;
    case 'keep': return a;
    case 'append': return [...a, ...b];
    case 'prepend': return [...b, ...a];
    case 'append_rp': return [...a.filter((x) => !has(b, x)), ...b];
    case 'prepend_rp': return [...b, ...a.filter((x) => !has(b, x))];
  }
  throw new TemplateError(`combine: list_merge must be one of replace, keep, append, prepend, append_rp, prepend_rp; got '${how}'`);
}

function flatten(xs: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const x of xs) {
    if (Array.isArray(x) && (levels === null || levels > 0)) out.push(...flatten(x, levels === null ? null : levels - 1, skipNulls));
    else if (!(skipNulls && (x === null || x === 'None'))) out.push(x);
  }
  return out;
}

function testArgs(args: unknown[]): [string, unknown[]] {
  const [name, ...rest] = args;
  if (typeof name !== 'string' || !TESTS[name]) throw new TemplateError(`no test named '${String(name)}'`);
  return [name, rest];
}

function runTest(name: string, v: unknown, args: unknown[], kw: Record<string, unknown> = {}): boolean {
  if (name !== 'defined' && name !== 'undefined') defined(v);
  return TESTS[name](v, args, kw);
}

export const FILTERS: Record<string, FilterFn> = {
  default: (v, [dflt = '', boolean = false], kw) => {
    const useBool = truthy(kw.boolean ?? boolean);
    return isUndef(v) || (useBool && !truthy(v)) ? (kw.default_value ?? dflt) : v;
  },
  mandatory: (v, [msg]) => {
    if (isUndef(v)) throw new TemplateError(msg ? String(msg) : `Mandatory variable ${v.name ? `'${v.name}' ` : ''}not defined.`);
    return v;
  },
  // the filter is narrower than boolean(): only yes/on/1/true and the number 1 (Ansible 2.14's to_bool; 'y' is false)
  bool: (v) => (v === null || typeof v === 'boolean' ? v : typeof v === 'number' ? v === 1 : ['yes', 'on', '1', 'true'].includes(String(v).toLowerCase())),
  int: (v, [dflt = 0, base = 10], kw) => toInt(v, Number(kw.default ?? dflt), Number(kw.base ?? base)),
  float: (v, [dflt = 0]) => toFloat(v, Number(dflt)),
  string: (v) => pyStr(v),
  lower: (v) => pyStr(v).toLowerCase(),
  upper: (v) => pyStr(v).toUpperCase(),
  capitalize: (v) => { const s = pyStr(v); return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(); },
  trim: (v, [chars]) => {
    const s = pyStr(v);
    if (chars === undefined) return s.trim();
    const set = String(chars);
    let a = 0; let b = s.length;
    while (a < b && set.includes(s[a])) a++;
    while (b > a && set.includes(s[b - 1])) b--;
    return s.slice(a, b);
  },
  replace: (v, [a, b, count]) => {
    const s = pyStr(v);
    if (count === undefined || count === null) return s.split(String(a)).join(String(b));
    let out = s;
    let n = Number(count);
    let from = 0;
    while (n-- > 0) {
      const i = out.indexOf(String(a), from);
      if (i < 0) break;
      out = out.slice(0, i) + String(b) + out.slice(i + String(a).length);
      from = i + String(b).length;
    }
    return out;
  },
  join: (v, [sep = '', attribute], kw) => {
    const a = kw.attribute ?? attribute;
    return list(v).map((x) => pyStr(a !== undefined ? attr(x, a) : x)).join(String(kw.d ?? sep));
  },
  first: (v) => { const l = list(v); return l.length ? l[0] : memberLookup(l, 0); },
  last: (v) => { const l = list(v); return l.length ? l[l.length - 1] : memberLookup(l, -1); },
  length: (v) => (isMapping(v) ? Object.keys(v).length : list(v).length),
  count: (v) => (isMapping(v) ? Object.keys(v).length : list(v).length),
  unique: (v) => uniq(list(v)),
  union: (v, [o]) => uniq([...list(v), ...list(o)]),
  difference: (v, [o]) => uniq(list(v).filter((x) => !has(list(o), x))),
  intersect: (v, [o]) => uniq(list(v).filter((x) => has(list(o), x))),
  symmetric_difference: (v, [o]) => uniq([...list(v).filter((x) => !has(list(o), x)), ...list(o).filter((x) => !has(list(v), x))]),
  sort: (v, [reverse = false, caseSensitive = false, attribute], kw) => {
    const rev = truthy(kw.reverse ?? reverse);
    const cs = truthy(kw.case_sensitive ?? caseSensitive);
    const a = kw.attribute ?? attribute;
    const key = (x: unknown) => sortKey(a !== undefined ? attr(x, a) : x, cs);
    const out = [...list(v)].sort((x, y) => (compare(key(x), '<', key(y)) ? -1 : compare(key(x), '>', key(y)) ? 1 : 0));
    return rev ? out.reverse() : out;
  },
  reverse: (v) => (typeof v === 'string' ? v.split('').reverse().join('') : [...list(v)].reverse()),
  min: (v, _a, kw) => {
    const l = nonEmpty(list(v));
    const key = (x: unknown) => (kw.attribute !== undefined ? attr(x, kw.attribute) : x);
    return l.reduce((m, x) => (compare(key(x), '<', key(m)) ? x : m));
  },
  max: (v, _a, kw) => {
    const l = nonEmpty(list(v));
    const key = (x: unknown) => (kw.attribute !== undefined ? attr(x, kw.attribute) : x);
    return l.reduce((m, x) => (compare(key(x), '>', key(m)) ? x : m));
  },
  sum: (v, [start = 0], kw) => list(v).reduce<number>((s, x) => s + Number(kw.attribute !== undefined ? attr(x, kw.attribute) : x), Number(kw.start ?? start)),
  map: (v, args, kw) => {
    const l = list(v);
    if (kw.attribute !== undefined) {
      return l.map((x) => { const r = attr(x, kw.attribute); return isUndef(r) && 'default' in kw ? kw.default : r; });
    }
    const [name, ...rest] = args;
    const f = FILTERS[String(name)];
    if (!f) throw new TemplateError(`no filter named '${String(name)}'`);
    return l.map((x) => {
      if (!LENIENT_FILTERS.has(String(name))) defined(x);
      return f(x, rest, {});
    });
  },
  select: (v, args, kw) => { const [n, a] = args.length ? testArgs(args) : ['truthy', []]; return list(v).filter((x) => runTest(n, x, a, kw)); },
  reject: (v, args, kw) => { const [n, a] = args.length ? testArgs(args) : ['truthy', []]; return list(v).filter((x) => !runTest(n, x, a, kw)); },
  selectattr: (v, [at, ...args], kw) => {
    const [n, a] = args.length ? testArgs(args) : ['truthy', []];
    return list(v).filter((x) => runTest(n, attr(x, at), a, kw));
  },
  rejectattr: (v, [at, ...args], kw) => {
    const [n, a] = args.length ? testArgs(args) : ['truthy', []];
    return list(v).filter((x) => !runTest(n, attr(x, at), a, kw));
  },
  format: (v, args, kw) => percentFormat(pyStr(v), Object.keys(kw).length ? [kw] : args),
  attr: (v, [name]) => memberLookup(v, name),
  tojson: (v) => JSON.stringify(v),
  groupby: (v, [attribute], kw) => {
    const a = kw.attribute ?? attribute;
    const groups: [unknown, unknown[]][] = [];
    for (const x of list(v)) {
      const k = attr(x, a);
      const g = groups.find(([y]) => pyEq(y, k));
      if (g) g[1].push(x);
      else groups.push([k, [x]]);
    }
    return groups.sort(([x], [y]) => (compare(x, '<', y) ? -1 : compare(x, '>', y) ? 1 : 0));
  },
  subelements: (v, [path, skipMissing = false], kw) => {
    const skip = truthy(kw.skip_missing ?? skipMissing);
    return list(v).flatMap((x) => {
      const sub = attr(x, path);
      if (isUndef(sub)) {
        if (skip) return [];
        throw new TemplateError(`could not find '${String(path)}' key in iterated item ${pyStr(x)}`);
      }
      return list(sub).map((y) => [x, y]);
    });
  },
  extract: (item, [container, morekeys]) => {
    let v = memberLookup(container, item);
    if (morekeys !== undefined) for (const k of Array.isArray(morekeys) ? morekeys : [morekeys]) v = memberLookup(v, k);
    return v;
  },
  combine: (v, args, kw) => {
    const dicts = [v, ...args].flatMap((d) => (Array.isArray(d) ? d : [d]));
    for (const d of dicts) if (!isMapping(d)) throw new TemplateError(`combine expects dictionaries, got ${typeName(d)}`);
    return (dicts as Record<string, unknown>[]).reduce((a, b) => merge(a, b, truthy(kw.recursive ?? false), String(kw.list_merge ?? 'replace')), {});
  },
  dict2items: (v, _a, kw) => {
    if (!isMapping(v)) throw new TemplateError(`dict2items requires a dictionary, got ${typeName(v)}`);
    const k = String(kw.key_name ?? 'key');
    const val = String(kw.value_name ?? 'value');
    return Object.entries(v).map(([a, b]) => ({ [k]: a, [val]: b }));
  },
  items2dict: (v, _a, kw) => {
    const k = String(kw.key_name ?? 'key');
    const val = String(kw.value_name ?? 'value');
    return Object.fromEntries(list(v).map((x) => [pyStr(attr(x, k)), attr(x, val)]));
  },
  dictsort: (v, [caseSensitive = false, by = 'key', reverse = false]) => {
    const i = by === 'value' ? 1 : 0;
    const out = Object.entries(v as object).sort((a, b) => {
      const x = sortKey(a[i], truthy(caseSensitive));
      const y = sortKey(b[i], truthy(caseSensitive));
      return compare(x, '<', y) ? -1 : compare(x, '>', y) ? 1 : 0;
    });
    return truthy(reverse) ? out.reverse() : out;
  },
  list: (v) => list(v),
  dict: (v) => Object.fromEntries(list(v) as [string, unknown][]),
  abs: (v) => Math.abs(Number(v)),
  round: (v, [precision = 0, method = 'common']) => {
    const f = 10 ** Number(precision);
    const x = Number(v) * f;
    const r = method === 'ceil' ? Math.ceil(x) : method === 'floor' ? Math.floor(x) : Math.sign(x) * Math.round(Math.abs(x));
    return r / f;
  },
  zip: (v, args) => {
    const ls = [list(v), ...args.map(list)];
    const n = Math.min(...ls.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => ls.map((l) => l[i]));
  },
  zip_longest: (v, args, kw) => {
    const ls = [list(v), ...args.map(list)];
    const n = Math.max(...ls.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => ls.map((l) => (i < l.length ? l[i] : (kw.fillvalue ?? null))));
  },
  flatten: (v, [levels = null], kw) => flatten(list(v), kw.levels ?? levels, truthy(kw.skip_nulls ?? true)),
  type_debug: (v) => typeName(v),
  splitext: (v) => { const s = pyStr(v); const e = posix.extname(s); return [s.slice(0, s.length - e.length), e]; },
  realpath: (v) => posix.normalize(pyStr(v)),
  expanduser: (v) => pyStr(v),
  comment: (v) => pyStr(v).split('\n').map((l) => `# ${l}`.trimEnd()).join('\n'),
  wordcount: (v) => pyStr(v).split(/\s+/).filter(Boolean).length,
};
Object.assign(FILTERS, TEXT_FILTERS, EXTRA_FILTERS);
FILTERS.d = FILTERS.default;
FILTERS.split = (v, [sep, max]) => (memberLookup(pyStr(v), 'split') as (...a: unknown[]) => unknown)(sep, max);
