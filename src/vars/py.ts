import { types } from 'node:util';
import { HarunError } from '../errors.js';

/**
 * Python/Jinja2 value semantics that JavaScript lacks: strict undefined values, truthiness of
 * empty containers, printing True/None/['a'], deep ==, list +, string %. The compiled templates
 * call these through the runtime in nunjucks.ts.
 */

/** A template failed: undefined variable, bad filter argument, syntax error, recursive loop. */
export class TemplateError extends HarunError {
  /** The template text being rendered, when known. */
  template?: string;
  constructor(message: string, template?: string) {
    super('template', message);
    this.name = 'TemplateError';
    this.template = template;
  }
}

/**
 * Jinja2's StrictUndefined as Ansible uses it: member lookups chain (so `a.b.c | default(1)`
 * works), but printing, comparing, iterating or calling it fails with the original message.
 */
export class Undefined {
  /** hint: the error message; name: the missing variable or attribute. */
  constructor(readonly hint: string, readonly name?: string) {}
  fail(): never {
    throw new TemplateError(this.hint);
  }
  [Symbol.toPrimitive](): never {
    this.fail();
  }
  toString(): never {
    this.fail();
  }
  toJSON(): never {
    this.fail();
  }
}

export const isUndef = (v: unknown): v is Undefined => v instanceof Undefined;

export function defined<T>(v: T): T {
  if (v instanceof Undefined) v.fail();
  return v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}

/** A mapping for Jinja purposes: plain objects and proxies over them (hostvars). */
export function isMapping(v: unknown): v is Record<string, unknown> {
  return isPlainObject(v) || (types.isProxy(v) && !Array.isArray(v));
}

export function truthy(v: unknown): boolean {
  if (v instanceof Undefined) v.fail();
  if (v === null || v === undefined || v === false) return false;
  if (v === true) return true;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (v instanceof Map || v instanceof Set) return v.size > 0;
  if (isPlainObject(v)) return Object.keys(v).length > 0;
  return true;
}

/** Python's type name, for error messages that read like Ansible's. */
export function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'list';
  if (v instanceof Undefined) return 'Undefined';
  return 'dict';
}

/** str(v) as Jinja prints it inside a larger string. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Undefined) v.fail();
  if (v && typeof v === 'object' && !Array.isArray(v) && !isMapping(v)) return String(v);
  return pyRepr(v);
}

export function pyRepr(v: unknown): string {
  if (v instanceof Undefined) v.fail();
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? 'inf' : v < 0 ? '-inf' : 'nan';
  if (typeof v === 'string') {
    const q = v.includes("'") && !v.includes('"') ? '"' : "'";
    const body = v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as object).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  }
  return String(v);
}

const isNum = (x: unknown): x is number | boolean => typeof x === 'number' || typeof x === 'boolean';

export function pyEq(a: unknown, b: unknown): boolean {
  defined(a);
  defined(b);
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  // True == 1 in Python, but [] != False and '1' != 1.
  if (typeof a === 'boolean' || typeof b === 'boolean') return isNum(a) && isNum(b) && Number(a) === Number(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEq(x, b[i]));
  }
  if (isMapping(a) && isMapping(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && pyEq(a[k], b[k]));
  }
  return false;
}

function order(a: unknown, b: unknown, op: string): number {
  defined(a);
  defined(b);
  const num = (x: unknown) => typeof x === 'number' || typeof x === 'boolean';
  if (num(a) && num(b)) return Number(a) - Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      if (!pyEq(a[i], b[i])) return order(a[i], b[i], op);
    }
    return a.length - b.length;
  }
  throw new TemplateError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

/** Python's chained comparison: a < b <= c. */
export function compare(left: unknown, ...rest: unknown[]): boolean {
  for (let i = 0; i < rest.length; i += 2) {
    const op = rest[i] as string;
    const right = rest[i + 1];
    let ok: boolean;
    switch (op) {
      case '==': case '===': ok = pyEq(left, right); break;
      case '!=': case '!==': ok = !pyEq(left, right); break;
      case '<': ok = order(left, right, op) < 0; break;
      case '>': ok = order(left, right, op) > 0; break;
      case '<=': ok = order(left, right, op) <= 0; break;
      case '>=': ok = order(left, right, op) >= 0; break;
      default: throw new TemplateError(`unknown comparison ${op}`);
    }
    if (!ok) return false;
    left = right;
  }
  return true;
}

