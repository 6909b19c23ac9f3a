/**
 * getent: a name service database (passwd, group, hosts, services, ...) as the fact
 * getent_<database>, a dict of key -> fields, as Ansible's module builds it. Read-only, one round trip.
 */
import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { bool, lazySchema, str } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';
import { pySplit } from '../vars/methods.js';

const schema = lazySchema(() =>
  z
    .object({
      database: str(),
      key: str().optional(),
      service: str().optional(),
      // Python's str.split('') raises "empty separator": refuse it before any host is touched
      split: str().pipe(z.string().min(1, 'empty separator')).optional(),
      fail_key: bool().default(true),
    })
    .strict(),
);

type Args = z.infer<ReturnType<typeof schema>>;

/** The databases Ansible splits on ':' when no `split` is given; the others split on whitespace. */
const COLON = ['passwd', 'shadow', 'group', 'gshadow'];

/** The line ends of Python's str.splitlines(). */
const PY_LINES = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;


/**
 * getent's output as Ansible's dict: key -> the other fields; a key seen again turns its value
 * into a list of such field lists.
 */
export function parseGetent(out: string, split: string | undefined): Record<string, unknown> {
  const db: Record<string, unknown> = {};
  const seen = new Map<string, number>();
  const lines = out.split(PY_LINES);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const rec = pySplit(line, split);
    // a blank line split on whitespace has no key (Ansible's module would fail on it)
    if (!rec.length) continue;
    const [k, ...fields] = rec;
    const n = seen.get(k) ?? 0;
    if (n === 0) db[k] = fields;
    else {
      if (n === 1) db[k] = [db[k]];
      (db[k] as unknown[]).push(fields);
    }
    seen.set(k, n + 1);
  }
  return db;
}

/** Ansible's messages for getent's exit codes (getent(1): 1 bad arguments, 2 key not found, 3 no enumeration). */
const RC_MSG: Record<number, string> = {
  1: 'Missing arguments, or database unknown.',
  2: 'One or more supplied key could not be found in the database.',
  3: 'Enumeration not supported on this database.',
};

export const getent: ModuleDef<Args> = {
  name: 'getent',
  get schema() {
    return schema();
  },
  checkMode: true,
  hostFacts: true,
  async run(ctx, a): Promise<ModuleResult> {
    const key = a.key === undefined ? '' : sh` ${a.key}`;
    const svc = a.service === undefined ? '' : sh` -s ${a.service}`;
    // 127 with PATH on stderr: no getent binary, told apart from getent's own codes
    const r = await ctx.run(sh`command -v getent >/dev/null || { printf %s "$PATH" >&2; exit 127; }; getent ${a.database}${raw(key + svc)}`);
    const name = `getent_${a.database}`;
    if (r.code === 127) return { changed: false, failed: true, msg: `Failed to find required executable "getent" in paths: ${r.stderr.trim()}` };
    if (r.code === 0) {
      const split = a.split ?? (COLON.includes(a.database) ? ':' : undefined);
      const facts = { [name]: parseGetent(r.stdout, split) };
      return { changed: false, facts, ansible_facts: facts };
    }
    if (r.code === 2 && !a.fail_key) {
      const facts = { [name]: { [a.key ?? 'null']: null } };
      return { changed: false, facts, ansible_facts: facts, msg: RC_MSG[2] };
    }
    return { changed: false, failed: true, msg: RC_MSG[r.code ?? -1] ?? 'Unexpected failure!' };
  },
};
