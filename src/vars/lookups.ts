import { LazyScope, noTemplate, registerGlobal } from './lazy.js';
import { configLookup } from './lookup-config.js';
import { FILE_LOOKUPS } from './lookups-files.js';
import { splitArgs } from './methods.js';
import { isMapping, isUndef, percentFormat, pyStr, TemplateError, Undefined } from './py.js';
import { PyRandom } from './pyrandom.js';

/**
 * Ansible's lookup plugins that make sense on a controller, for lookup(), query()/q() and the
 * with_<name> loops. A plugin takes the terms (a list) and keyword options and returns a list;
 * lookup() joins a list of strings with commas unless wantlist=True, as Ansible's templar does.
 */

/** What a plugin may read: the task's variables and where its files are searched. */
export interface LookupCtx {
  /** A variable, templated; an Undefined when not set. */
  get(name: string): unknown;
  /** Every variable name visible to the task. */
  names(): string[];
  render(text: string, extra?: Record<string, unknown>): string;
  /** The `subdir` a with_ loop gives first_found (vars for include_vars, templates for template). */
  subdir?: string;
}

export type Lookup = (terms: unknown[], kw: Record<string, unknown>, ctx: LookupCtx) => unknown[];

const flat1 = (terms: unknown[]) => terms.flatMap((t) => (Array.isArray(t) ? t : [t]));
const asList = (v: unknown, what: string): unknown[] => {
  if (!Array.isArray(v)) throw new TemplateError(`${what}: expected a list, got ${JSON.stringify(v)}`);
  return v;
};

/** `start-end/stride:format` or k=v options, as the sequence lookup reads them. */
function sequence(term: string): string[] {
  const o: Record<string, string> = {};
  const short = /^(?:(\d+|0x[0-9a-f]+)-)?(\d+|0x[0-9a-f]+)(?:\/(\d+))?(?::(.+))?$/i.exec(term.trim());
  if (short) Object.assign(o, { start: short[1] ?? '1', end: short[2], stride: short[3] ?? '1', format: short[4] ?? '%d' });
  else for (const m of term.matchAll(/(\w+)=(\S+)/g)) o[m[1]] = m[2];
  const start = Number(o.start ?? 1);
  const stride = Number(o.stride ?? 1);
  if (o.count !== undefined && o.end !== undefined) throw new TemplateError("can't specify both count and end in with_sequence");
  if (o.count === undefined && o.end === undefined) throw new TemplateError(`must specify count or end in with_sequence (got '${term}')`);
  const end = o.end !== undefined ? Number(o.end) : start + (Number(o.count) - 1) * stride;
  if ([start, stride, end].some(Number.isNaN)) throw new TemplateError(`with_sequence: bad numbers in '${term}'`);
  if (o.count !== undefined && Number(o.count) === 0) return [];
  const out: string[] = [];
  if (stride > 0) for (let i = start; i <= end; i += stride) out.push(percentFormat(o.format ?? '%d', [i]));
  else if (stride < 0) for (let i = start; i >= end; i += stride) out.push(percentFormat(o.format ?? '%d', [i]));
  return out;
}

/** community.general.flattened: lists inside lists, to any depth; a 'None' or 'null' term ends it. */
function flattened(terms: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (let t of terms) {
    while (Array.isArray(t) && t.length === 1) t = t[0];
    if (t === 'None' || t === 'null') break;
    if (Array.isArray(t)) out.push(...flattened(t));
    else out.push(t);
  }
  return out;
}

