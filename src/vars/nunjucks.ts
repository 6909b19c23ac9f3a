import { createRequire } from 'node:module';
import { types } from 'node:util';
import nunjucks from 'nunjucks';
import { FILTERS, LENIENT_FILTERS } from './filters.js';
import { memberLookup, Slice, splitArgs } from './methods.js';
import * as py from './py.js';
import { TemplateError, Undefined } from './py.js';
import { TESTS, LENIENT_TESTS } from './tests.js';

/**
 * The one adapter for nunjucks. nunjucks parses Jinja2 syntax well, but compiles operators to
 * JavaScript ones; a subclassed compiler routes truthiness, comparison, +, *, %, ~ and tests
 * through Python semantics (py.ts), and a private runtime (not the global one) makes variable
 * and member lookups strict and lazy. Templates are compiled once per source string.
 */

const require = createRequire(import.meta.url);
const transformer = require('nunjucks/src/transformer.js');
const { nodes, lexer, runtime: baseRuntime } = nunjucks as any;
const BaseCompiler = (nunjucks as any).compiler.Compiler;
const BaseParser = (nunjucks as any).parser.Parser;

/** Where a template's free variables come from (see lazy.ts). */
export interface Scope {
  lookup(name: string): unknown;
}

const SliceNode = nodes.Node.extend('Slice', {
  fields: ['start', 'stop', 'step'],
  init(this: any, lineno: number, colno: number, start: any, stop: any, step: any) {
    const lit = (v: unknown) => new nodes.Literal(lineno, colno, v);
    this.parent(lineno, colno, start || lit(null), stop || lit(null), step || lit(null));
  },
});
const TruthyNode = nodes.Node.extend('Truthy', { fields: ['target'] });

/** Adds Python slices (`x[1:]`, `x[::-1]`) to subscripts. */
class Parser extends BaseParser {
  parseAggregate(): any {
    const tok = this.peekToken();
    if (tok.type !== lexer.TOKEN_LEFT_BRACKET) return super.parseAggregate();
    const saved = { index: this.tokens.index, lineno: this.tokens.lineno, colno: this.tokens.colno };
    try {
      return super.parseAggregate();
    } catch (e) {
      Object.assign(this.tokens, saved);
      this.peeked = tok;
      this.nextToken();
      const parts: any[] = [null, null, null];
      let i = 0;
      let isSlice = false;
      while (!this.skip(lexer.TOKEN_RIGHT_BRACKET)) {
        if (this.skip(lexer.TOKEN_COLON)) {
          isSlice = true;
          i++;
          if (i > 2) this.fail('too many slice components', tok.lineno, tok.colno);
        } else {
          parts[i] = this.parseExpression();
          if (!this.skip(lexer.TOKEN_COLON)) {
            if (!this.skip(lexer.TOKEN_RIGHT_BRACKET)) throw e;
            break;
          }
          isSlice = true;
          i++;
        }
      }
      if (!isSlice) throw e;
      return new nodes.Array(tok.lineno, tok.colno, [new SliceNode(tok.lineno, tok.colno, ...parts)]);
    }
  }
}

