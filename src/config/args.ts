import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import type { ModuleDef } from '../modules/types.js';
import { schemaKeys } from '../modules/lib/args.js';
import { didYouMean } from './suggest.js';
import { lineAt, posOf } from './yaml.js';
import { parseKv } from './kv.js';
import { VaultText } from '../vault/value.js';

/** Keys that command-like modules accept inside their free-form string. */
const FREE_KEYS = new Set(['creates', 'removes', 'chdir', 'executable', 'warn', 'stdin', 'stdin_add_newline', 'strip_empty_ends']);

/** Turn the YAML value given to a module into an args object (free-form and k=v handled). */
export function normalizeArgs(mod: ModuleDef, value: unknown, extra: unknown): Record<string, unknown> {
  let args: Record<string, unknown> = {};
  if (typeof value === 'string') {
    if (mod.freeForm) {
      const { args: kv, free } = parseKv(value, FREE_KEYS);
      args = { ...kv };
      if (free) args[mod.freeForm] = free;
    } else {
      const { args: kv, free } = parseKv(value);
      if (free) throw new Error(`'${free}' is not a key=value pair and module '${mod.name}' takes no free-form text (quote a value with spaces: key="a b")`);
      args = kv;
    }
  } else if (value && typeof value === 'object' && !Array.isArray(value)) {
    args = value as Record<string, unknown>;
  } else if (value !== null && value !== undefined) {
    args = mod.freeForm ? { [mod.freeForm]: value } : {};
  }
  // `args:` keyword merges under the inline arguments
  if (extra && typeof extra === 'object') args = { ...(extra as Record<string, unknown>), ...args };
  return args;
}

// an unopened !vault value (no password given yet) is judged at run time too, like a template
const templated = (v: unknown): boolean => (typeof v === 'string' && (v.includes('{{') || v.includes('{%'))) || v instanceof VaultText;

function valueAt(obj: unknown, path: PropertyKey[]): unknown[] {
  // every value along the path: an issue under a templated ancestor is decided at run time
  const seen: unknown[] = [obj];
  let cur: any = obj;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') break;
    cur = cur[k as any];
    seen.push(cur);
  }
  return seen;
}

/**
 * Check module arguments against the module's schema. With `atLoad`, values that are still
 * templates are not judged (they are checked again after rendering); unknown and missing
 * arguments always are. Throws ValidationError naming the argument and where it was written.
 */
export function checkArgs<A>(
  mod: ModuleDef<A>,
  args: Record<string, unknown>,
  where: { task: unknown; argsNode?: unknown; atLoad: boolean; taskName?: string },
): A {
  const r = (mod.schema as z.ZodType<A>).safeParse(args);
  if (r.success) return r.data;
  for (const issue of r.error.issues) {
    const along = valueAt(args, issue.path);
    if (where.atLoad && issue.code !== 'unrecognized_keys' && along.some(templated)) continue;
    if (where.atLoad && issue.code === 'invalid_union' && along.some(templated)) continue;
    throw argError(mod, issue, args, where);
  }
  return args as A; // only templated issues: judged again at run time
}

function argError(mod: ModuleDef, issue: z.core.$ZodIssue, args: Record<string, unknown>, where: { task: unknown; argsNode?: unknown; taskName?: string }): ValidationError {
  const known = schemaKeys(mod.schema);
  let msg: string;
  let key: string | undefined;
  if (issue.code === 'unrecognized_keys') {
    key = issue.keys[0];
    msg = `unsupported argument '${key}' for module '${mod.name}'${didYouMean(key, known)}` + (known.length ? `; supported: ${known.join(', ')}` : '');
  } else {
    key = issue.path.length ? String(issue.path[0]) : undefined;
    const what = issue.path.length ? `argument '${issue.path.join('.')}'` : 'arguments';
    const got = issue.path.length && key && key in args ? ` (got ${JSON.stringify(valueAt(args, issue.path).pop())})` : '';
    msg = `module '${mod.name}': ${what}: ${issue.message}${got}`;
  }
  const node = where.argsNode && typeof where.argsNode === 'object' ? where.argsNode : where.task;
  const pos = (key && posOf(node, key)) || posOf(where.task);
  return new ValidationError('args', msg, pos, lineAt(pos));
}
