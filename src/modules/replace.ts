import { z } from 'zod';
import { bool, str, withAliases, lazySchema } from './lib/args.js';
import { fileAttrs, pyExpand, validateArg, writeLinesFile } from './lineinfile.js';
import { pyRegex } from '../vars/regex.js';
import type { ModuleDef } from './types.js';

export interface ReplaceArgs {
  regexp: string;
  replace: string;
  after?: string;
  before?: string;
}

/** Ansible's replace: re.subn(regexp, replace) with MULTILINE, limited to the after/before section. */
export function replaceContent(content: string, a: ReplaceArgs): { content: string; count: number } {
  let start = 0;
  let end = content.length;
  if (a.after || a.before) {
    const sect =
      a.after && a.before
        ? `(?:${a.after})(?<subsection>[\\s\\S]*?)(?:${a.before})`
        : a.after
          ? `(?:${a.after})(?<subsection>[\\s\\S]*)`
          : `(?<subsection>[\\s\\S]*)(?:${a.before})`;
    const m = pyRegex(sect, 'sd').exec(content);
    if (m?.indices?.groups?.subsection) [start, end] = m.indices.groups.subsection;
  }
  const section = content.slice(start, end);
  const re = pyRegex(a.regexp, 'gm');
  let count = 0;
  const out = section.replace(re, (...args) => {
    count++;
    const hasGroups = typeof args[args.length - 1] === 'object';
    const groups = hasGroups ? args[args.length - 1] : undefined;
    const m = Object.assign(args.slice(0, hasGroups ? -3 : -2), { groups }) as unknown as RegExpExecArray;
    return pyExpand(a.replace, m);
  });
  if (out === section) count = 0;
  return { content: content.slice(0, start) + out + content.slice(end), count };
}

const schema = lazySchema(() => withAliases(
  { dest: 'path', destfile: 'path', name: 'path' },
  z
    .object({
      path: str(),
      regexp: str(),
      replace: str().default(''),
      after: str().optional(),
      before: str().optional(),
      backup: bool().default(false),
      validate: validateArg,
      encoding: z.literal('utf-8').optional(),
      ...fileAttrs,
    })
    .strict(),
));

export const replace: ModuleDef<z.infer<ReturnType<typeof schema>>> = {
  name: 'replace',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, args) {
    return writeLinesFile(ctx, args, false, (before) => {
      if (before === null) throw new Error(`Path ${args.path} does not exist !`);
      const r = replaceContent(before, args);
      return { content: r.content, msg: r.count ? `${r.count} replacements made` : '' };
    });
  },
};
