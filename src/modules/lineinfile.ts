import { posix } from 'node:path';
import { z } from 'zod';
import { sh } from '../shell/sh.js';
import { bool, modeArg, str, withAliases, lazySchema } from './lib/args.js';
import { addLineTrip, convergeFile, readRemoteFile } from './lib/file.js';
import { parseMode } from './lib/mode.js';
import type { ModuleContext, ModuleResult } from './types.js';
import type { ModuleDef } from './types.js';
import { pyRegex } from '../vars/regex.js';


/** Python's match.expand / re.sub template: \1, \g<1>, \g<name>, \n, \t, \\ . */
export function pyExpand(template: string, m: RegExpExecArray): string {
  return template.replace(/\\(?:g<(\w+)>|(\d{1,2})|(.))/gs, (all, g: string | undefined, d: string | undefined, c: string | undefined) => {
    if (g !== undefined) return (/^\d+$/.test(g) ? m[Number(g)] : m.groups?.[g]) ?? '';
    if (d !== undefined) return m[Number(d)] ?? '';
    const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', a: '\x07', f: '\f', v: '\v', b: '\b' };
    return esc[c!] ?? all;
  });
}

/** Lines with their endings kept, like Python's readlines(). */
export const splitKeep = (text: string): string[] => text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
const bare = (l: string) => l.replace(/[\r\n]+$/, '');

export interface LineArgs {
  state: 'present' | 'absent';
  regexp?: string;
  search_string?: string;
  line?: string;
  insertafter?: string;
  insertbefore?: string;
  backrefs?: boolean;
  firstmatch?: boolean;
}

/**
 * Ansible's lineinfile algorithm on text (present() and absent() of lineinfile.py), without I/O.
 * content null means the file does not exist (create decides elsewhere).
 */
export function lineinfileEdit(content: string | null, a: LineArgs): { content: string; changed: boolean; msg: string; found?: number } {
  const lines = splitKeep(content ?? '');
  const line = a.line ?? '';
  const re = a.regexp !== undefined ? pyRegex(a.regexp) : undefined;
  if (a.state === 'absent') {
    const matches = (l: string) =>
      re ? re.test(bare(l)) : a.search_string !== undefined ? l.includes(a.search_string) : bare(l) === line;
    const kept = lines.filter((l) => !matches(l));
    const found = lines.length - kept.length;
    return { content: kept.join(''), changed: found > 0, msg: found ? `${found} line(s) removed` : '', found };
  }
  let insertafter = a.insertafter;
  const insertbefore = a.insertbefore;
  if (insertafter === undefined && insertbefore === undefined) insertafter = 'EOF';
  const ins =
    insertafter !== undefined && insertafter !== 'BOF' && insertafter !== 'EOF'
      ? pyRegex(insertafter)
      : insertbefore !== undefined && insertbefore !== 'BOF'
        ? pyRegex(insertbefore)
        : undefined;
  let idx0 = -1;
  let idx1 = -1;
  let match: RegExpExecArray | boolean | null = null;
  let exact = false;
  if (re) {
    for (let i = 0; i < lines.length; i++) {
      const m = re.exec(bare(lines[i]));
      if (m) {
        idx0 = i;
        match = m;
        if (a.firstmatch) break;
      }
    }
  }
  if (a.search_string !== undefined) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].includes(a.search_string)) {
        idx0 = i;
        match = true;
        if (a.firstmatch) break;
      }
    }
  }
  if (!match) {
    for (let i = 0; i < lines.length; i++) {
      if (bare(lines[i]) === line) {
        idx0 = i;
        exact = true;
      } else if (ins && ins.test(bare(lines[i]))) {
        if (insertafter !== undefined) idx1 = i + 1;
        else idx1 = i;
        if (a.firstmatch) break;
      }
    }
  }
  const added = (c: string[]) => ({ content: c.join(''), changed: true, msg: 'line added' });
  const same = { content: lines.join(''), changed: false, msg: '' };
  const nl = (l: string) => (l.endsWith('\n') || l.endsWith('\r') ? l : `${l}\n`);
  if (idx0 !== -1) {
    const newLine = nl(a.backrefs && match && typeof match === 'object' ? pyExpand(line, match) : line);
    if (!re && a.search_string === undefined && !match && !exact) {
      // only insertafter/insertbefore matched: insert unless the neighbour already is the line
      if (insertafter !== undefined && insertafter !== 'EOF') {
        if (lines.length && !/[\r\n]$/.test(lines[lines.length - 1])) lines[lines.length - 1] += '\n';
        const at = lines.length === idx1 ? idx1 - 1 : idx1;
        if (bare(lines[at]) !== line) return lines.splice(idx1, 0, `${line}\n`), added(lines);
      } else if (insertbefore !== undefined && insertbefore !== 'BOF') {
        const at = idx1 <= 0 ? idx1 : idx1 - 1;
        if (bare(lines.at(at) ?? '') !== line) return lines.splice(idx1, 0, `${line}\n`), added(lines);
      }
      return same;
    }
    if (lines[idx0] !== newLine) {
      lines[idx0] = newLine;
      return { content: lines.join(''), changed: true, msg: 'line replaced' };
    }
    return same;
  }
  if (a.backrefs) return same; // no match to fill the backrefs from: change nothing, as Ansible does
  if (insertbefore === 'BOF' || insertafter === 'BOF') return lines.unshift(`${line}\n`), added(lines);
  if (insertafter === 'EOF' || idx1 === -1) {
    if (lines.length && !/[\r\n]$/.test(lines[lines.length - 1])) lines.push('\n');
    return lines.push(`${line}\n`), added(lines);
  }
  if (insertafter !== undefined) {
    if (lines.length === idx1) {
      if (bare(lines[idx1 - 1]) !== line) return lines.push(`${line}\n`), added(lines);
      return same;
    }
    if (bare(lines[idx1]) !== line) return lines.splice(idx1, 0, `${line}\n`), added(lines);
    return same;
  }
  return lines.splice(idx1, 0, `${line}\n`), added(lines);
}

