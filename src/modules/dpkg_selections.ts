/**
 * dpkg_selections: a package's dpkg selection (install, hold, deinstall, purge), as Ansible 2.14's
 * module sets it: `dpkg --get-selections NAME`, then `dpkg --set-selections` when it differs.
 * One round trip: the script reads, compares and (outside check mode) sets in the same exec.
 */
import { z } from 'zod';
import { asShell, joinSh, sh } from '../shell/sh.js';
import { lazySchema, str } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

const SELECTIONS = ['install', 'hold', 'deinstall', 'purge'] as const;

const schema = lazySchema(() =>
  z
    .object({
      name: str(),
      selection: z.enum(SELECTIONS, { error: `expected one of ${SELECTIONS.join(', ')}` }),
    })
    .strict(),
);
type Args = z.infer<ReturnType<typeof schema>>;

/**
 * Prints the current selection: the second word of dpkg's output (the first package's, when NAME
 * is a pattern that matches several), or `not present` when dpkg prints nothing (an unknown
 * package: dpkg only warns on stderr). Like Ansible, an unknown package is still given to
 * --set-selections, which warns and leaves it out.
 */
const SCRIPT = `command -v dpkg >/dev/null || { printf %s "$PATH" >&2; exit 127; }
out=$(dpkg --get-selections "$n") || exit 3
set -f; set -- $out; cur=\${2:-not present}
printf '%s\\n' "$cur"
if [ "$cur" != "$s" ] && [ -z "$check" ]; then printf '%s %s' "$n" "$s" | dpkg --set-selections || exit 4; fi
exit 0`;

export const dpkg_selections: ModuleDef<Args> = {
  name: 'dpkg_selections',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const vars = sh`n=${a.name}; s=${a.selection}; check=${ctx.check ? '1' : ''}
`;
    const r = await ctx.run(joinSh([vars, asShell(SCRIPT)], ''));
    if (r.code === 127) return { changed: false, failed: true, msg: `Failed to find required executable "dpkg" in paths: ${r.stderr.trim()}` };
    if (r.code !== 0) {
      // Ansible's run_command(check_rc=True): dpkg's stderr is the message
      const cmd = r.code === 4 ? 'dpkg --set-selections' : `dpkg --get-selections ${a.name}`;
      return { changed: false, failed: true, msg: r.stderr.trimEnd() || `${cmd} exited ${r.code}`, cmd, stderr: r.stderr };
    }
    const before = r.stdout.split('\n')[0];
    // Ansible returns no diff for this module (2.14): before/after are the result keys
    return { changed: before !== a.selection, before, after: a.selection };
  },
};
