/**
 * validate_argument_spec: holds variables to an argument spec, as a role's meta/argument_specs.yml
 * does at load time (config/argspec.ts), but at run time from a task. Runs on the controller.
 * The values are the task's variables named by the spec, with provided_arguments over them.
 */
import { z } from 'zod';
import { argProblem, type ArgOption } from '../config/argspec.js';
import { lazySchema } from './lib/args.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z
  .object({
    argument_spec: z.record(z.string(), z.looseObject({}), { error: 'expected a mapping of option names to their specs' }),
    provided_arguments: z.record(z.string(), z.unknown(), { error: 'expected a mapping' }).optional(),
    validate_args_context: z.record(z.string(), z.unknown(), { error: 'expected a mapping' }).optional(),
  })
  .strict());
type Args = z.infer<ReturnType<typeof schema>>;

type Spec = Record<string, ArgOption & { options?: Spec; aliases?: string[] }>;

/** Python's name of a value's type, as Ansible's messages show it. */
function pyType(v: unknown): string {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (Array.isArray(v)) return 'list';
  return v === null ? 'NoneType' : 'dict';
}

const AS: Record<string, string> = { int: 'an int', float: 'a float', list: 'a list', dict: 'a dict', str: 'a str', path: 'a str' };
const BOOLS = "0, 1, '0', 'off', 'no', 't', 'n', 'y', 'on', 'false', 'yes', '1', 'f', 'true'";

/** Why value v cannot be had as type `type`, in Ansible's words. */
function conversion(type: string, v: unknown): string {
  const t = `<class '${pyType(v)}'>`;
  if (type === 'bool') return `The value '${String(v)}' is not a valid boolean.  Valid booleans include: ${BOOLS}`;
  return `${t} cannot be converted to ${AS[type] ?? type}`;
}

type Unsupported = { names: string[]; supported: Map<string, string[]> };

/**
 * Ansible's messages (ArgumentSpecValidator's, in its order) for what `values` lacks or gets wrong
 * against `spec`: missing required options, then types, then choices, then suboptions, then the
 * parameters no spec names. `path` leads to the option being checked.
 */
export function specErrors(spec: Spec, values: Record<string, unknown>, path: string[] = [], unsupported: Unsupported = { names: [], supported: new Map() }): string[] {
  const errors: string[] = [];
  const found = path.length ? ` found in ${path.join(' -> ')}` : '';
  const given = (name: string, o: Spec[string]) => [name, ...(o.aliases ?? [])].find((n) => values[n] !== undefined && values[n] !== null);
  const missing = Object.entries(spec).filter(([name, o]) => o.required && given(name, o) === undefined).map(([name]) => name);
  if (missing.length) errors.push(`missing required arguments: ${missing.sort().join(', ')}${found}`);
  const set = Object.entries(spec).flatMap(([name, o]) => {
    const key = given(name, o);
    return key === undefined ? [] : [{ name, o, v: values[key], problem: argProblem(o, values[key]) }];
  });
  const choice = (p?: string) => p?.startsWith('expected one of');
  for (const { name, o, v, problem } of set.filter((x) => x.problem && !choice(x.problem))) {
    const bad = problem!.startsWith('list elements') && Array.isArray(v) ? v.find((x) => argProblem({ type: o.elements }, x)) : undefined;
    if (bad !== undefined) {
      errors.push(`Elements value for option '${name}'${found ? `${found}.` : ''} is of type <class '${pyType(bad)}'> and we were unable to convert to ${o.elements}: ${conversion(o.elements!, bad)}`);
    } else {
      errors.push(`argument '${name}' is of type <class '${pyType(v)}'>${found ? `${found}.` : ''} and we were unable to convert to ${o.type}: ${conversion(o.type ?? 'raw', v)}`);
    }
  }
  for (const { name, o, v } of set.filter((x) => choice(x.problem))) {
    errors.push(`value of ${name} must be one of: ${o.choices!.join(', ')}, got: ${Array.isArray(v) ? v.join(', ') : String(v)}${found}`);
  }
  const known = new Set(Object.entries(spec).flatMap(([name, o]) => [name, ...(o.aliases ?? [])]));
  for (const k of Object.keys(values).filter((k) => !known.has(k))) {
    const name = [...path, k].join('.');
    unsupported.names.push(name);
    unsupported.supported.set(name, [...known].sort());
  }
  for (const { name, o, v, problem } of set) {
    if (!problem && o.options && v && typeof v === 'object' && !Array.isArray(v)) {
      errors.push(...specErrors(o.options, v as Record<string, unknown>, [...path, name], unsupported));
    }
  }
  if (!path.length && unsupported.names.length) {
    // Ansible names the supported parameters of one of them (the last of a Python set): here the last by name
    const names = unsupported.names.sort();
    errors.push(`${names.join(', ')}. Supported parameters include: ${unsupported.supported.get(names[names.length - 1])!.join(', ')}.`);
  }
  return errors;
}

export const validateArgumentSpec: ModuleDef<Args> = {
  name: 'validate_argument_spec',
  get schema() {
    return schema();
  },
  checkMode: true,
  controller: true,
  async run(ctx, a) {
    const spec = a.argument_spec as Spec;
    // the variables the spec names, rendered as the task sees them, under provided_arguments
    const values: Record<string, unknown> = {};
    for (const name of Object.keys(spec)) if (name in ctx.vars) values[name] = ctx.evaluate(name);
    Object.assign(values, a.provided_arguments ?? {});
    const errors = specErrors(spec, values);
    const context = a.validate_args_context ?? {};
    if (errors.length) {
      const msg = `Validation of arguments failed:\n${errors.join('\n')}`;
      return { changed: false, failed: true, msg, argument_errors: errors, argument_spec_data: spec, validate_args_context: context };
    }
    return { changed: false, msg: 'The arg spec validation passed', validate_args_context: context };
  },
};
