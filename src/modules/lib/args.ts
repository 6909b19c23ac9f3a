/**
 * Zod building blocks for module arguments as Ansible accepts them: k=v free-form text makes
 * every value a string, so booleans and numbers also arrive as 'yes' or '30'.
 */
import { z } from 'zod';
import { BOOLEANS_FALSE, BOOLEANS_TRUE } from '../../vars/filters.js';
import { parseMode } from './mode.js';

/** Ansible's boolean: true/false, yes/no, on/off, 1/0 (case-insensitive). */
export const bool = () =>
  z.preprocess((v) => {
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (BOOLEANS_TRUE.has(s)) return true;
      if (BOOLEANS_FALSE.has(s)) return false;
    }
    if (v === 1 || v === 0) return v === 1;
    return v;
  }, z.boolean({ error: 'expected a boolean (yes/no, true/false)' }));

/** A number that may arrive as a string ('30', '1.5'). */
export const num = () =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && !isNaN(Number(v)) ? Number(v) : v), z.number({ error: 'expected a number' }));

/** A non-negative integer, e.g. a port or a timeout in seconds. */
export const int = () => num().pipe(z.number().int('expected an integer').nonnegative('expected an integer >= 0'));

/** A path or other text; numbers are stringified the way Ansible's str type does. */
export const str = () => z.preprocess((v) => (typeof v === 'number' ? String(v) : v), z.string({ error: 'expected a string' }));

/**
 * Ansible's raw/mode: a YAML number (0644 read as octal) or a string ('0644', 'u=rw,g=r'),
 * checked here so that a bad mode fails when the playbook loads, before any host is touched.
 * `preserve` (copy) is the one keyword a module may allow.
 */
export const modeArg = (opts: { preserve?: boolean } = {}) =>
  z.union([z.string(), z.number()], { error: 'expected a mode such as 0644 or u=rw,g=r,o=r' }).superRefine((m, c) => {
    if (opts.preserve && m === 'preserve') return;
    try {
      parseMode(m);
    } catch (e) {
      c.addIssue({ code: 'custom', message: (e as Error).message });
    }
  });

/** Ansible's list type: a list, or a comma-separated string. */
export const strList = () =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
    z.array(str(), { error: 'expected a list of strings' }),
  );

/**
 * Rename alias keys to their canonical names before the strict check, so that `path:` on copy
 * is `dest:` and an unknown key still fails with its own name. Using two names for the same
 * argument is an error, as in Ansible.
 */
export function withAliases<T extends z.ZodType>(aliases: Record<string, string>, schema: T) {
  return z.preprocess((v, ctx) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const [alias, canon] of Object.entries(aliases)) {
      if (!(alias in out)) continue;
      if (canon in out) {
        ctx.issues.push({ code: 'custom', path: [alias], message: `${alias} is an alias of ${canon}: give only one of them`, input: v });
        continue;
      }
      out[canon] = out[alias];
      delete out[alias];
    }
    return out;
  }, schema);
}

/**
 * Parse module arguments, turning zod issues into one message that names each argument:
 *   "copy: argument dest: Invalid input: expected string; unsupported argument bogus"
 */
export function parseArgs<A>(module: string, schema: z.ZodType<A>, args: unknown): A {
  const r = schema.safeParse(args ?? {});
  if (r.success) return r.data;
  throw new Error(`${module}: ${describeIssues(r.error.issues)}`);
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => {
      if (i.code === 'unrecognized_keys') return `unsupported argument${i.keys.length > 1 ? 's' : ''} ${i.keys.join(', ')}`;
      const name = i.path.map(String).join('.');
      return name ? `argument ${name}: ${i.message}` : i.message;
    })
    .join('; ');
}

/**
 * A module's schema, built on its first use: building all of them at import cost about 30 ms of
 * every start (bench/findings.md), and a playbook uses a few modules.
 */
export function lazySchema<T extends z.ZodType>(build: () => T): () => T {
  let s: T | undefined;
  return () => (s ??= build());
}

/** The argument names a module schema accepts (through preprocess/alias, transform and refine wrappers). */
export function schemaKeys(s: unknown): string[] {
  const any = s as any;
  if (any?.shape) return Object.keys(any.shape);
  const d = any?.def ?? any?._def;
  if (!d) return [];
  if (d.type === 'pipe') return [...new Set([...schemaKeys(d.in), ...schemaKeys(d.out)])];
  if (d.type === 'union') return [...new Set((d.options as unknown[]).flatMap(schemaKeys))];
  return d.innerType ? schemaKeys(d.innerType) : d.schema ? schemaKeys(d.schema) : [];
}