function opError(op: string, a: unknown, b: unknown): never {
  throw new TemplateError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}


export function add(a: unknown, b: unknown): unknown {
  defined(a);
  defined(b);
  if (isNum(a) && isNum(b)) return Number(a) + Number(b);
  if (typeof a === 'string' && typeof b === 'string') return a + b;
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  opError('+', a, b);
}

export function mul(a: unknown, b: unknown): unknown {
  defined(a);
  defined(b);
  if (isNum(a) && isNum(b)) return Number(a) * Number(b);
  const [seq, n] = isNum(a) ? [b, Number(a)] : [a, Number(b)];
  if (isNum(a) !== isNum(b) && Number.isInteger(n)) {
    if (typeof seq === 'string') return seq.repeat(Math.max(0, n));
    if (Array.isArray(seq)) return Array.from({ length: Math.max(0, n) }, () => seq).flat();
  }
  opError('*', a, b);
}

/** Python modulo (result has the divisor's sign), or printf-style '%s' % args. */
export function mod(a: unknown, b: unknown): unknown {
  defined(a);
  defined(b);
  if (isNum(a) && isNum(b)) {
    const x = Number(a);
    const y = Number(b);
    return ((x % y) + y) % y;
  }
  if (typeof a === 'string') return percentFormat(a, Array.isArray(b) ? b : [b]);
  opError('%', a, b);
}

export function percentFormat(fmt: string, args: unknown[]): string {
  let i = 0;
  const named = args.length === 1 && isMapping(args[0]) ? args[0] : undefined;
  return fmt.replace(/%(\(([^)]+)\))?([-+ 0#]*)(\d+)?(?:\.(\d+))?([sdifrxXoec%])/g, (_m, _n, key, flags, width, prec, conv) => {
    if (conv === '%') return '%';
    const v = key !== undefined && named ? named[key] : args[i++];
    let s: string;
    switch (conv) {
      case 'd': case 'i': s = String(Math.trunc(Number(v))); break;
      case 'f': s = Number(v).toFixed(prec === undefined ? 6 : Number(prec)); break;
      case 'e': s = Number(v).toExponential(prec === undefined ? 6 : Number(prec)); break;
      case 'x': s = Math.trunc(Number(v)).toString(16); break;
      case 'X': s = Math.trunc(Number(v)).toString(16).toUpperCase(); break;
      case 'o': s = Math.trunc(Number(v)).toString(8); break;
      case 'r': s = pyRepr(v); break;
      case 'c': s = typeof v === 'number' ? String.fromCharCode(v) : String(v); break;
      default: s = pyStr(v); if (prec !== undefined) s = s.slice(0, Number(prec));
    }
    const w = width ? Number(width) : 0;
    if (s.length < w) {
      if (flags.includes('-')) s = s.padEnd(w);
      else if (flags.includes('0') && conv !== 's') s = s.startsWith('-') ? '-' + s.slice(1).padStart(w - 1, '0') : s.padStart(w, '0');
      else s = s.padStart(w);
    }
    return s;
  });
}

export function concat(a: unknown, b: unknown): string {
  return pyStr(a) + pyStr(b);
}

/** Python's `in`: substring, list membership, dict key. */
export function inOp(needle: unknown, hay: unknown): boolean {
  defined(needle);
  defined(hay);
  if (typeof hay === 'string') {
    if (typeof needle !== 'string') throw new TemplateError(`'in <string>' requires string as left operand, not ${typeName(needle)}`);
    return hay.includes(needle);
  }
  if (Array.isArray(hay)) return hay.some((x) => pyEq(x, needle));
  if (hay && typeof hay === 'object') return (hay as Record<string, unknown>)[String(needle)] !== undefined;
  throw new TemplateError(`argument of type '${typeName(hay)}' is not iterable`);
}

/** What `for x in v` iterates: lists, strings, dict keys. */
export function iterable(v: unknown): unknown[] | string {
  defined(v);
  if (Array.isArray(v) || typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    if (Symbol.iterator in v) return Array.from(v as Iterable<unknown>);
    return Object.keys(v);
  }
  if (v === null || v === undefined) return [];
  throw new TemplateError(`'${typeName(v)}' object is not iterable`);
}
