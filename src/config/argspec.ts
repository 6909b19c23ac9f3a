/**
 * What a role requires of its variables, declared by the role itself: Ansible's
 * `meta/argument_specs.yml` (type, required, choices, elements, no_log), which harun checks
 * before any connection; plus `meta/checks.yml`, harun's own file (Ansible ignores it) of rules
 * across the role's hosts. Stricter per-value rules that argument specs cannot say sit under an
 * option's `harun:` key, which Ansible ignores too.
 */
import { existsSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { SourcePos } from '../errors.js';
import { BOOLEANS_FALSE, BOOLEANS_TRUE } from '../vars/filters.js';
import { errorAt, loadYamlFile, posOf } from './yaml.js';

const TYPES = ['str', 'int', 'float', 'bool', 'list', 'dict', 'path', 'raw'] as const;
type ArgType = (typeof TYPES)[number];

const harunRules = z.strictObject({
  min: z.number().optional(),
  max: z.number().optional(),
  /** more than this (a positive number where 0 is meaningless) */
  above: z.number().optional(),
  max_length: z.number().int().optional(),
  format: z.enum(['ipv4']).optional(),
  pattern: z.string().optional(),
  /** what the value means, put before the generated problem */
  msg: z.string().optional(),
});

const optionSchema = z.looseObject({
  type: z.enum(TYPES).optional(),
  required: z.boolean().optional(),
  choices: z.array(z.unknown()).optional(),
  elements: z.enum(TYPES).optional(),
  no_log: z.boolean().optional(),
  harun: harunRules.optional(),
});
export type ArgOption = z.infer<typeof optionSchema>;

const specFile = z.looseObject({
  argument_specs: z.record(z.string(), z.looseObject({ options: z.record(z.string(), optionSchema).optional() })),
});

const checkSchema = z.strictObject({
  name: z.string().optional(),
  that: z.union([z.string(), z.array(z.string())]),
  var: z.string(),
  msg: z.string().optional(),
});
export type RoleCheck = z.infer<typeof checkSchema> & { src?: SourcePos };

/** Entry point name -> its options. */
export type ArgSpecs = Record<string, Record<string, ArgOption>>;

function fail(data: unknown, issue: z.core.$ZodIssue, file: string): never {
  // point at the deepest node of the path that has a position
  let node: unknown = data;
  let key: string | number | undefined;
  for (const p of issue.path) {
    const next = node && typeof node === 'object' ? (node as Record<string, unknown>)[p as string] : undefined;
    key = p as string | number;
    if (next && typeof next === 'object') {
      node = next;
      key = undefined;
    }
  }
  throw errorAt(node, key, `${file}: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
}

/** A role's argument specs: meta/argument_specs.yml, else `argument_specs` in meta/main.yml. */
export function loadArgSpecs(roleDir: string): ArgSpecs {
  const files = ['argument_specs.yml', 'argument_specs.yaml', 'main.yml', 'main.yaml'].map((f) => join(roleDir, 'meta', f));
  for (const file of files.filter((f) => existsSync(f))) {
    const data = loadYamlFile(file) as Record<string, unknown> | null;
    if (!data || typeof data !== 'object' || !('argument_specs' in data)) continue;
    const r = specFile.safeParse(data);
    if (!r.success) fail(data, r.error.issues[0], file);
    // the loaded mappings, not zod's copies: they keep their source positions
    const raw = (data as { argument_specs: Record<string, { options?: Record<string, ArgOption> }> }).argument_specs;
    return Object.fromEntries(Object.keys(r.data.argument_specs).map((k) => [k, raw[k].options ?? {}]));
  }
  return {};
}

/** A role's cross-host checks: meta/checks.yml. */
export function loadChecks(roleDir: string): RoleCheck[] {
  const file = join(roleDir, 'meta', 'checks.yml');
  if (!existsSync(file)) return [];
  const data = loadYamlFile(file);
  if (data === null) return [];
  const r = z.array(checkSchema).safeParse(data);
  if (!r.success) fail(data, r.error.issues[0], file);
  return r.data.map((c, i) => ({ ...c, src: posOf(data, i) }));
}

const isMapping = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Ansible's type conversion (module_utils validation): the converted value, or why not. */
function convert(type: ArgType, v: unknown): { value: unknown } | { problem: string } {
  const no = (what: string) => ({ problem: `expected ${what}` });
  switch (type) {
    case 'str':
    case 'path':
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? { value: String(v) } : no('a string');
    case 'int': {
      const n = typeof v === 'string' && /^\s*[-+]?\d+\s*$/.test(v) ? Number(v) : v;
      return typeof n === 'number' && Number.isInteger(n) ? { value: n } : no('an integer');
    }
    case 'float': {
      const n = typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v;
      return typeof n === 'number' ? { value: n } : no('a number');
    }
    case 'bool': {
      if (typeof v === 'boolean') return { value: v };
      const s = String(v).trim().toLowerCase();
      if (typeof v !== 'object' && BOOLEANS_TRUE.has(s)) return { value: true };
      if (typeof v !== 'object' && BOOLEANS_FALSE.has(s)) return { value: false };
      return no('a boolean (true/false, yes/no)');
    }
    case 'list':
      if (Array.isArray(v)) return { value: v };
      if (typeof v === 'string') return { value: v.split(',') };
      if (typeof v === 'number') return { value: [String(v)] };
      return no('a list');
    case 'dict':
      return isMapping(v) ? { value: v } : no('a mapping');
    case 'raw':
      return { value: v };
  }
}

/** Why `v` does not satisfy option `o` (led by the option's own `harun.msg`), or undefined. */
export function argProblem(o: ArgOption, v: unknown): string | undefined {
  const p = problem(o, v);
  return p && o.harun?.msg ? `${o.harun.msg}: ${p}` : p;
}

function problem(o: ArgOption, v: unknown): string | undefined {
  const c = convert(o.type ?? 'raw', v);
  if ('problem' in c) return c.problem;
  const value = c.value;
  if (o.choices && !(Array.isArray(value) ? value : [value]).every((x) => o.choices!.some((ch) => String(ch) === String(x)))) {
    return `expected one of ${o.choices.join(', ')}`;
  }
  if (o.elements && Array.isArray(value)) {
    for (const x of value) {
      const p = problem({ type: o.elements }, x);
      if (p) return `list elements: ${p}`;
    }
  }
  const h = o.harun;
  if (!h) return undefined;
  const num = typeof value === 'number' ? value : undefined;
  const range = h.min !== undefined && h.max !== undefined ? `from ${h.min} to ${h.max}` : h.min !== undefined ? `of at least ${h.min}` : `of at most ${h.max}`;
  if (num !== undefined && ((h.min !== undefined && num < h.min) || (h.max !== undefined && num > h.max))) return `expected a value ${range}`;
  if (num !== undefined && h.above !== undefined && num <= h.above) return `expected more than ${h.above}`;
  const s = typeof value === 'string' ? value : undefined;
  if (s !== undefined && h.max_length !== undefined && s.length > h.max_length) return `expected at most ${h.max_length} characters, this one has ${s.length}`;
  if (s !== undefined && h.format === 'ipv4' && !isIPv4(s)) return 'expected an IPv4 address such as 192.168.2.100';
  if (s !== undefined && h.pattern !== undefined && !new RegExp(h.pattern).test(s)) return `expected a value matching /${h.pattern}/`;
  return undefined;
}