/** The file attribute arguments every file-editing module takes. */
export const fileAttrs = {
  mode: modeArg().optional(),
  owner: str().optional(),
  group: str().optional(),
  unsafe_writes: bool().optional(),
};

/**
 * Read the file (one exec), let edit compute the new text, converge (one more exec when
 * something changed). edit returns content null to leave the file alone (absent, nothing to do).
 * With addLine (edit adds that line at EOF unless present) the host edits in the reading exec.
 */
export async function writeLinesFile(
  ctx: ModuleContext,
  a: { path: string; backup?: boolean; validate?: string; mode?: string | number; owner?: string; group?: string },
  create: boolean,
  edit: (before: string | null) => { content: string | null; msg: string; [k: string]: unknown },
  addLine?: string,
): Promise<ModuleResult> {
  const want = { dest: a.path, mode: a.mode, owner: a.owner, group: a.group, backup: a.backup, validate: a.validate };
  const one = addLine === undefined ? undefined : await addLineTrip(ctx, { ...want, content: '', addLine, create });
  const cur = one?.cur ?? (await readRemoteFile(ctx, a.path));
  if (cur.exists && cur.stat?.type === 'directory') return { changed: false, failed: true, rc: 256, msg: `Path ${a.path} is a directory !` };
  if (!cur.exists && !create) {
    const e = edit(null);
    if (e.content === null) return { changed: false, msg: e.msg };
    return { changed: false, failed: true, rc: 257, msg: `Destination ${a.path} does not exist !` };
  }
  const { content, msg, ...extra } = edit(cur.exists ? cur.content : null);
  if (content === null) return { changed: false, msg, ...extra };
  if (!one && !cur.exists && !cur.parentExists && !ctx.check) await ctx.runOk(sh`mkdir -p ${posix.dirname(a.path)}`);
  // the host wrote what edit gives (add), or only attributes (same); otherwise convergeFile writes
  if (one?.decision === 'add' && content === cur.content) throw new Error(`lineinfile: the host added the line to ${a.path}, the edit found it`);
  const written = one?.decision === 'add' || (one?.decision === 'same' && content === cur.content) ? one.shot : undefined;
  const r = await convergeFile(ctx, { ...want, content, current: { ...cur, parentExists: true }, written });
  if (r.failed) return r;
  const attrs = r.changed && content === cur.content && cur.exists;
  return { ...r, ...extra, msg: attrs ? 'ownership, perms or SE linux context changed' : msg };
}