const LOOKUPS: Record<string, Lookup> = {
  ...FILE_LOOKUPS,
  config: configLookup,
  env: (terms, kw) => terms.map((t) => process.env[pyStr(t)] ?? (kw.default as string | undefined) ?? ''),
  vars: (terms, kw, ctx) => terms.map((t) => {
    const v = ctx.get(pyStr(t));
    if (!isUndef(v)) return v;
    if ('default' in kw) return kw.default;
    throw new TemplateError(`No variable found with this name: ${pyStr(t)}`);
  }),
  varnames: (terms, _kw, ctx) => terms.flatMap((t) => ctx.names().filter((n) => new RegExp(pyStr(t)).test(n))),
  items: (terms) => flat1(terms),
  flattened,
  list: (terms) => terms,
  dict: (terms) => terms.flatMap((t) => {
    if (!isMapping(t)) throw new TemplateError(`with_dict expects a dict, got ${JSON.stringify(t)}`);
    return Object.entries(t).map(([key, value]) => ({ key, value }));
  }),
  indexed_items: (terms) => flat1(terms).map((x, i) => [i, x]),
  nested: (terms) => {
    if (!terms.length) throw new TemplateError('with_nested requires at least one element in the nested list');
    const lists = terms.map((t) => (Array.isArray(t) ? t : [t]));
    return lists.reduce<unknown[][]>((acc, l) => acc.flatMap((a) => l.map((x) => [...a, x])), [[]]);
  },
  together: (terms) => {
    const lists = terms.map((t) => asList(t, 'with_together'));
    const n = Math.max(0, ...lists.map((l) => l.length));
    return Array.from({ length: n }, (_x, i) => lists.map((l) => (i < l.length ? l[i] : null)));
  },
  subelements: (terms) => {
    const [list, key, flags] = terms as [unknown, unknown, Record<string, unknown> | undefined];
    const skip = Boolean(flags && isMapping(flags) && flags.skip_missing);
    const items = isMapping(list) ? Object.values(list) : asList(list, 'subelements');
    return items.flatMap((item) => {
      if (isMapping(item) && item.skipped) return [];
      // the item comes back without the list it was split on, as Ansible pops that key
      const copy = structuredClone(item) as Record<string, unknown>;
      const keys = pyStr(key).split('.');
      let parent: unknown = copy;
      for (const [i, k] of keys.entries()) {
        if (!isMapping(parent) || !(k in parent)) {
          if (skip) return [];
          throw new TemplateError(`could not find '${k}' key in iterated item '${JSON.stringify(item)}'`);
        }
        if (i < keys.length - 1) parent = parent[k];
      }
      const last = keys[keys.length - 1];
      const sub = (parent as Record<string, unknown>)[last];
      delete (parent as Record<string, unknown>)[last];
      return asList(sub, `the key '${pyStr(key)}' should point to a list`).map((s) => [copy, s]);
    });
  },
  sequence: (terms) => terms.flatMap((t) => sequence(pyStr(t))),
  random_choice: (terms) => (terms.length ? [terms[new PyRandom().below(terms.length)]] : []),
};

const shortName = (n: string) => n.replace(/^(ansible\.(builtin|legacy)|community\.general)\./, '');

export const isLookup = (name: string): boolean => shortName(name) in LOOKUPS;
export const lookupNames = (): string[] => Object.keys(LOOKUPS);

/** Run a plugin; the list it returns holds data, never templates. */
export function runLookup(name: string, terms: unknown[], kw: Record<string, unknown>, ctx: LookupCtx): unknown[] {
  const plugin = LOOKUPS[shortName(name)];
  if (!plugin) throw new TemplateError(`lookup plugin '${name}' not found (harun has: ${lookupNames().join(', ')})`);
  for (const t of terms) if (t instanceof Undefined) t.fail();
  return noTemplate(plugin(terms, kw, ctx));
}

/** The context of a template call: its variables through its scope. */
export function scopeCtx(scope: LazyScope, subdir?: string): LookupCtx {
  return {
    get: (n) => scope.lookup(n),
    names: () => [...new Set([...Object.keys(scope.vars), ...Object.keys(scope.locals ?? {})])],
    render: (text, extra) => scope.renderText(text, extra),
    subdir,
  };
}

function fromTemplate(wantlist: boolean) {
  return function (this: { scope: LazyScope }, name: string, ...raw: unknown[]): unknown {
    const [terms, kw] = splitArgs(raw);
    const { wantlist: want, errors, ...opts } = kw;
    let ran: unknown[];
    try {
      ran = runLookup(name, terms, opts, scopeCtx(this.scope));
    } catch (e) {
      if (errors === 'ignore') return wantlist || want ? [] : null;
      throw e;
    }
    if (wantlist || want) return ran;
    if (!ran.length) return ran;
    if (ran.every((x) => typeof x === 'string')) return ran.join(',');
    return ran.length === 1 ? ran[0] : ran;
  };
}

registerGlobal('lookup', fromTemplate(false));
registerGlobal('query', fromTemplate(true));
registerGlobal('q', fromTemplate(true));
