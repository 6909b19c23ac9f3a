import { Undefined, defined, isMapping, pyEq, pyStr, TemplateError, typeName, percentFormat } from './py.js';

/**
 * Attribute and item lookup with Python's methods on str, list and dict (`x.split(',')`,
 * `d.items()`, `s.startswith('a')`), negative indexes and slices, and Ansible's wording for
 * missing attributes.
 */

export class Slice {
  constructor(readonly start: number | null, readonly stop: number | null, readonly step: number | null) {}
}

type Fn = (...args: any[]) => unknown;

/** nunjucks passes keyword arguments as a trailing object tagged __keywords. */
export function splitArgs(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && Object.prototype.hasOwnProperty.call(last, '__keywords')) {
    const { __keywords: _k, ...kw } = last;
    return [args.slice(0, -1), kw];
  }
  return [args, {}];
}

/** The characters Python's str.split() with no separator splits on (str.isspace()). */
const PY_SPACE = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+';
const SPACE = new RegExp(PY_SPACE);
const LEAD = new RegExp(`^${PY_SPACE}`);
const TRAIL = new RegExp(`${PY_SPACE}$`);

/** Python's str.split(sep, maxsplit): on sep exactly, or on runs of whitespace with the ends trimmed. */
export function pySplit(s: string, sep?: unknown, maxsplit?: unknown): string[] {
  const max = maxsplit === undefined || maxsplit === null ? -1 : Number(maxsplit);
  if (sep === undefined || sep === null) {
    const out: string[] = [];
    let rest = s.replace(LEAD, '');
    while (rest !== '') {
      if (max >= 0 && out.length === max) { out.push(rest.replace(TRAIL, '')); break; }
      const m = SPACE.exec(rest);
      if (!m) { out.push(rest); break; }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  const parts = s.split(String(sep));
  if (max < 0 || parts.length <= max + 1) return parts;
  return [...parts.slice(0, max), parts.slice(max).join(String(sep))];
}

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  if (chars === undefined || chars === null) {
    if (left) s = s.replace(/^\s+/, '');
    if (right) s = s.replace(/\s+$/, '');
    return s;
  }
  const set = String(chars);
  let a = 0;
  let b = s.length;
  if (left) while (a < b && set.includes(s[a])) a++;
  if (right) while (b > a && set.includes(s[b - 1])) b--;
  return s.slice(a, b);
}

const anyOf = (x: unknown, f: (p: string) => boolean) => (Array.isArray(x) ? x.some((p) => f(String(p))) : f(String(x)));

function pyFormat(s: string, args: unknown[], kw: Record<string, unknown>): string {
  let auto = 0;
  return s.replace(/\{\{|\}\}|\{([^{}:!]*)(?:![rs])?(?::([^{}]*))?\}/g, (m, field: string | undefined, spec) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const key = field ?? '';
    const v = key === '' ? args[auto++] : /^\d+$/.test(key) ? args[Number(key)] : kw[key];
    if (spec) return percentFormat(`%${spec.replace(/^([<>^])/, (a: string) => (a === '<' ? '-' : ''))}${/[a-z]$/i.test(spec) ? '' : 's'}`, [v]);
    return pyStr(v);
  });
}

const STR: Record<string, (s: string, ...a: any[]) => unknown> = {
  split: (s, sep, max) => pySplit(s, sep, max),
  rsplit: (s, sep, max) => (max === undefined ? pySplit(s, sep) : pySplit(s.split('').reverse().join(''), sep, max).map((p) => p.split('').reverse().join('')).reverse()),
  splitlines: (s) => s.split(/\r?\n/).filter((l, i, a) => i < a.length - 1 || l !== ''),
  strip: (s, c) => stripChars(s, c, true, true),
  lstrip: (s, c) => stripChars(s, c, true, false),
  rstrip: (s, c) => stripChars(s, c, false, true),
  startswith: (s, p) => anyOf(p, (x) => s.startsWith(x)),
  endswith: (s, p) => anyOf(p, (x) => s.endsWith(x)),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  title: (s) => s.replace(/\w\S*/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()),
  replace: (s, a, b, n) => {
    if (n === undefined || Number(n) < 0) return s.split(String(a)).join(String(b));
    const parts = s.split(String(a));
    return parts.slice(0, Number(n) + 1).join(String(b)) + (parts.length > Number(n) + 1 ? String(a) + parts.slice(Number(n) + 1).join(String(a)) : '');
  },
  find: (s, x) => s.indexOf(String(x)),
  rfind: (s, x) => s.lastIndexOf(String(x)),
  index: (s, x) => {
    const i = s.indexOf(String(x));
    if (i < 0) throw new TemplateError('substring not found');
    return i;
  },
  count: (s, x) => (String(x) === '' ? s.length + 1 : s.split(String(x)).length - 1),
  join: (s, xs) => (defined(xs) as unknown[]).map((x) => pyStr(x)).join(s),
  isdigit: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^[A-Za-z]+$/.test(s),
  isalnum: (s) => /^[A-Za-z0-9]+$/.test(s),
  isspace: (s) => /^\s+$/.test(s),
  islower: (s) => /[a-z]/.test(s) && s === s.toLowerCase(),
  isupper: (s) => /[A-Z]/.test(s) && s === s.toUpperCase(),
  zfill: (s, w) => (s.startsWith('-') ? '-' + s.slice(1).padStart(Number(w) - 1, '0') : s.padStart(Number(w), '0')),
  ljust: (s, w, c = ' ') => s.padEnd(Number(w), String(c)),
  rjust: (s, w, c = ' ') => s.padStart(Number(w), String(c)),
  center: (s, w) => {
    const total = Math.max(0, Number(w) - s.length);
    const left = Math.floor(total / 2);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  },
  partition: (s, sep) => {
    const i = s.indexOf(String(sep));
    return i < 0 ? [s, '', ''] : [s.slice(0, i), String(sep), s.slice(i + String(sep).length)];
  },
};

