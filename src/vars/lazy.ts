import { types } from 'node:util';
import { evaluateIn, Namespace, renderIn, type Scope } from './nunjucks.js';
import { isPlainObject, TemplateError, Undefined } from './py.js';
import { VaultText } from '../vault/value.js';

/**
 * Lazy variables: a variable whose value holds templates (`a: "{{ b }}-x"`) is rendered when a
 * template first looks it up, in the same scope, so chains of variables resolve in any order.
 * Each render call gets one LazyScope; it caches what it rendered and reports loops.
 */

/** Containers marked here are never templated (registered results, hostvars proxies). */
const opaque = new WeakSet<object>();

/** Mark a value as data only: templates inside it stay literal text (Ansible's "unsafe"). */
export function noTemplate<T extends object>(v: T): T {
  opaque.add(v);
  return v;
}

/** Containers checked once and found to hold no template text (skips re-walking facts). */
const plain = new WeakSet<object>();

export function hasTemplate(s: string): boolean {
  return s.includes('{{') || s.includes('{%');
}

/**
 * `{{ expr }}` alone: its inner expression, else undefined. Whitespace around it is allowed in
 * conditions (`outerSpace`), but in values it is text: Ansible renders "{{ a }}\n" to "x\n".
 */
export function singleExpression(s: string, outerSpace = true): string | undefined {
  const m = (outerSpace ? /^\s*\{\{(-?)([\s\S]*?)(-?)\}\}\s*$/ : /^\{\{(-?)([\s\S]*?)(-?)\}\}$/).exec(s);
  if (!m) return undefined;
  const inner = m[2];
  if (inner.includes('{{') || inner.includes('{%') || inner.includes('{#')) return undefined;
  return inner;
}

const GLOBALS: Record<string, unknown> = {
  True: true,
  False: false,
  None: null,
  true: true,
  false: false,
  none: null,
  range: (a: number, b?: number, step = 1) => {
    const [start, stop] = b === undefined ? [0, Number(a)] : [Number(a), Number(b)];
    const out: number[] = [];
    if (step === 0) throw new TemplateError('range() arg 3 must not be zero');
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  },
  dict: (...args: unknown[]) => {
    const last = args[args.length - 1] as Record<string, unknown> | undefined;
    const { __keywords: _k, ...kw } = last && typeof last === 'object' ? last : ({} as Record<string, unknown>);
    return kw;
  },
  namespace: (...args: unknown[]) => {
    const last = args[args.length - 1] as Record<string, unknown> | undefined;
    const { __keywords: _k, ...kw } = last && typeof last === 'object' ? last : ({} as Record<string, unknown>);
    return Object.assign(new Namespace(), kw);
  },
};

/** Functions and constants the engine adds for every template (lookup('file'), omit, ...). */
export function registerGlobal(name: string, value: unknown): void {
  GLOBALS[name] = value;
}

export class LazyScope implements Scope {
  private readonly cache = new Map<string, unknown>();
  private readonly active: string[] = [];
  constructor(
    readonly vars: Record<string, unknown>,
    readonly locals?: Record<string, unknown>,
  ) {}

  lookup(name: string): unknown {
    const hit = this.cache.get(name);
    if (hit !== undefined || this.cache.has(name)) return hit;
    let raw = this.locals?.[name];
    if (raw === undefined) raw = this.vars[name];
    if (raw === undefined) {
      if (name in GLOBALS) return GLOBALS[name];
      return new Undefined(`'${name}' is undefined`, name);
    }
    if (raw instanceof VaultText) return raw.reveal();
    if (typeof raw === 'string' ? !hasTemplate(raw) : !needsWalk(raw)) return raw;
    if (this.active.includes(name)) {
      const chain = [...this.active.slice(this.active.indexOf(name)), name].join(' -> ');
      throw new TemplateError(`recursive loop detected in template: variable '${name}' refers to itself (${chain})`);
    }
    this.active.push(name);
    try {
      const v = this.render(raw);
      this.cache.set(name, v);
      return v;
    } finally {
      this.active.pop();
    }
  }

  /** Render template text here, with extra local variables (template lookup's template_vars). */
  renderText(text: string, extra?: Record<string, unknown>): string {
    return renderIn(text, extra ? new LazyScope(this.vars, { ...this.locals, ...extra }) : this);
  }

  /** Render every string inside a value; unchanged containers come back as the same object. */
  render(v: unknown): unknown {
    if (typeof v === 'string') {
      if (!hasTemplate(v)) return v;
      const expr = singleExpression(v, false);
      return expr !== undefined ? evaluateIn(expr, this, v) : renderIn(v, this);
    }
    if (v instanceof VaultText) return v.reveal();
    if (!needsWalk(v)) return v;
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      v.forEach((x, i) => {
        const r = this.render(x);
        if (r !== x) (out ??= [...v])[i] = r;
      });
      if (!out) plain.add(v);
      return out ?? v;
    }
    const o = v as Record<string, unknown>;
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(o)) {
      const r = this.render(o[k]);
      if (r !== o[k]) (out ??= { ...o })[k] = r;
    }
    if (!out) plain.add(o);
    return out ?? o;
  }
}

function needsWalk(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (opaque.has(v) || plain.has(v) || types.isProxy(v)) return false;
  return Array.isArray(v) || isPlainObject(v);
}
