import { pyRegex } from './regex.js';
import { inOp, isMapping, isUndef, pyEq, TemplateError, truthy, typeName, compare } from './py.js';

/**
 * Jinja2 and Ansible tests (`x is defined`, `r is changed`, `v is version('2.0', '>=')`).
 * A test gets its value, positional and keyword arguments, and returns a boolean.
 */
export type TestFn = (value: any, args: any[], kw: Record<string, any>) => boolean;

/** Tests that accept an undefined value instead of failing on it. */
export const LENIENT_TESTS = new Set(['defined', 'undefined']);

function result(name: string, v: unknown): Record<string, unknown> {
  if (!isMapping(v)) throw new TemplateError(`The '${name}' test expects a dictionary (a registered result), got ${typeName(v)}`);
  return v;
}

const failed = (v: unknown) => truthy(result('failed', v).failed ?? false);

/** LooseVersion-like components: numbers compare as numbers, words as words. */
function components(v: string): (number | string)[] {
  return (String(v).match(/\d+|[a-z]+/gi) ?? []).map((c) => (/^\d+$/.test(c) ? Number(c) : c.toLowerCase()));
}

const STRICT = /^\d+\.\d+(\.\d+)?([ab](\d+))?$/;

function cmpVersions(a: string, b: string, strict: boolean): number {
  if (strict) {
    for (const x of [a, b]) if (!STRICT.test(String(x))) throw new TemplateError(`Version comparison failed: invalid version number '${x}'`);
  }
  const ca = components(a);
  const cb = components(b);
  // Strict versions without a patch level mean .0, and a pre-release sorts before the release.
  if (strict) {
    const norm = (c: (number | string)[]) => {
      const out = [...c];
      if (typeof out[2] !== 'number') out.splice(2, 0, 0);
      if (out.length === 3) out.push('~final');
      return out;
    };
    return cmpComponents(norm(ca), norm(cb));
  }
  return cmpComponents(ca, cb);
}

function cmpComponents(a: (number | string)[], b: (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    if (typeof x === 'number') return 1;
    if (typeof y === 'number') return -1;
    return x < y ? -1 : 1;
  }
  return 0;
}

const VERSION_OPS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0,
  '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

const version: TestFn = (v, [ref, op = 'eq', strict = false], kw) => {
  const operator = String(kw.operator ?? op);
  const check = VERSION_OPS[operator];
  if (!check) throw new TemplateError(`Invalid operator type (${operator})`);
  const isStrict = Boolean(kw.strict ?? strict) || kw.version_type === 'strict';
  return check(cmpVersions(String(v), String(kw.version ?? ref), isStrict));
};

function regexTest(kind: 'match' | 'search'): TestFn {
  return (v, [pattern, ignorecase = false, multiline = false], kw) => {
    const re = pyRegex(String(pattern), {
      ignorecase: Boolean(kw.ignorecase ?? ignorecase),
      multiline: Boolean(kw.multiline ?? multiline),
      sticky: (kw.match_type ?? kind) === 'match',
    });
    return re.test(String(v));
  };
}

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);
const contains = (seq: unknown, x: unknown) => inOp(x, seq);

export const TESTS: Record<string, TestFn> = {
  defined: (v) => !isUndef(v),
  undefined: (v) => isUndef(v),
  none: (v) => v === null || v === undefined,
  truthy: (v) => truthy(v),
  falsy: (v) => !truthy(v),
  boolean: (v) => typeof v === 'boolean',
  true: (v) => v === true,
  false: (v) => v === false,
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' || typeof v === 'boolean',
  integer: (v) => isInt(v),
  float: (v) => typeof v === 'number' && !Number.isInteger(v),
  mapping: (v) => isMapping(v),
  sequence: (v) => typeof v === 'string' || Array.isArray(v) || isMapping(v),
  iterable: (v) => typeof v === 'string' || Array.isArray(v) || isMapping(v),
  callable: (v) => typeof v === 'function',
  lower: (v) => typeof v === 'string' && v === v.toLowerCase(),
  upper: (v) => typeof v === 'string' && v === v.toUpperCase(),
  even: (v) => isInt(v) && v % 2 === 0,
  odd: (v) => isInt(v) && Math.abs(v % 2) === 1,
  divisibleby: (v, [n]) => Number(v) % Number(n) === 0,
  equalto: (v, [x]) => pyEq(v, x),
  eq: (v, [x]) => pyEq(v, x),
  '==': (v, [x]) => pyEq(v, x),
  ne: (v, [x]) => !pyEq(v, x),
  '!=': (v, [x]) => !pyEq(v, x),
  lt: (v, [x]) => compare(v, '<', x),
  '<': (v, [x]) => compare(v, '<', x),
  le: (v, [x]) => compare(v, '<=', x),
  '<=': (v, [x]) => compare(v, '<=', x),
  gt: (v, [x]) => compare(v, '>', x),
  '>': (v, [x]) => compare(v, '>', x),
  ge: (v, [x]) => compare(v, '>=', x),
  '>=': (v, [x]) => compare(v, '>=', x),
  sameas: (v, [x]) => v === x,
  in: (v, [seq]) => contains(seq, v),
  contains: (seq, [x]) => contains(seq, x),
  subset: (v, [sup]) => (v as unknown[]).every((x) => contains(sup, x)),
  superset: (v, [sub]) => (sub as unknown[]).every((x) => contains(v, x)),
  match: regexTest('match'),
  search: regexTest('search'),
  regex: regexTest('search'),
  version,
  version_compare: version,
  failed: (v) => failed(v),
  failure: (v) => failed(v),
  success: (v) => !failed(v),
  succeeded: (v) => !failed(v),
  successful: (v) => !failed(v),
  changed: (v) => truthy(result('changed', v).changed ?? false),
  change: (v) => truthy(result('changed', v).changed ?? false),
  skipped: (v) => truthy(result('skipped', v).skipped ?? false),
  skip: (v) => truthy(result('skipped', v).skipped ?? false),
  finished: (v) => truthy(result('finished', v).finished ?? true),
  abs: (v) => typeof v === 'string' && v.startsWith('/'),
};
