import nunjucks from 'nunjucks';
import transformer from 'nunjucks/src/transformer.js';
import { tokenize } from './lexer.js';
import { TemplateError } from './py.js';

/**
 * Jinja2 source to a nunjucks root function. nunjucks parses Jinja2 syntax well, but compiles
 * operators to JavaScript ones; this compiler routes truthiness, comparison, +, *, %, ~ and
 * tests through the Python semantics of the runtime (nunjucks.ts). The parser adds slices,
 * loop filters and Jinja test syntax (lexer fixes: lexer.ts). Compiled templates are cached.
 */

const { nodes, lexer } = nunjucks as any;
const BaseCompiler = (nunjucks as any).compiler.Compiler;
const BaseParser = (nunjucks as any).parser.Parser;


const SliceNode = nodes.Node.extend('Slice', {
  fields: ['start', 'stop', 'step'],
  init(this: any, lineno: number, colno: number, start: any, stop: any, step: any) {
    const lit = (v: unknown) => new nodes.Literal(lineno, colno, v);
    this.parent(lineno, colno, start || lit(null), stop || lit(null), step || lit(null));
  },
});
const TruthyNode = nodes.Node.extend('Truthy', { fields: ['target'] });
const LoopFilterNode = nodes.Node.extend('LoopFilter', { fields: ['arr', 'cond', 'name'] });

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

  /** Jinja chains conditional expressions: `a if x else b if y else c`. */
  parseInlineIf(): any {
    const body = this.parseOr();
    if (!this.skipSymbol('if')) return body;
    const node = new nodes.InlineIf(body.lineno, body.colno);
    node.body = body;
    node.cond = this.parseOr();
    node.else_ = this.skipSymbol('else') ? this.parseInlineIf() : null;
    return node;
  }
}

const ARG_START = new Set([lexer.TOKEN_STRING, lexer.TOKEN_INT, lexer.TOKEN_FLOAT, lexer.TOKEN_LEFT_BRACKET,
  lexer.TOKEN_LEFT_CURLY, lexer.TOKEN_SYMBOL, lexer.TOKEN_BOOLEAN, lexer.TOKEN_NONE]);
const NOT_ARG = new Set(['and', 'or', 'else', 'if', 'is', 'not', 'in']);

/**
 * `x is test`, `x is test(args)` and, as Jinja allows, one argument without parentheses:
 * `x is divisibleby 3`, `x is sameas false`, `x is in [1, 2]`.
 */
function parseIs(this: any): any {
  let node = this.parseCompare();
  if (!this.skipSymbol('is')) return node;
  const not = this.skipSymbol('not');
  const tok = this.nextToken();
  if (!tok || ![lexer.TOKEN_SYMBOL, lexer.TOKEN_BOOLEAN, lexer.TOKEN_NONE].includes(tok.type)) this.fail('expected a test name after "is"', tok?.lineno, tok?.colno);
  let name = String(tok.value);
  while (this.skipValue(lexer.TOKEN_OPERATOR, '.')) name += `.${this.nextToken().value}`;
  const sym = new nodes.Symbol(tok.lineno, tok.colno, name);
  let args: any[] = [];
  const nt = this.peekToken();
  if (nt?.type === lexer.TOKEN_LEFT_PAREN) args = this.parsePostfix(sym).args.children;
  else if (nt && ARG_START.has(nt.type) && !(nt.type === lexer.TOKEN_SYMBOL && NOT_ARG.has(nt.value))) args = [this.parsePrimary()];
  const call = new nodes.FunCall(tok.lineno, tok.colno, sym, new nodes.NodeList(tok.lineno, tok.colno, args));
  node = new nodes.Is(node.lineno, node.colno, node, call);
  if (not) node = new nodes.Not(node.lineno, node.colno, node);
  // Jinja reads tests and filters at one level, left to right: `x is defined | ternary(a, b)`
  return this.parseFilter(node);
}
Parser.prototype.parseIs = parseIs;

class Compiler extends BaseCompiler {
  assertType(node: any, ...types: any[]): void {
    if (node instanceof SliceNode || node instanceof TruthyNode || node instanceof LoopFilterNode) return;
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
  /** `{% for x in xs if cond %}`: nunjucks parses `xs if cond` as an inline if; Jinja filters. */
  compileFor(node: any, frame: any): void {
    if (node.arr instanceof nodes.InlineIf && node.arr.else_ === null) {
      node.arr = new LoopFilterNode(node.lineno, node.colno, node.arr.body, node.arr.cond, node.name);
    }
    super.compileFor(node, frame);
  }
  compileLoopFilter(node: any, frame: any): void {
    const id = this._tmpid();
    const inner = frame.push();
    if (node.name instanceof nodes.Array) node.name.children.forEach((c: any, i: number) => inner.set(c.value, `${id}[${i}]`));
    else inner.set(node.name.value, id);
    this._emit('runtime.fromIterator(');
    this.compile(node.arr, frame);
    this._emit(`).filter((${id}) => runtime.truthy(`);
    this.compile(node.cond, inner);
    this._emit('))');
  }
  /** `{% set ns.found = true %}` assigns an attribute (Jinja's namespace() idiom). */
  compileSet(node: any, frame: any): void {
    const target = node.targets[0];
    if (node.targets.length !== 1 || !(target instanceof nodes.LookupVal) || !node.value) return super.compileSet(node, frame);
    this._emit('runtime.setAttr(');
    this._compileExpression(target.target, frame);
    this._emit(', ');
    this._compileExpression(target.val, frame);
    this._emit(', ');
    this._compileExpression(node.value, frame);
    this._emitLine(');');
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

export type RootFn = (env: unknown, context: unknown, frame: unknown, runtime: unknown, cb: (e: unknown, out?: string) => void) => void;

const CACHE_MAX = 5000;
const cache = new Map<string, RootFn>();


export function syntaxError(e: any, src: string): TemplateError {
  const msg = String(e?.message ?? e).replace(/^\(unknown path\)\s*/, '').replace(/\n\s*/g, ' ');
  const where = typeof e?.lineno === 'number' ? ` (line ${e.lineno})` : '';
  const text = src.length > 80 ? `${src.slice(0, 77)}...` : src;
  return new TemplateError(`template error${where} in ${JSON.stringify(text)}: ${msg}`, src);
}

export function compile(src: string, shown: string): RootFn {
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

/** How many compiled templates are cached (for tests and benchmarks). */
export function cacheSize(): number {
  return cache.size;
}
