/**
 * debconf: read a package's debconf settings, or set one question, as Ansible 2.14's module does
 * (debconf-show to read, debconf-set-selections to write). One round trip in every case: the
 * script reads, compares and (outside check mode) sets in the same exec.
 */
import { z } from 'zod';
import { asShell, joinSh, sh } from '../shell/sh.js';
import { MASK, registerSecret } from '../report/mask.js';
import { diffsOf } from './fallback/result.js';
import { bool, lazySchema, str, withAliases } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

const VTYPES = ['boolean', 'error', 'multiselect', 'note', 'password', 'seen', 'select', 'string', 'text', 'title'] as const;

/** Ansible's str type: a YAML boolean or number becomes its Python text (True, 30). */
const text = () =>
  z.preprocess((v) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'number' ? String(v) : v), z.string({ error: 'expected a string' }));

const schema = lazySchema(() => withAliases(
  { pkg: 'name', selection: 'question', setting: 'question', answer: 'value' },
  z
    .object({
      name: str(),
      question: str().optional(),
      vtype: z.enum(VTYPES, { error: `expected one of ${VTYPES.join(', ')}` }).optional(),
      value: text().optional(),
      unseen: bool().default(false),
    })
    .strict()
    .superRefine((a, c) => {
      const given = [a.question, a.vtype, a.value].filter((x) => x !== undefined).length;
      if (given > 0 && given < 3) c.addIssue({ code: 'custom', message: 'parameters are required together: question, vtype, value' });
    }),
));
type Args = z.infer<ReturnType<typeof schema>>;

/** Separates debconf-set-selections' output (Ansible's msg) from debconf-show's lines. */
const MARK = '--harun-debconf-set--';

/**
 * Reads `debconf-show`; with a question, compares its current value with the wanted one (read
 * from stdin, so that a password is on no command line) and sets it when they differ. The
 * awk mirrors parseShow below (Ansible's get_selections): the script decides, the module reports.
 * Prints `ok` or `changed`, then debconf-show's lines, then MARK and what setting printed.
 */
const SCRIPT = `command -v debconf-show >/dev/null || { printf %s "$PATH" >&2; exit 127; }
cur=$(debconf-show "$pkg") || exit 3
st=ok; m=
if [ -n "$q" ]; then
  v=$(cat; echo x); v=\${v%?x}; found=
  ex=$(printf '%s\\n' "$cur" | Q="$q" B="$b" awk '
    { i = index($0, ":"); if (!i) next
      k = substr($0, 1, i - 1); x = substr($0, i + 1)
      sub(/^[*]+/, "", k); sub(/[*]+$/, "", k)
      sub(/^[ \\t\\r\\f\\v]+/, "", k); sub(/[ \\t\\r\\f\\v]+$/, "", k)
      sub(/^[ \\t\\r\\f\\v]+/, "", x); sub(/[ \\t\\r\\f\\v]+$/, "", x)
      if (k == ENVIRON["Q"]) { found = 1; val = x } }
    END { if (!found) exit 1; printf "%s", (ENVIRON["B"] != "" ? tolower(val) : val) }')
  [ $? -eq 0 ] && found=1
  # a boolean: compared in lower case with an answer there is, else only True/False lowered
  if [ -n "$b" ]; then
    if [ -n "$found" ]; then v=$(printf %s "$v" | tr '[:upper:]' '[:lower:]'); else case $v in True) v=true;; False) v=false;; esac; fi
  fi
  if [ -z "$found" ] || [ "$ex" != "$v" ]; then
    st=changed
    if [ -z "$check" ]; then
      command -v debconf-set-selections >/dev/null || { printf %s "$PATH" >&2; exit 126; }
      m=$(printf '%s %s %s %s' "$pkg" "$q" "$vt" "$v" | debconf-set-selections $u) || exit 4
    fi
  fi
fi
printf '%s\\n%s\\n' "$st" "$cur"
if [ -n "$m" ]; then printf '%s\\n%s' ${MARK} "$m"; fi
exit 0`;

/** Ansible's get_selections: `* question: value` lines, the seen mark and whitespace stripped. */
export function parseShow(out: string): Record<string, string> {
  const sel: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    sel[line.slice(0, i).replace(/^\*+|\*+$/g, '').trim()] = line.slice(i + 1).trim();
  }
  return sel;
}

/** A mapping with its keys sorted, as Ansible's callback serialises a diff (sort_keys). */
const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));

export const debconf: ModuleDef<Args> = {
  name: 'debconf',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const setting = a.question !== undefined && a.vtype !== undefined && a.value !== undefined;
    const value = a.value ?? '';
    const secret = a.vtype === 'password';
    // a password never reaches harun's output: masked in the result and in debconf's messages
    // (which quote the line they refuse: a line of it, when it has several), and registered for
    // whatever else prints it
    if (secret) registerSecret(value);
    const parts = secret ? [value, ...value.split(/\r?\n/)].filter((p) => p.trim() !== '').sort((x, y) => y.length - x.length) : [];
    const hide = (s: string) => parts.reduce((out, p) => out.split(p).join(MASK), s);
    const vars = sh`pkg=${a.name}; q=${setting ? a.question : ''}; vt=${a.vtype ?? ''}; b=${a.vtype === 'boolean' ? '1' : ''}; u=${a.unseen ? '-u' : ''}; check=${ctx.check ? '1' : ''}
`;
    const r = await ctx.run(joinSh([vars, asShell(SCRIPT)], ''), setting ? { stdin: value + '\n' } : {});
    if (r.code === 127 || r.code === 126) {
      const tool = r.code === 127 ? 'debconf-show' : 'debconf-set-selections';
      return { changed: false, failed: true, msg: `Failed to find required executable "${tool}" in paths: ${r.stderr.trim()}` };
    }
    if (r.code !== 0) return { changed: false, failed: true, msg: hide(r.stderr || `debconf exited ${r.code}`) };

    const [status, ...rest] = r.stdout.split('\n');
    const at = rest.indexOf(MARK);
    const prev = parseShow((at < 0 ? rest : rest.slice(0, at)).join('\n'));
    const msg = at < 0 ? '' : hide(rest.slice(at + 1).join('\n'));
    if (status !== 'changed') return { changed: false, msg, current: prev };

    // Ansible's report of a change: the question's old value ('' when it had none, then with
    // every other setting of the package as well), and its new one
    const q = a.question as string;
    // 2.14 lowers a boolean only to compare it with an existing answer (a new one is stored
    // with True/False lowered, and reported as given)
    const curr = { [q]: secret ? MASK : a.vtype === 'boolean' && q in prev ? value.toLowerCase() : value };
    const previous = q in prev ? { [q]: prev[q] } : { ...prev, [q]: '' };
    const res: ModuleResult = { changed: true, msg, current: curr, previous };
    if (ctx.diff) res.diff = diffsOf({ before: sorted(previous), after: sorted({ ...previous, ...curr }) });
    return res;
  },
};
