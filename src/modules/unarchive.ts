import { z } from 'zod';
import { joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, modeArg, str, strList, lazySchema } from './lib/args.js';
import { fmtMode, parseMode } from './lib/mode.js';
import { HarunError } from '../errors.js';
import { readControllerFile } from '../vault/files.js';
import type { ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => z
  .object({
    src: str(),
    dest: str(),
    remote_src: bool().default(false),
    copy: bool().optional(),
    creates: str().optional(),
    extra_opts: strList().default([]),
    exclude: strList().default([]),
    list_files: bool().default(false),
    keep_newer: bool().default(false),
    mode: modeArg().optional(),
    owner: str().optional(),
    group: str().optional(),
    decrypt: bool().default(true),
  })
  .strict());
type Args = z.infer<ReturnType<typeof schema>>;

export type Format = 'tar' | 'tar.gz' | 'tar.xz' | 'tar.bz2' | 'tar.zst' | 'zip';

/** Format from the file name, as tar flags must be explicit for busybox tar. */
export function archiveFormat(src: string): Format {
  const s = src.toLowerCase();
  if (/\.(tar\.gz|tgz)$/.test(s)) return 'tar.gz';
  if (/\.(tar\.xz|txz)$/.test(s)) return 'tar.xz';
  if (/\.(tar\.bz2|tbz2?)$/.test(s)) return 'tar.bz2';
  if (/\.(tar\.zst|tzst)$/.test(s)) return 'tar.zst';
  if (s.endsWith('.tar')) return 'tar';
  if (s.endsWith('.zip')) return 'zip';
  throw new Error(`unarchive: cannot tell the archive format of ${src} (expected .tar, .tar.gz/.tgz, .tar.xz, .tar.bz2, .tar.zst or .zip)`);
}

const TAR_FLAG: Record<string, string> = { tar: '', 'tar.gz': 'z', 'tar.xz': 'J', 'tar.bz2': 'j', 'tar.zst': '' };

/** The extraction of archive file $a into directory $x. */
export function extractSh(fmt: Format, a: Pick<Args, 'extra_opts' | 'exclude'>): Sh {
  // words that are empty lists are left out, not joined as double spaces
  const cmd = (...w: Sh[]) => joinSh(w.filter((x) => x !== ''), ' ');
  if (fmt === 'zip') return cmd(sh`unzip -q -o`, sh`${a.extra_opts}`, sh`"$a" -d "$x"`, sh`${a.exclude.length ? ['-x', ...a.exclude] : []}`);
  const zstd = fmt === 'tar.zst' ? ['--zstd'] : [];
  return cmd(sh`tar -x${raw(TAR_FLAG[fmt])}f "$a" -C "$x"`, sh`${zstd}`, sh`${a.exclude.map((e) => `--exclude=${e}`)}`, sh`${a.extra_opts}`);
}

/**
 * One exec: extract into a scratch directory, compare every entry with dest (content, link
 * targets, directories), and copy over only when something differs. Works with busybox tar and
 * without GNU tar's --compare. A controller archive arrives on stdin (no upload step).
 */
export function unarchiveScript(a: Args, check: boolean): Sh {
  const fmt = archiveFormat(a.src);
  const local = !a.remote_src && a.copy !== false;
  const mode = a.mode === undefined ? undefined : parseMode(a.mode);
  const chmod = mode ? (mode.kind === 'octal' ? fmtMode(mode.value) : mode.text) : undefined;
  const attrs = [
    a.owner ? sh`chown ${a.owner} "$d/$p"` : undefined, a.group ? sh`chgrp ${a.group} "$d/$p"` : undefined, chmod ? sh`chmod ${chmod} "$d/$p"` : undefined,
  ].filter((x): x is Sh => x !== undefined);
  const none = sh``;
  return joinSh([
    sh`d=${a.dest}; `,
    a.creates ? sh`if [ -e ${a.creates} ]; then echo skipped; exit 0; fi; ` : none,
    sh`[ -d "$d" ] || { echo "harun: destination $d is not a directory" >&2; exit 3; }; `,
    sh`w=$(mktemp -d) || exit 1; trap 'rm -rf "$w"' EXIT; x="$w/x"; mkdir "$x"; `,
    local ? sh`a="$w/archive"; cat > "$a"; ` : sh`a=${a.src}; [ -f "$a" ] || { echo "harun: source $a does not exist on the host" >&2; exit 3; }; `,
    sh`${raw(extractSh(fmt, a))} >&2 || { echo ${`harun: cannot extract ${a.src}`} >&2; exit 4; }; `,
    sh`cd "$x"; find . -mindepth 1 | while IFS= read -r p; do `,
    sh`if [ -L "$p" ]; then [ "$(readlink -- "$p")" = "$(readlink -- "$d/$p" 2>/dev/null)" ] || echo "$p"; `,
    sh`elif [ -d "$p" ]; then [ -d "$d/$p" ] || echo "$p"; `,
    sh`else cmp -s -- "$p" "$d/$p" || echo "$p"; fi; done > "$w/changed"; `,
    a.list_files ? sh`echo @@files; find . -mindepth 1 | sed 's|^\\./||'; echo @@end; ` : none,
    sh`if [ -s "$w/changed" ]; then echo changed; `,
    // -f: a file that cannot be opened for writing (a running program: "Text file busy") is
    // removed and written anew, as tar replaces it when Ansible extracts in place
    check ? none : sh`cp -af${raw(a.keep_newer ? 'u' : '')} -- "$x/." "$d/" || exit 5; `,
    sh`else echo unchanged; fi`,
    attrs.length && !check ? sh`; find . -mindepth 1 | while IFS= read -r p; do ${raw(joinSh(attrs, '; '))}; done` : none,
  ], '');
}

export const unarchive: ModuleDef<Args> = {
  name: 'unarchive',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    let script: Sh;
    try {
      script = unarchiveScript(a, ctx.check);
    } catch (e) {
      return { changed: false, failed: true, msg: (e as Error).message };
    }
    const local = !a.remote_src && a.copy !== false;
    let stdin: Buffer | undefined;
    if (local) {
      const path = ctx.findLocal('files', a.src);
      try {
        stdin = readControllerFile(path, a.decrypt).data;
      } catch (e) {
        if (e instanceof HarunError) throw e;
        return { changed: false, failed: true, msg: `Could not find or access '${a.src}' on the controller (${path}): ${(e as Error).message}` };
      }
    }
    const r = await ctx.run(script, { stdin });
    if (r.stdout.startsWith('skipped')) return { changed: false, dest: a.dest, src: a.src, msg: `skipped, since ${a.creates} exists` };
    if (r.code !== 0) return { changed: false, failed: true, rc: r.code, dest: a.dest, src: a.src, stderr: r.stderr, msg: r.stderr.trim().split('\n').slice(-3).join(' | ') || `exit ${r.code}` };
    const result: ModuleResult = { changed: /^changed$/m.test(r.stdout), dest: a.dest, src: a.src, handler: archiveFormat(a.src) === 'zip' ? 'ZipArchive' : 'TgzArchive' };
    const files = /@@files\n([\s\S]*?)@@end/.exec(r.stdout);
    if (files) result.files = files[1].split('\n').filter(Boolean);
    return result;
  },
};
