/** set_fact: set host variables at set_fact precedence; every argument is a variable. */
import { z } from 'zod';
import { bool, lazySchema } from './lib/args.js';
import type { ModuleDef } from './types.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const schema = lazySchema(() => z
  .record(z.string(), z.unknown())
  .superRefine((a, c) => {
    const names = Object.keys(a).filter((k) => k !== 'cacheable');
    if (!names.length) c.addIssue({ code: 'custom', path: [], message: 'No key/value pairs provided, at least one is required for this action to succeed' });
    for (const k of names) {
      if (!NAME.test(k)) c.addIssue({ code: 'custom', path: [k], message: `The variable name '${k}' is not valid. Variables must start with a letter or underscore character, and contain only letters, numbers and underscores.` });
    }
  })
  .transform((a) => {
    const { cacheable, ...facts } = a;
    return { cacheable: bool().parse(cacheable ?? false), facts };
  }));

export type SetFactArgs = z.infer<ReturnType<typeof schema>>;

export const setFact: ModuleDef<SetFactArgs> = {
  name: 'set_fact',
  get schema() {
    return schema();
  },
  checkMode: true,
  controller: true,
  async run(_ctx, a) {
    // cacheable only matters to a fact cache, which harun does not keep between runs
    return { changed: false, facts: a.facts, ansible_facts: a.facts, _ansible_facts_cacheable: a.cacheable };
  },
};
