/**
 * copy: put a controller file (src) or inline text (content) on the host through convergeFile,
 * or copy a file that is already on the host (remote_src) in one round trip.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, lazySchema, modeArg, str } from './lib/args.js';
import { convergeFile } from './lib/file.js';
import { fmtMode, parseMode } from './lib/mode.js';
import { parseStat, statCmd } from './lib/stat.js';
import { readControllerFile } from '../vault/files.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';
import { extraAttrArgs, withExtraAttrs } from './lib/extra-attrs.js';

const schema = lazySchema(() => z
  .object({
    src: str().optional(),
    // content may be any YAML value; Ansible writes non-strings as JSON
    content: z.unknown().optional(),
    dest: str(),
    mode: modeArg({ preserve: true }).optional(),
    owner: str().optional(),
    group: str().optional(),
    backup: bool().default(false),
    validate: str().optional(),
    force: bool().default(true),
    remote_src: bool().default(false),
    follow: bool().default(false),
    local_follow: bool().default(true),
    directory_mode: modeArg().optional(),
    decrypt: bool().default(true),
    unsafe_writes: bool().default(false),
    ...extraAttrArgs(),
  })
  .strict()
  .superRefine((a, c) => {
    if (a.src === undefined && a.content === undefined) c.addIssue({ code: 'custom', path: ['src'], message: 'src (or content) is required' });
    if (a.src !== undefined && a.content !== undefined) c.addIssue({ code: 'custom', path: ['content'], message: 'src and content are mutually exclusive' });
    if (a.content !== undefined && a.dest.endsWith('/')) c.addIssue({ code: 'custom', path: ['dest'], message: 'can not use content with a dir as dest' });
  }));

export type CopyArgs = z.infer<ReturnType<typeof schema>>;

const copyNative: ModuleDef<CopyArgs> = {
  name: 'copy',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a) {
    if (a.remote_src) return remoteCopy(ctx, a);
    let content: string | Buffer;
    let mode = a.mode;
    let srcPath: string | undefined;
    if (a.content !== undefined) {
      content = typeof a.content === 'string' ? a.content : JSON.stringify(a.content);
    } else {
      srcPath = ctx.findLocal('files', a.src!);
      let st;
      try {
        st = statSync(srcPath);
      } catch {
        return { changed: false, failed: true, msg: `Could not find or access '${a.src}'` };
      }
      if (st.isDirectory()) {
        return { changed: false, failed: true, msg: `src ${a.src} is a directory: harun's copy copies single files (use a loop, or synchronize)` };
      }
      content = readControllerFile(srcPath, a.decrypt).data;
      if (mode === 'preserve') mode = fmtMode(st.mode);
    }
    if (mode === 'preserve') return { changed: false, failed: true, msg: 'mode: preserve needs src' };
    const dest = a.dest.endsWith('/') && srcPath ? a.dest + basename(srcPath) : a.dest;
    const r = await convergeFile(ctx, {
      dest,
      content,
      mode,
      owner: a.owner,
      group: a.group,
      backup: a.backup,
      validate: a.validate,
      force: a.force,
      intoDir: srcPath && !a.dest.endsWith('/') ? basename(srcPath) : undefined,
    });
    return srcPath ? { ...r, src: srcPath } : r;
  },
};

/** copy, with SELinux context and chattr attributes applied by Ansible's file module when given. */
export const copy = withExtraAttrs(copyNative, (a, r) => String(r.dest ?? a.dest));

/** remote_src: cmp decides, cp to a temp file beside dest and mv, all in one exec. */
async function remoteCopy(ctx: ModuleContext, a: CopyArgs): Promise<ModuleResult> {
  if (a.mode === 'preserve') return { changed: false, failed: true, msg: 'mode: preserve is not supported with remote_src in harun' };
  const mode = a.mode === undefined ? undefined : (p => (p.kind === 'octal' ? fmtMode(p.value) : p.text))(parseMode(a.mode));
  const attrs = [mode ? sh`chmod ${mode} "$d"` : undefined, a.owner ? sh`chown ${a.owner} "$d"` : undefined, a.group ? sh`chgrp ${a.group} "$d"` : undefined]
    .filter((x): x is Sh => x !== undefined);
  const apply = ctx.check ? 'true' : 'false';
  const script = joinSh([
    sh`s=${a.src!}; d=${a.dest}; check=${raw(apply)}; force=${a.force ? 'y' : 'n'}; `,
    sh`[ -f "$s" ] || { echo "Source $s not found" >&2; exit 2; }; `,
    sh`[ -d "$d" ] && d="$d/$(basename -- "$s")"; `,
    // only content is decided here; attributes are compared through stat before and after
    sh`before=; [ -e "$d" ] && before=$(${statCmd('d', true)}); `,
    sh`if [ ! -e "$d" ] || { [ "$force" = y ] && ! cmp -s -- "$s" "$d"; }; then echo content; `,
    sh`if ! $check; then t=$(mktemp "$(dirname -- "$d")/.harun-tmp.XXXXXX"); cp -- "$s" "$t" && mv -f -- "$t" "$d" || { rm -f -- "$t"; exit 1; }; fi; fi; `,
    attrs.length ? sh`if ! $check; then ${raw(joinSh(attrs, '; '))}; fi; ` : sh``,
    sh`echo "$before"; [ -e "$d" ] && ${statCmd('d', true)}; sha1sum < "$s" | cut -d' ' -f1`,
  ], '');
  const r = await ctx.run(script);
  if (r.code !== 0) return { changed: false, failed: true, msg: r.stderr.trim() || `copy failed (exit ${r.code})`, dest: a.dest, src: a.src };
  const lines = r.stdout.replace(/\n$/, '').split('\n');
  const contentChanged = lines[0] === 'content';
  if (contentChanged) lines.shift();
  const [before, after, checksum] = [lines[0], lines.length === 3 ? lines[1] : '', lines[lines.length - 1]];
  const st = after ? parseStat(after) : undefined;
  let changed = contentChanged || (!!st && before !== after && !!before);
  if (ctx.check && st && !contentChanged) {
    // nothing was applied: compare the wanted attributes with the current ones
    const want = mode && parseMode(mode).kind === 'octal' ? mode : undefined;
    changed = (!!want && want !== st.mode) || (!!a.owner && a.owner !== st.owner && a.owner !== String(st.uid)) || (!!a.group && a.group !== st.group && a.group !== String(st.gid));
  }
  return { changed, dest: a.dest, src: a.src, checksum, state: 'file', ...(st ? { mode: st.mode, uid: st.uid, gid: st.gid, owner: st.owner, group: st.group, size: st.size } : {}) };
}
