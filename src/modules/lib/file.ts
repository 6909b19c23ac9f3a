/**
 * Converge one remote file to a wanted content and attributes in at most two round trips:
 * one probe (stat, sha1 and, for --diff, the content), then one write that streams the new
 * content to a temp file beside dest, validates it, sets attributes, keeps a backup and renames
 * it over dest. template, lineinfile, blockinfile and sysctl all end here.
 * Links at dest are followed: the file they point to is written (Ansible's follow: yes).
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { raw, sh } from '../../shell/sh.js';
import type { ModuleContext, ModuleResult } from '../types.js';
import { unifiedDiff } from './diff.js';
import { fmtMode, parseMode, resolveMode, type ParsedMode } from './mode.js';
import { parseStat, sameId, statCmd, type StatInfo } from './stat.js';

/** Ansible's limit for showing a file in --diff (max_diff_size). */
export const MAX_DIFF = 104448;

export interface RemoteFile {
  exists: boolean;
  /** The file's text ('' when absent, not a regular file, or not read). */
  content: string;
  /** Whether content holds the whole file. */
  read: boolean;
  mode?: string;
  owner?: string;
  group?: string;
  checksum?: string;
  stat?: StatInfo;
  /** Whether the directory that would hold the file exists. */
  parentExists: boolean;
  /** Set when the probed path was a directory and intoDir was used inside it. */
  into?: boolean;
}

export interface WantFile {
  dest: string;
  content: string | Buffer;
  mode?: string | number;
  owner?: string;
  group?: string;
  backup?: boolean;
  /** A command with %s standing for the new file, run before it replaces dest. */
  validate?: string;
  /** Default true; false fails when dest does not exist (lineinfile's create: no). */
  create?: boolean;
  /** The state from an earlier readRemoteFile, to save the probe round trip. */
  current?: RemoteFile;
  /** Default true; false leaves an existing file's content alone (copy's force: no). */
  force?: boolean;
  /** When dest turns out to be a directory, write dest/intoDir instead (copy src into a dir). */
  intoDir?: string;
}

export const sha1 = (data: string | Buffer) => createHash('sha1').update(data).digest('hex');

/** The probe: `present` + stat + sha1 (+ content up to maxContent bytes) or `absent` + parent. */
function probeCmd(path: string, maxContent: number, intoDir?: string): string {
  const limit = Number.isFinite(maxContent) ? String(maxContent) : '';
  const into = intoDir ? sh`if [ -d "$p" ]; then dir=$p; p=$p/${intoDir}; echo into; fi; ` : '';
  return (
    sh`p=${path}; dir=${posix.dirname(path)}; lim=${limit}; ` +
    into +
    raw(
      'if [ -e "$p" ]; then s=$(' + statCmd('p', true).text + ') || exit 3; echo present; echo "$s"; ' +
        'if [ -f "$p" ]; then sha1sum < "$p" | cut -d" " -f1 || exit 3; set -- $s; ' +
        'if [ -z "$lim" ] || [ "$4" -le "$lim" ]; then echo read; cat -- "$p" || exit 3; else echo skip; fi; ' +
        'else echo -; echo skip; fi; ' +
        'else echo absent; if [ -d "$dir" ]; then echo dir; else echo nodir; fi; fi',
    ).text
  );
}

function parseProbe(buf: Buffer): RemoteFile {
  const nl = (from: number) => {
    const i = buf.indexOf(10, from);
    return i < 0 ? buf.length : i;
  };
  let at = 0;
  const next = () => {
    const end = nl(at);
    const line = buf.subarray(at, end).toString('utf8');
    at = end + 1;
    return line;
  };
  let state = next();
  const into = state === 'into';
  if (into) state = next();
  return { ...parseState(state, next, () => buf.subarray(at).toString('utf8')), ...(into ? { into } : {}) };
}

function parseState(state: string, next: () => string, rest: () => string): RemoteFile {
  if (state === 'absent') return { exists: false, content: '', read: true, parentExists: next() === 'dir' };
  if (state !== 'present') throw new Error(`unexpected probe output: ${state.slice(0, 200)}`);
  const st = parseStat(next());
  const sum = next();
  const read = next() === 'read';
  return {
    exists: true,
    content: read ? rest() : '',
    read,
    mode: st.mode,
    owner: st.owner,
    group: st.group,
    checksum: sum === '-' ? undefined : sum,
    stat: st,
    parentExists: true,
  };
}

