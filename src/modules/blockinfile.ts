import { z } from 'zod';
import { bool, str, withAliases, lazySchema } from './lib/args.js';
import { fileAttrs, splitKeep, validateArg, writeLinesFile } from './lineinfile.js';
import { pyRegex } from '../vars/regex.js';
import type { ModuleDef } from './types.js';

export interface BlockArgs {
  state: 'present' | 'absent';
  marker: string;
  marker_begin: string;
  marker_end: string;
  block: string;
  insertafter?: string;
  insertbefore?: string;
  append_newline?: boolean;
  prepend_newline?: boolean;
}

/** Ansible's blockinfile algorithm (blockinfile.py main()) on text, without I/O. */
export function blockinfileEdit(original: string | null, a: BlockArgs): { content: string; changed: boolean; msg: string } {
  const lines = splitKeep(original ?? '');
  const present = a.state === 'present';
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertafter === undefined && insertbefore === undefined) insertafter = 'EOF';
  const src = insertafter !== undefined && insertafter !== 'EOF' ? insertafter : insertbefore !== undefined && insertbefore !== 'BOF' ? insertbefore : undefined;
  const insertre = src === undefined ? undefined : pyRegex(src);
  const marker0 = a.marker.replace(/\{mark\}/g, a.marker_begin) + '\n';
  const marker1 = a.marker.replace(/\{mark\}/g, a.marker_end) + '\n';
  let blocklines: string[] = [];
  if (present && a.block) {
    const block = a.block.endsWith('\n') ? a.block : `${a.block}\n`;
    blocklines = [marker0, ...splitKeep(block), marker1];
  }
  let n0: number | undefined;
  let n1: number | undefined;
  lines.forEach((l, i) => {
    if (l === marker0) n0 = i;
    if (l === marker1) n1 = i;
  });
  if (n0 === undefined || n1 === undefined) {
    n0 = undefined;
    if (insertre) {
      if (insertre.multiline) {
        const m = new RegExp(insertre.source, insertre.flags).exec(original ?? '');
        if (m) {
          const upto = insertafter !== undefined ? m.index + m[0].length : m.index;
          n0 = ((original ?? '').slice(0, upto).match(/\n/g) ?? []).length;
        }
      } else lines.forEach((l, i) => insertre.test(l.replace(/\n$/, '')) && (n0 = i));
      if (n0 === undefined) n0 = lines.length;
      else if (insertafter !== undefined) n0 += 1;
    } else if (insertbefore !== undefined) n0 = 0;
    else n0 = lines.length;
  } else if (n0 < n1) lines.splice(n0, n1 - n0 + 1);
  else {
    lines.splice(n1, n0 - n1 + 1);
    n0 = n1;
  }
  if (n0 > 0 && !lines[n0 - 1].endsWith('\n')) lines[n0 - 1] += '\n';
  if (a.prepend_newline && present && n0 !== 0 && lines[n0 - 1] !== '\n') lines.splice(n0++, 0, '\n');
  lines.splice(n0, 0, ...blocklines);
  const after = n0 + blocklines.length;
  if (a.append_newline && present && after < lines.length && lines[after] !== '\n') lines.splice(after, 0, '\n');
  const result = lines.join('');
  if (original === result) return { content: result, changed: false, msg: '' };
  if (original === null) return { content: result, changed: true, msg: 'File created' };
  return { content: result, changed: true, msg: blocklines.length ? 'Block inserted' : 'Block removed' };
}

const schema = lazySchema(() => withAliases(
  { dest: 'path', destfile: 'path', name: 'path', content: 'block' },
  z
    .object({
      path: str(),
      state: z.enum(['present', 'absent']).default('present'),
      marker: str().default('# {mark} ANSIBLE MANAGED BLOCK'),
      block: str().default(''),
      insertafter: str().optional(),
      insertbefore: str().optional(),
      create: bool().default(false),
      backup: bool().default(false),
      validate: validateArg,
      marker_begin: str().default('BEGIN'),
      marker_end: str().default('END'),
      append_newline: bool().default(false),
      prepend_newline: bool().default(false),
      ...fileAttrs,
    })
    .strict()
    .refine((a) => a.insertafter === undefined || a.insertbefore === undefined, {
      path: ['insertafter'],
      message: 'mutually exclusive with insertbefore',
    }),
));

export const blockinfile: ModuleDef<z.infer<ReturnType<typeof schema>>> = {
  name: 'blockinfile',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, args) {
    return writeLinesFile(ctx, args, args.create, (before) => {
      if (before === null && args.state === 'absent') return { content: null, msg: `File ${args.path} not present` };
      const r = blockinfileEdit(before, args);
      return { content: r.content, msg: r.msg };
    });
  },
};