const LIST: Record<string, (l: unknown[], ...a: any[]) => unknown> = {
  index: (l, x) => {
    const i = l.findIndex((y) => pyEq(y, x));
    if (i < 0) throw new TemplateError(`${pyStr(x)} is not in list`);
    return i;
  },
  count: (l, x) => l.filter((y) => pyEq(y, x)).length,
  append: (l, x) => { l.push(x); return null; },
  extend: (l, xs) => { l.push(...(xs as unknown[])); return null; },
  insert: (l, i, x) => { l.splice(Number(i), 0, x); return null; },
  pop: (l, i) => (i === undefined ? l.pop() : l.splice(Number(i) < 0 ? l.length + Number(i) : Number(i), 1)[0]),
  remove: (l, x) => { const i = l.findIndex((y) => pyEq(y, x)); if (i >= 0) l.splice(i, 1); return null; },
  copy: (l) => [...l],
};

const DICT: Record<string, (d: Record<string, unknown>, ...a: any[]) => unknown> = {
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  items: (d) => Object.entries(d),
  iteritems: (d) => Object.entries(d),
  get: (d, k, def = null) => (d[String(k)] === undefined ? def : d[String(k)]),
  has_key: (d, k) => d[String(k)] !== undefined,
  pop: (d, k, def) => {
    const v = d[String(k)];
    if (v === undefined) return def === undefined ? null : def;
    delete d[String(k)];
    return v;
  },
  update: (d, o, kw) => { Object.assign(d, o ?? {}, kw ?? {}); return null; },
  setdefault: (d, k, def = null) => (d[String(k)] === undefined ? (d[String(k)] = def) : d[String(k)]),
  copy: (d) => ({ ...d }),
};

function bindMethod(table: Record<string, (self: any, ...a: any[]) => unknown>, self: unknown, name: string): Fn {
  const f = table[name];
  return (...raw: unknown[]) => {
    const [args, kw] = splitArgs(raw);
    if (name === 'format') return pyFormat(self as string, args, kw);
    if (name === 'update') return f(self, args[0], kw);
    return f(self, ...args);
  };
}

function index(len: number, key: number): number {
  return key < 0 ? len + key : key;
}

function slice<T>(seq: T[], s: Slice): T[] {
  const step = s.step ?? 1;
  if (step === 0) throw new TemplateError('slice step cannot be zero');
  const n = seq.length;
  const norm = (x: number | null, dflt: number) => (x === null ? dflt : x < 0 ? Math.max(x + n, step < 0 ? -1 : 0) : Math.min(x, step < 0 ? n - 1 : n));
  const start = norm(s.start, step < 0 ? n - 1 : 0);
  const stop = norm(s.stop, step < 0 ? -1 : n);
  const out: T[] = [];
  for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(seq[i]);
  return out;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

export function memberLookup(obj: unknown, key: unknown): unknown {
  if (obj instanceof Undefined) return obj;
  if (key instanceof Undefined) key.fail();
  if (key instanceof Slice) {
    if (typeof obj === 'string') return slice(obj.split(''), key).join('');
    if (Array.isArray(obj)) return slice(obj, key);
    throw new TemplateError(`'${typeName(obj)}' object is not subscriptable`);
  }
  const k = key as string | number;
  if (obj === null || obj === undefined) return new Undefined(`'None' has no attribute '${k}'`, String(k));
  if (typeof obj === 'string' || Array.isArray(obj)) {
    if (typeof k === 'number' || /^-?\d+$/.test(k)) {
      const v = obj[index(obj.length, Number(k))];
      return v === undefined ? new Undefined(`'${typeName(obj)} object' has no element ${k}`, String(k)) : v;
    }
    if (typeof obj === 'string' && own(STR, k)) return bindMethod(STR, obj, k);
    if (typeof obj === 'string' && k === 'format') return bindMethod(STR, obj, 'format');
    if (Array.isArray(obj) && own(LIST, k)) return bindMethod(LIST, obj, k);
    return new Undefined(`'${typeName(obj)} object' has no attribute '${k}'`, String(k));
  }
  if (typeof obj === 'object' || typeof obj === 'function') {
    const o = obj as Record<string, unknown>;
    const v = o[k];
    if (v !== undefined && !(k in Object.prototype && v === (Object.prototype as any)[k])) {
      return typeof v === 'function' && !isMapping(obj) ? (v as Fn).bind(obj) : v;
    }
    if (typeof k === 'string' && own(DICT, k) && isMapping(obj)) return bindMethod(DICT, obj, k);
    return new Undefined(`'dict object' has no attribute '${k}'`, String(k));
  }
  return new Undefined(`'${typeName(obj)} object' has no attribute '${k}'`, String(k));
}