const validateArg = str().refine((v) => v.includes('%s'), 'validate must contain %s').optional();
export { validateArg };

const schema = lazySchema(() => withAliases(
  { dest: 'path', destfile: 'path', name: 'path', regex: 'regexp', value: 'line' },
  z
    .object({
      path: str(),
      state: z.enum(['present', 'absent']).default('present'),
      regexp: str().optional(),
      search_string: str().optional(),
      line: str().optional(),
      insertafter: str().optional(),
      insertbefore: str().optional(),
      backrefs: bool().default(false),
      create: bool().default(false),
      backup: bool().default(false),
      firstmatch: bool().default(false),
      validate: validateArg,
      ...fileAttrs,
    })
    .strict()
    .superRefine((a, c) => {
      const bad = (path: string, message: string) => c.addIssue({ code: 'custom', path: [path], message });
      if (a.insertafter !== undefined && a.insertbefore !== undefined) bad('insertafter', 'mutually exclusive with insertbefore');
      if (a.regexp !== undefined && a.search_string !== undefined) bad('regexp', 'mutually exclusive with search_string');
      if (a.backrefs && a.search_string !== undefined) bad('backrefs', 'mutually exclusive with search_string');
      if (a.state === 'present' && a.line === undefined) bad('line', 'line is required with state=present');
      if (a.state === 'present' && a.backrefs && a.regexp === undefined) bad('regexp', 'regexp is required with backrefs=true');
      if (a.state === 'absent' && a.line === undefined && a.regexp === undefined && a.search_string === undefined) {
        bad('line', 'one of line, search_string, or regexp is required with state=absent');
      }
      for (const k of ['regexp', 'insertafter', 'insertbefore'] as const) {
        const v = a[k];
        if (v === undefined || v === 'BOF' || v === 'EOF') continue;
        try {
          pyRegex(v);
        } catch (e) {
          bad(k, (e as Error).message);
        }
      }
    }),
));

/** lineinfile; oneExec (only when addsAtEof) lets the host add the line in the reading exec. */
export function runLineinfile(ctx: ModuleContext, args: z.infer<ReturnType<typeof schema>>, oneExec: boolean): Promise<ModuleResult> {
  return writeLinesFile(
    ctx,
    args,
    args.create,
    (before) => {
      if (before === null && args.state === 'absent') return { content: null, msg: 'file not present' };
      const r = lineinfileEdit(before, args);
      const extra = args.state === 'absent' ? { found: r.found } : {};
      return { content: r.content, msg: r.msg, ...extra };
    },
    oneExec ? args.line : undefined,
  );
}

/** Whether lineinfile only adds `line` at EOF unless present: the host can do that itself (addLineTrip). */
export function addsAtEof(a: z.infer<ReturnType<typeof schema>>): boolean {
  return (
    a.state === 'present' && a.regexp === undefined && a.search_string === undefined && !a.backrefs &&
    a.insertbefore === undefined && (a.insertafter === undefined || a.insertafter === 'EOF') &&
    a.line !== undefined && !/[\r\n\0]/.test(a.line) && (a.mode === undefined || parseMode(a.mode).kind === 'octal')
  );
}

export const lineinfile: ModuleDef<z.infer<ReturnType<typeof schema>>> = {
  name: 'lineinfile',
  get schema() {
    return schema();
  },
  checkMode: true,
  run: (ctx, args) => runLineinfile(ctx, args, addsAtEof(args)),
};