class Compiler extends BaseCompiler {
  assertType(node: any, ...types: any[]): void {
    if (node instanceof SliceNode || node instanceof TruthyNode) return;
    super.assertType(node, ...types);
  }
  private call(fn: string, args: any[], frame: any): void {
    this._emit(`runtime.${fn}(`);
    args.forEach((a, i) => {
      if (i) this._emit(', ');
      if (typeof a === 'string') this._emit(a);
      else this.compile(a, frame);
    });
    this._emit(')');
  }
  compileSlice(node: any, frame: any): void {
    this.call('slice', [node.start, node.stop, node.step], frame);
  }
  compileTruthy(node: any, frame: any): void {
    this.call('truthy', [node.target], frame);
  }
  compileIf(node: any, frame: any, async: boolean): void {
    if (!(node.cond instanceof TruthyNode)) node.cond = new TruthyNode(node.lineno, node.colno, node.cond);
    super.compileIf(node, frame, async);
  }
  compileInlineIf(node: any, frame: any): void {
    this._emit('(runtime.truthy(');
    this.compile(node.cond, frame);
    this._emit(') ? (');
    this.compile(node.body, frame);
    this._emit(') : (');
    if (node.else_ !== null) this.compile(node.else_, frame);
    else this._emit('""');
    this._emit('))');
  }
  compileOr(node: any, frame: any): void {
    this._emit('runtime.or(');
    this.compile(node.left, frame);
    this._emit(', () => (');
    this.compile(node.right, frame);
    this._emit('))');
  }
  compileAnd(node: any, frame: any): void {
    this._emit('runtime.and(');
    this.compile(node.left, frame);
    this._emit(', () => (');
    this.compile(node.right, frame);
    this._emit('))');
  }
  compileNot(node: any, frame: any): void {
    this.call('not', [node.target], frame);
  }
  compileAdd(node: any, frame: any): void {
    this.call('add', [node.left, node.right], frame);
  }
  compileMul(node: any, frame: any): void {
    this.call('mul', [node.left, node.right], frame);
  }
  compileMod(node: any, frame: any): void {
    this.call('mod', [node.left, node.right], frame);
  }
  compileConcat(node: any, frame: any): void {
    this.call('concat', [node.left, node.right], frame);
  }
  compileCompare(node: any, frame: any): void {
    const args: any[] = [node.expr];
    for (const op of node.ops) args.push(JSON.stringify(op.type), op.expr);
    this.call('compare', args, frame);
  }
  compileGroup(node: any, frame: any): void {
    // (a, b) is a tuple: a list here. (a) is just grouping.
    if (node.children.length === 1) this._compileAggregate(node, frame, '(', ')');
    else this._compileAggregate(node, frame, '[', ']');
  }
  compileIs(node: any, frame: any): void {
    // `is none` / `is true` arrive as literals; `is ansible.builtin.version(...)` as lookups.
    const dotted = (n: any): string =>
      n instanceof nodes.LookupVal ? `${dotted(n.target)}.${n.val.value}` : String(n.value ?? 'none');
    const name = dotted(node.right.name ?? node.right);
    this._emit(`runtime.test(env, context, ${JSON.stringify(name)}, `);
    this.compile(node.left, frame);
    if (node.right.args) {
      for (const a of node.right.args.children) {
        this._emit(', ');
        this.compile(a, frame);
      }
    }
    this._emit(')');
  }
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

type RootFn = (env: unknown, context: unknown, frame: unknown, runtime: unknown, cb: (e: unknown, out?: string) => void) => void;

const CACHE_MAX = 5000;
const cache = new Map<string, RootFn>();

/**
 * Jinja's lexer balances braces, so `{{ {'a': {'b': 1}} }}` works there; nunjucks would end
 * the tag at the first `}}`. Inside an open dict literal, read `}}` as a single `}`.
 */
function tokenize(src: string): unknown {
  const tk = lexer.lex(src, envAny.opts);
  const next = tk.nextToken.bind(tk);
  let depth = 0;
  tk.nextToken = () => {
    if (tk.in_code && depth > 0 && tk.str.startsWith('}}', tk.index)) {
      const t = { type: lexer.TOKEN_RIGHT_CURLY, value: '}', lineno: tk.lineno, colno: tk.colno };
      tk.forward();
      depth--;
      return t;
    }
    const t = next();
    if (t?.type === lexer.TOKEN_LEFT_CURLY) depth++;
    else if (t?.type === lexer.TOKEN_RIGHT_CURLY) depth--;
    else if (t?.type === lexer.TOKEN_VARIABLE_END || t?.type === lexer.TOKEN_BLOCK_END) depth = 0;
    return t;
  };
  return tk;
}

function syntaxError(e: any, src: string): TemplateError {
  const msg = String(e?.message ?? e).replace(/^\(unknown path\)\s*/, '').replace(/\n\s*/g, ' ');
  const where = typeof e?.lineno === 'number' ? ` (line ${e.lineno})` : '';
  const text = src.length > 80 ? `${src.slice(0, 77)}...` : src;
  return new TemplateError(`template error${where} in ${JSON.stringify(text)}: ${msg}`, src);
}

function compile(src: string, shown: string): RootFn {
  let fn = cache.get(src);
  if (fn) return fn;
  try {
    const p = new (Parser as any)(tokenize(src));
    p.extensions = [];
    const ast = transformer.transform(p.parseAsRoot(), [], undefined);
    const c = new (Compiler as any)(undefined, false);
    c.compile(ast);
    fn = (new Function(c.getCode())() as { root: RootFn }).root;
  } catch (e) {
    throw syntaxError(e, shown);
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(src, fn);
  return fn;
}

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

/** How many compiled templates are cached (for tests and benchmarks). */
export function cacheSize(): number {
  return cache.size;
}
