import { BOOLEANS_FALSE } from './filters.js';
import { hasTemplate, LazyScope, singleExpression } from './lazy.js';
import { evaluateIn, renderIn } from './nunjucks.js';
import { truthy } from './py.js';

/**
 * Templating with Jinja2 semantics, as Ansible does it. `vars` are the host's raw variables:
 * templates inside them are rendered lazily when looked up. `locals` (loop item, registered
 * result of this task, per-task functions such as lookup) are looked up first.
 *
 * Known differences from Jinja2: `{% set %}` inside a loop changes the outer variable (use
 * namespace() for portable templates); no {% include %}/{% extends %}/{% import %} (no
 * loader); floats that are whole print without `.0`.
 */

export { TemplateError, Undefined } from './py.js';
export { noTemplate, registerGlobal, hasTemplate } from './lazy.js';
export { isLookup, lookupNames, runLookup, scopeCtx } from './lookups.js';
export { searchCandidates } from './lookups-files.js';

type Vars = Record<string, unknown>;

/** A whole template file or string: text out (trim_blocks on, lstrip_blocks off). */
export function renderString(text: string, vars: Vars, locals?: Vars): string {
  if (!hasTemplate(text) && !text.includes('{#')) return text;
  return renderIn(text, new LazyScope(vars, locals));
}

/**
 * Deep-render a YAML value. A string that is exactly one `{{ expr }}` keeps the native type
 * of the result; strings without templates and containers without them come back as is.
 */
export function renderValue(value: unknown, vars: Vars, locals?: Vars): unknown {
  if (typeof value === 'string' ? !hasTemplate(value) : value === null || typeof value !== 'object') return value;
  return new LazyScope(vars, locals).render(value);
}

/** A bare expression (`when:`, `changed_when:`, `that:`): its native value. */
export function evaluate(expr: string, vars: Vars, locals?: Vars): unknown {
  const scope = new LazyScope(vars, locals);
  const inner = singleExpression(expr);
  if (inner !== undefined) return evaluateIn(inner, scope, expr);
  // Ansible accepts (and warns about) templates inside conditions: render them first.
  if (hasTemplate(expr)) return evaluateIn(renderIn(expr, scope), scope, expr);
  return evaluateIn(expr, scope);
}

/**
 * A condition as `when:` takes it: a list must hold entirely, a boolean or number is itself,
 * a string is an expression. An expression that yields a string is read as Ansible's
 * boolean words ('yes', 'False', '0', '' ...).
 */
export function evalCondition(cond: string | boolean | number | null | undefined | unknown[], vars: Vars, locals?: Vars): boolean {
  if (Array.isArray(cond)) {
    for (const c of cond) if (!evalCondition(c as string, vars, locals)) return false;
    return true;
  }
  if (cond === null || cond === undefined) return true;
  if (typeof cond === 'boolean') return cond;
  if (typeof cond === 'number') return cond !== 0;
  const v = evaluate(String(cond), vars, locals);
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    return !(s === '' || s === '0.0' || s === 'none' || BOOLEANS_FALSE.has(s));
  }
  return truthy(v);
}
