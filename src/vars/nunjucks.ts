import { types } from 'node:util';
import nunjucks from 'nunjucks';
import { compile, syntaxError } from './compile.js';
import { FILTERS, LENIENT_FILTERS } from './filters.js';
import { memberLookup, Slice, splitArgs } from './methods.js';
import * as py from './py.js';
import { TemplateError, Undefined } from './py.js';
import { TESTS, LENIENT_TESTS } from './tests.js';

/**
 * The runtime side of the nunjucks adapter: a private runtime object (the global one is left
 * alone) makes variable and member lookups strict and lazy and gives operators Python
 * semantics; filters and tests are Ansible's (filters.ts, tests.ts).
 */

const { runtime: baseRuntime } = nunjucks as any;

/** What Jinja's namespace() makes: the one object a template may assign attributes to. */
export class Namespace {}

export { cacheSize } from './compile.js';

/** Where a template's free variables come from (see lazy.ts). */
export interface Scope {
  lookup(name: string): unknown;
}

const env = new nunjucks.Environment([], { autoescape: false, trimBlocks: true, lstripBlocks: false });
const envAny = env as any;
/** ansible.builtin.to_json and to_json are the same filter (and test). */
const shortName = (name: string) => name.replace(/^ansible\.(builtin|legacy)\./, '');

envAny.getFilter = (name: string) => {
  const f = envAny.filters[shortName(name)];
  if (!f) throw new TemplateError(`no filter named '${name}'`);
  return f;
};

function wrapFilter(name: string, f: (v: unknown, args: unknown[], kw: Record<string, unknown>) => unknown) {
  const lenient = LENIENT_FILTERS.has(name);
  return function (this: unknown, value: unknown, ...raw: unknown[]) {
    const [args, kw] = splitArgs(raw);
    if (!lenient) {
      py.defined(value);
      if (name !== 'ternary') for (const a of [...args, ...Object.values(kw)]) py.defined(a);
    }
    return f(value, args, kw);
  };
}
for (const [name, f] of Object.entries(FILTERS)) env.addFilter(name, wrapFilter(name, f));
// nunjucks' own filters (indent, title, wordcount, ...) stay, but refuse undefined input.
for (const name of Object.keys(envAny.filters)) {
  if (FILTERS[name]) continue;
  const orig = envAny.filters[name];
  envAny.filters[name] = function (this: unknown, value: unknown, ...rest: unknown[]) {
    return orig.call(this, py.defined(value), ...rest);
  };
}

const rt = {
  ...baseRuntime,
  contextOrFrameLookup(context: any, frame: any, name: string): unknown {
    const v = frame.lookup(name);
    if (v !== undefined) return v;
    if (name in context.ctx) return context.ctx[name];
    return context.scope.lookup(name);
  },
  memberLookup,
  suppressValue: (v: unknown) => (v instanceof baseRuntime.SafeString ? String(v) : py.pyStr(v)),
  callWrap(fn: unknown, name: string, context: unknown, args: unknown[]): unknown {
    if (fn instanceof Undefined) fn.fail();
    if (typeof fn !== 'function') throw new TemplateError(`'${name}' is not callable`);
    return fn.apply(context, args);
  },
  handleError(e: any, lineno: number, colno: number): Error {
    if (e instanceof TemplateError) return e;
    return new TemplateError(`${e?.message ?? e} (line ${lineno + 1}, column ${colno + 1})`);
  },
  fromIterator: py.iterable,
  inOperator: py.inOp,
  setAttr(obj: unknown, key: string, value: unknown): void {
    if (!(obj instanceof Namespace)) throw new TemplateError(`cannot assign attribute '${key}' on ${py.typeName(obj)}: use namespace()`);
    (obj as Record<string, unknown>)[key] = value;
  },
  slice: (a: number | null, b: number | null, c: number | null) => new Slice(a, b, c),
  truthy: py.truthy,
  not: (v: unknown) => !py.truthy(v),
  or: (l: unknown, r: () => unknown) => (py.truthy(l) ? l : r()),
  and: (l: unknown, r: () => unknown) => (py.truthy(l) ? r() : l),
  add: py.add,
  mul: py.mul,
  mod: py.mod,
  concat: py.concat,
  compare: py.compare,
  test(_env: unknown, context: unknown, name: string, value: unknown, ...raw: unknown[]): boolean {
    const t = TESTS[shortName(name)];
    if (!t) throw new TemplateError(`no test named '${name}'`);
    if (!LENIENT_TESTS.has(name)) py.defined(value);
    const [args, kw] = splitArgs(raw);
    return t.call(context, value, args, kw) === true;
  },
};

function run(src: string, scope: Scope, shown: string): { out: string; ctx: Record<string, unknown> } {
  const root = compile(src, shown);
  const frame = new baseRuntime.Frame();
  frame.topLevel = true;
  const ctx: Record<string, unknown> = Object.create(null);
  const context = {
    env,
    ctx,
    scope,
    setVariable: (n: string, v: unknown) => { ctx[n] = v; },
    addExport: () => {},
    getVariables: () => ctx,
    lookup: (n: string) => (n in ctx ? ctx[n] : scope.lookup(n)),
  };
  let out = '';
  let err: unknown;
  root(env, context, frame, rt, (e, r) => {
    err = e;
    out = r ?? '';
  });
  if (err) {
    const te = err instanceof TemplateError ? err : syntaxError(err, shown);
    te.template ??= shown;
    throw te;
  }
  return { out, ctx };
}

/** Render a template to text. */
export function renderIn(src: string, scope: Scope): string {
  return run(src, scope, src).out;
}

const NATIVE = '__harun_native';

/** Evaluate one Jinja expression to its native value. */
export function evaluateIn(expr: string, scope: Scope, shown = expr): unknown {
  const { ctx } = run(`{% set ${NATIVE} = (${expr}\n) %}`, scope, shown);
  const v = ctx[NATIVE];
  if (v instanceof baseRuntime.SafeString) return String(v);
  const bad = findUndefined(v, 0);
  if (bad) throw new TemplateError(bad.hint, shown);
  return v === undefined ? null : v;
}

/** An undefined value inside a result (`[foo]`) must fail here, not in a module later. */
function findUndefined(v: unknown, depth: number): Undefined | undefined {
  if (v instanceof Undefined) return v;
  if (depth > 50 || v === null || typeof v !== 'object' || types.isProxy(v)) return undefined;
  const items = Array.isArray(v) ? v : py.isPlainObject(v) ? Object.values(v) : [];
  for (const x of items) {
    const u = findUndefined(x, depth + 1);
    if (u) return u;
  }
  return undefined;
}