async function probe(ctx: ModuleContext, path: string, maxContent: number, intoDir?: string): Promise<RemoteFile> {
  const r = await ctx.run(probeCmd(path, maxContent, intoDir));
  if (r.code !== 0) throw new Error(`cannot read ${path}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return parseProbe(r.stdoutBuf ?? Buffer.from(r.stdout));
}

/** A remote file's content and attributes, in one exec (links followed). */
export function readRemoteFile(ctx: ModuleContext, path: string): Promise<RemoteFile> {
  return probe(ctx, path, Infinity);
}

/** What must change: content, and which attributes (as chmod/chown/chgrp arguments). */
function plan(cur: RemoteFile, want: WantFile, mode: ParsedMode | undefined, newSum: string) {
  const contentChanged = !cur.exists || (want.force !== false && cur.checksum !== newSum);
  let chmod: string | undefined;
  if (mode) {
    const target = cur.exists ? fmtMode(resolveMode(mode, cur.stat!.perm, false)) : undefined;
    if (!cur.exists) chmod = mode.kind === 'octal' ? fmtMode(mode.value) : mode.text;
    else if (target !== cur.mode) chmod = target;
  }
  const chown = want.owner !== undefined && (!cur.exists || !sameId(want.owner, cur.stat!.owner, cur.stat!.uid)) ? want.owner : undefined;
  const chgrp = want.group !== undefined && (!cur.exists || !sameId(want.group, cur.stat!.group, cur.stat!.gid)) ? want.group : undefined;
  return { contentChanged, chmod, chown, chgrp };
}

export async function convergeFile(ctx: ModuleContext, want: WantFile): Promise<ModuleResult> {
  const cur = want.current ?? (await probe(ctx, want.dest, ctx.diff ? MAX_DIFF : 0, want.intoDir));
  const dest = cur.into ? posix.join(want.dest, want.intoDir!) : want.dest;
  const mode = want.mode === undefined ? undefined : parseMode(want.mode);
  const content = want.content;
  const newSum = sha1(content);
  if (cur.exists && cur.stat!.type === 'directory') return { changed: false, failed: true, msg: `${dest} is a directory`, dest };
  if (!cur.exists && want.create === false) return { changed: false, failed: true, rc: 257, msg: `Destination ${dest} does not exist !`, dest };
  // in check mode an earlier task that would have made the directory did not: report the change
  if (!cur.exists && !cur.parentExists && !ctx.check) return { changed: false, failed: true, msg: `Destination directory ${posix.dirname(dest)} does not exist`, dest };

  const p = plan(cur, want, mode, newSum);
  const size = Buffer.byteLength(content);
  const result: ModuleResult = { changed: false, dest, checksum: newSum, size, state: 'file' };
  if (!p.contentChanged && !p.chmod && !p.chown && !p.chgrp) return withStat(result, cur.stat);
  result.changed = true;

  const text = typeof content === 'string' ? content : content.includes(0) ? undefined : content.toString('utf8');
  if (ctx.diff && p.contentChanged && text !== undefined && cur.read && !cur.content.includes('\0')) {
    result.diff = [{ path: dest, before: cur.content, after: text }];
  }
  if (ctx.check) return withStat({ ...result, mode: p.chmod ?? cur.mode, owner: want.owner ?? cur.owner, group: want.group ?? cur.group }, undefined);

  const attrs = (v: string) =>
    [
      p.chmod ? sh`chmod ${p.chmod} "$${raw(v)}"` : '',
      p.chown ? sh`chown ${p.chown} "$${raw(v)}"` : '',
      p.chgrp ? sh`chgrp ${p.chgrp} "$${raw(v)}"` : '',
    ].filter(Boolean).map((c) => c + '; ').join('');
  let script: string;
  if (!p.contentChanged) {
    script = sh`set -e; d=${dest}; ` + attrs('d') + statCmd('d', true).text;
  } else {
    // keep an existing file's mode and ownership; a new file gets the umask's default mode
    const keep = cur.exists
      ? sh`chmod ${fmtMode(cur.stat!.perm)} "$t"; chown ${`${cur.stat!.uid}:${cur.stat!.gid}`} "$t" 2>/dev/null || true; `
      : `chmod "$(printf '%o' $(( 0666 & ~$(umask) )))" "$t"; `;
    const validate = want.validate
      ? `{ ${want.validate.replace(/%s/g, '"$t"')} ; } 1>&2 || { echo harun-validate-failed; exit 65; }; `
      : '';
    const backup = want.backup && cur.exists ? `b="$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$d" "$b"; echo "backup=$b"; ` : '';
    script =
      sh`set -e; d=${dest}; t=$(mktemp ${posix.dirname(dest)}/.harun-tmp.XXXXXX); ` +
      `trap 'rm -f -- "$t"' EXIT; cat > "$t"; ` +
      validate + keep + attrs('t') + backup +
      `d=$(readlink -f -- "$d" 2>/dev/null || echo "$d"); mv -f -- "$t" "$d"; trap - EXIT; ` +
      statCmd('d', true).text;
  }
  const r = await ctx.run(script, { stdin: p.contentChanged ? content : undefined });
  if (r.code === 65 && r.stdout.includes('harun-validate-failed')) {
    return { changed: false, failed: true, msg: 'failed to validate', dest, stdout: r.stdout, stderr: r.stderr, diff: result.diff };
  }
  if (r.code !== 0) {
    return { changed: false, failed: true, msg: `cannot write ${dest}: ${r.stderr.trim() || `exit ${r.code}`}`, dest, rc: r.code, stderr: r.stderr };
  }
  const lines = r.stdout.trim().split('\n');
  const backupLine = lines.find((l) => l.startsWith('backup='));
  if (backupLine) result.backup_file = backupLine.slice('backup='.length);
  return withStat(result, parseStat(lines[lines.length - 1]));
}

function withStat(r: ModuleResult, st: StatInfo | undefined): ModuleResult {
  if (!st) return r;
  return { ...r, mode: st.mode, uid: st.uid, gid: st.gid, owner: st.owner, group: st.group };
}

/** A unified diff of every file in a result (for reporters). */
export function resultDiffText(r: ModuleResult): string {
  return (r.diff ?? []).map((d) => unifiedDiff(d.path, d.before, d.after, 3, { before: d.beforeHeader, after: d.afterHeader })).join('');
}
