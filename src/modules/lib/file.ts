/**
 * Converge one remote file to a wanted content and attributes. Up to ONE_TRIP_MAX bytes this is
 * one round trip: a script gets the content on stdin, reports the current state (stat, sha1 and,
 * for --diff, the content), and only when something differs streams the content to a temp file
 * beside dest, validates it, sets attributes, keeps a backup and renames it over dest. Larger
 * files (and symbolic modes, which are resolved here) are probed first, then written: an
 * unchanged big file is never uploaded. template, lineinfile, blockinfile and sysctl all end here.
 * Links at dest are followed: the file they point to is written (Ansible's follow: yes).
 */
import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { asShell, joinSh, raw, sh, type Sh } from '../../shell/sh.js';
import type { ExecResult } from '../../transport/types.js';
import type { ModuleContext, ModuleResult } from '../types.js';
import { fileDiffText } from './diff.js';
import { fmtMode, NOT_BY_UMASK, parseMode, resolveMode, type ParsedMode } from './mode.js';
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
  /**
   * lineinfile's common case, done on the host (see addLineTrip): add this line at the end
   * unless the file has it already. content is then unused.
   */
  addLine?: string;
  /** With current: what the exec that probed printed after writing (addLineTrip's shot). */
  written?: ExecResult;
}

export const sha1 = (data: string | Buffer) => createHash('sha1').update(data).digest('hex');

/**
 * The probe: `present` + stat + sha1 (+ content up to maxContent bytes) or `absent` + parent.
 * The sha1 is `=` when the whole file is read and the host does not need $sum itself (hostSum):
 * the controller hashes what it read, and no sha1sum runs. With `against` (hostSum only) the host
 * needs to know no more than whether the file holds that content: a file of another size does
 * not (the sha1 is `-`, no sha1sum runs), and small text (on stdin, read into $W) is compared by
 * the shell's own read loop (the sha1 is then against.sum or `-`). On stdin, not in the script:
 * a command's text is in the process list of the host, and the content may be a secret.
 */
function probeCmd(path: string, o: { maxContent: number; intoDir?: string; hostSum?: boolean; against?: Against; addLine?: string }): Sh {
  const { against } = o;
  const limit = Number.isFinite(o.maxContent) ? String(o.maxContent) : '';
  const sum = 'sum=$(sha1sum < "$p") || exit 3; sum=${sum%% *}; echo "$sum"; ';
  const read =
    o.addLine === undefined
      ? 'echo read; cat -- "$p" || exit 3; '
      : `echo read; if [ "$4" -le ${BUILTIN_TEXT_MAX} ]; then ${ADD_LINE_SCAN}fi; if [ -n "$z" ]; then printf '%s' "$r"; else cat -- "$p" || exit 3; fi; `;
  const small = '[ -z "$lim" ] || [ "$4" -le "$lim" ]';
  const compare = !against
    ? sum
    : !against.text
      ? `if [ "$4" -eq ${against.size} ]; then ${sum}else sum=-; echo -; fi; `
      : `sum=-; if [ "$4" -eq ${against.size} ]; then [ -r "$p" ] || exit 3; ${readInto('r', ' < "$p"')}[ "$r" != "$W" ] || sum=${against.sum}; fi; echo $sum; `;
  return joinSh([
    sh`p=${path}; dir=${posix.dirname(path)}; lim=${limit}; `,
    against?.text ? asShell(readInto('W')) : sh``,
    o.addLine !== undefined ? sh`L=${o.addLine}; export L; CR=${'\r'}; w=; z=; ` : sh``,
    o.intoDir ? sh`if [ -d "$p" ]; then dir=$p; p=$p/${o.intoDir}; echo into; fi; ` : sh``,
    sh`if [ -e "$p" ]; then s=$(${statCmd('p', true)}) || exit 3; echo present; echo "$s"; `,
    asShell(
      'if [ -f "$p" ]; then set -- $s; ' +
        (o.hostSum
          ? `${compare}if ${small}; then ${read}else echo skip; fi; `
          : `if ${small}; then sum==; echo =; ${read}else ${sum}echo skip; fi; `) +
        'else sum=-; echo -; echo skip; fi; ' +
        'else echo absent; if [ -d "$dir" ]; then echo dir; else echo nodir; fi; fi',
    ),
  ], '');
}

/** The content the one-trip script compares a file with; text: small text the shell's builtins handle. */
interface Against {
  size: number;
  sum: string;
  text: boolean;
}

/**
 * All of stdin (or of the redirect `from`) in shell variable v, by the shell's read loop (no
 * process; dash reads a byte per system call, hence only for small text). A NUL byte, which the
 * shell cannot hold, leaves $v shorter than its source: never equal to content of the source's size.
 */
const readInto = (v: string, from = '') => `${v}=; while IFS= read -r l; do ${v}="$${v}$l\n"; done${from}; ${v}="$${v}$l"; `;

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
  return { ...parseState(state, next, () => buf.subarray(at)), ...(into ? { into } : {}) };
}

function parseState(state: string, next: () => string, rest: () => Buffer): RemoteFile {
  if (state === 'absent') return { exists: false, content: '', read: true, parentExists: next() === 'dir' };
  if (state !== 'present') throw new Error(`unexpected probe output: ${state.slice(0, 200)}`);
  const st = parseStat(next());
  const sum = next();
  const read = next() === 'read';
  const body = read ? rest() : undefined;
  return {
    exists: true,
    content: body ? body.toString('utf8') : '',
    read,
    mode: st.mode,
    owner: st.owner,
    group: st.group,
    checksum: sum === '-' ? undefined : sum === '=' ? sha1(body!) : sum,
    stat: st,
    parentExists: true,
  };
}

async function probe(ctx: ModuleContext, path: string, maxContent: number, intoDir?: string): Promise<RemoteFile> {
  const r = await ctx.run(probeCmd(path, { maxContent, intoDir }));
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

/** Up to this size convergeFile sends the content with its probe; larger files are probed first. */
export const ONE_TRIP_MAX = 64 * 1024;

export async function convergeFile(ctx: ModuleContext, want: WantFile): Promise<ModuleResult> {
  const mode = want.mode === undefined ? undefined : parseMode(want.mode);
  const content = want.content;
  const newSum = sha1(content);
  // one round trip: the script gets the content on stdin, probes, decides and writes in one go
  let shot = want.current ? want.written : undefined;
  let cur = want.current;
  if (!cur && Buffer.byteLength(content) <= ONE_TRIP_MAX && mode?.kind !== 'symbolic') ({ cur, shot } = await oneTrip(ctx, want, mode, newSum));
  cur ??= await probe(ctx, want.dest, ctx.diff ? MAX_DIFF : 0, want.intoDir);
  const dest = cur.into ? posix.join(want.dest, want.intoDir!) : want.dest;
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

  const r = shot ?? (await ctx.run(writeCmd(dest, cur, want, p), { stdin: p.contentChanged ? content : undefined }));
  if (r.code === 65 && r.stdout.includes('harun-validate-failed')) {
    return { changed: false, failed: true, msg: 'failed to validate', dest, stdout: r.stdout, stderr: r.stderr, diff: result.diff };
  }
  const lines = r.stdout.trim().split('\n');
  if (r.code !== 0 || !lines[lines.length - 1]) {
    return { changed: false, failed: true, msg: `cannot write ${dest}: ${r.stderr.trim() || `exit ${r.code}`}`, dest, rc: r.code, stderr: r.stderr };
  }
  const backupLine = lines.find((l) => l.startsWith('backup='));
  if (backupLine) result.backup_file = backupLine.slice('backup='.length);
  return withStat(result, parseStat(lines[lines.length - 1]));
}

/** Run oneTripCmd: the probed state, then what the script printed after it. */
async function oneTrip(ctx: ModuleContext, want: WantFile, mode: ParsedMode | undefined, newSum: string) {
  const marker = `harun-${randomBytes(6).toString('hex')}`;
  const r = await ctx.run(oneTripCmd(ctx, want, mode, newSum, marker), { stdin: want.addLine === undefined ? want.content : undefined });
  const buf = r.stdoutBuf ?? Buffer.from(r.stdout);
  const m = buf.lastIndexOf(`\n${marker}\n`);
  if (r.code === 3 || m < 0) throw new Error(`cannot read ${want.dest}: ${r.stderr.trim() || `exit ${r.code}`}`);
  return { cur: parseProbe(buf.subarray(0, m)), shot: { ...r, stdout: buf.subarray(m + marker.length + 2).toString('utf8') } };
}

/**
 * lineinfile with only `line` (added at EOF) in one exec: the script prints the whole file (the
 * caller computes its edit from it, as when it reads first), then decides on the host as
 * lineinfileEdit does. The last line that reads `line` once trailing CRs are dropped decides:
 * none, `add` (the line is appended, after a newline if the file lacks a final one, or the file
 * is created with its parent directories); that line exactly, with its newline, `same` (only the
 * attributes may change); anything else (a CR, no final newline) `defer`: nothing is written,
 * the caller writes with a second exec. line must hold no CR, LF or NUL, mode must be octal.
 * Then convergeFile({ current: cur, written: shot }) finishes when decision is add or same.
 */
export async function addLineTrip(ctx: ModuleContext, want: WantFile & { addLine: string }) {
  const { cur, shot } = await oneTrip(ctx, want, want.mode === undefined ? undefined : parseMode(want.mode), '');
  const nl = shot.stdout.indexOf('\n');
  return { cur, decision: nl < 0 ? '' : shot.stdout.slice(0, nl), shot: { ...shot, stdout: shot.stdout.slice(nl + 1) } };
}

/**
 * ADD_LINE_AWK's decision by the shell's read loop, for a small file $p of size $4 (L the line, CR
 * a carriage return): $w the decision, $r the file's content, $z set when $r holds the file as it
 * is. The loop knows whether the last line ended in LF ($u empty) or at the end of the file ($u =
 * y), so the bytes it read must come to S (or S + 1 with $u) exactly; any other count (a NUL byte,
 * which the shell drops, or a shell that counts characters, not bytes) leaves $w and $z empty:
 * cat and awk then run as for a large file.
 */
const ADD_LINE_SCAN =
  'r=; k=0; b=0; n=0; x=; u=; ' +
  'while IFS= read -r l || { [ -n "$l" ] && u=y; }; do k=$((k + 1)); b=$((b + ${#l} + 1)); r="$r$l\n"; ' +
  'case $l in "$L"*) case ${l#"$L"} in *[!$CR]*) ;; "") n=$k; x=y;; *) n=$k; x=;; esac;; esac; done < "$p"; ' +
  'if [ -z "$u" ] && [ $b -eq $4 ]; then f=y; elif [ -n "$u" ] && [ $b -eq $(($4 + 1)) ]; then f=n; r=${r%?}; else f=; fi; ' +
  'if [ -n "$f" ]; then z=y; if [ $n -eq 0 ]; then if [ $f = y ]; then w=add; else w=add-nl; fi; ' +
  'elif [ -z "$x" ]; then w=defer; elif [ $n -lt $k ] || [ $f = y ]; then w=same; else w=defer; fi; fi; ';

/**
 * addLineTrip's scan of the current file on stdin, S its size: add (add-nl when the file lacks a
 * final newline), same or defer. Counting the bytes tells whether the last line ends in LF (b ==
 * S) or not (b == S + 1), so no `tail` runs; any other count (bytes awk cannot read) defers.
 */
const ADD_LINE_AWK =
  'BEGIN { L = ENVIRON["L"]; S = ENVIRON["S"] + 0; n = 0; b = 0 } ' +
  '{ b += length($0) + 1; r = $0; sub(/\\r+$/, "", r); if (r == L) { n = NR; x = ($0 == L) } } ' +
  'END { lf = (b == S); if (!lf && b != S + 1) print "defer"; else if (n == 0) print (lf ? "add" : "add-nl"); ' +
  'else if (!x) print "defer"; else if (n < NR || lf) print "same"; else print "defer" }';

type Plan = ReturnType<typeof plan>;

/** The write of the two-trip path: what to change was decided from the probe. */
function writeCmd(dest: string, cur: RemoteFile, want: WantFile, p: Plan): Sh {
  const attrs = (v: 'd' | 't', mode: boolean) =>
    joinSh([
      mode && p.chmod ? sh`chmod ${p.chmod} "$${raw(v)}"; ` : sh``,
      p.chown ? sh`chown ${p.chown} "$${raw(v)}"; ` : sh``,
      p.chgrp ? sh`chgrp ${p.chgrp} "$${raw(v)}"; ` : sh``,
    ], '');
  if (!p.contentChanged) return sh`set -e; d=${dest}; ${raw(attrs('d', true))}${statCmd('d', true)}`;
  // the final mode: the planned one, else an existing file's, else (empty) the umask's default;
  // a symbolic mode for a new file is left to chmod
  const symbolic = !cur.exists && p.chmod !== undefined && !/^[0-7]+$/.test(p.chmod);
  const final = symbolic ? '' : p.chmod !== undefined ? String(parseInt(p.chmod, 8)) : cur.exists ? String(cur.stat!.perm) : '';
  const head = joinSh([sh`set -e; d=${dest}; dir=${posix.dirname(dest)}; `, cur.exists ? sh`o=${`${cur.stat!.uid}:${cur.stat!.gid}`}; ` : sh``], '');
  return joinSh([
    head,
    replaceTail(want, final, joinSh([cur.exists ? KEEP_OWNER : sh``, symbolic ? attrs('t', true) : attrs('t', false)], ''), stdinFill(want.content)),
  ], '');
}

/** After the temp file is filled: an existing file's uid:gid ($o) kept, chown only when the temp file's differ. */
const KEEP_OWNER = sh`{ [ -O "$d" ] && [ -G "$d" ] && [ -G "$t" ]; } || chown "$o" "$t" 2>/dev/null || true; `;

/** Text up to this size without NUL bytes is handled by the shell's builtins, not by cat or sha1sum. */
const BUILTIN_TEXT_MAX = 1024;

/** Whether the shell's builtins handle content: small, without NUL bytes. */
function builtinText(content: string | Buffer): boolean {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return bytes.length <= BUILTIN_TEXT_MAX && !bytes.includes(0);
}

/** What fills the temp file from the content on stdin: builtins for small text (no cat to start). */
function stdinFill(content: string | Buffer): Sh {
  return builtinText(content) ? sh`while IFS= read -r l; do printf '%s\\n' "$l"; done; printf '%s' "$l"; ` : sh`cat; `;
}

/** The octal digits of shell variable v's number, by arithmetic alone (no printf, no subshell). */
const octalDigits = (v: string) => `$(( ${v} >> 9 & 7 ))$(( ${v} >> 6 & 7 ))$(( ${v} >> 3 & 7 ))$(( ${v} & 7 ))`;

/**
 * From the content to the renamed file and its stat: $d is dest, $dir its directory. The temp
 * file $t is created and filled by one redirect that noclobber opens O_EXCL (no mktemp runs, and
 * a read-only mode still takes the content). `final` (shell arithmetic, or empty for the umask's
 * default as a new file gets) is the mode: the umask gives its bits in 0666 at creation, chmod
 * the rest. A validate command (the task's own) runs with the login's umask: the umask is then
 * set in a subshell. attrs run once the content is in.
 */
function replaceTail(want: WantFile, final: string, attrs: Sh, fill: Sh): Sh {
  // validate is the task's own command (shell by definition), %s being the temp file
  const validate = want.validate ? sh`{ ${raw(want.validate.replace(/%s/g, '"$t"'))} ; } 1>&2 || { echo harun-validate-failed; exit 65; }; ` : sh``;
  const backup = want.backup ? sh`if [ -e "$d" ]; then b="$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$d" "$b"; echo "backup=$b"; fi; ` : sh``;
  const umask = asShell(`[ -z "$f" ] || umask ${octalDigits('(~f & 511)')}; set -C; { ${fill}} > "$t"; `);
  return joinSh([
    asShell(`f=${final}; n=0; while t="$dir/.harun-tmp.$$.$n"; [ -e "$t" ] || [ -L "$t" ]; do n=$((n + 1)); done; trap 'rm -f -- "$t"' EXIT; `),
    want.validate ? sh`( ${raw(umask)}); ` : joinSh([umask, sh`set +C; `], ''),
    asShell(`[ -z "$f" ] || [ $(( f & ${NOT_BY_UMASK.file} )) -eq 0 ] || chmod ${octalDigits('f')} "$t"; `),
    validate, attrs, backup,
    sh`if [ -L "$d" ]; then d=$(readlink -f -- "$d" 2>/dev/null || echo "$d"); fi; mv -f -- "$t" "$d"; trap - EXIT; `,
    sh`${statCmd('d', true)}`,
  ], '');
}

/**
 * The one-trip script: the probe's output, a marker line, then (unless check mode or nothing
 * differs) the write's output. It decides as plan() does; stdin (the content) is read only when it
 * writes, or first into $W when it is small text.
 */
function oneTripCmd(ctx: ModuleContext, want: WantFile, mode: ParsedMode | undefined, newSum: string, marker: string): Sh {
  const idTest = (v: string | undefined, idField: number, nameField: number, flag: string) =>
    v === undefined ? sh`` : sh`[ "$${raw(String(/^\d+$/.test(v) ? idField : nameField))}" = ${v} ] || a="$${raw(`{a}${flag}`)}"; `;
  const wm = mode?.kind === 'octal' ? mode.value : undefined;
  const attrsOn = (v: 'd' | 't', all: boolean, withMode: boolean) =>
    joinSh(
      ([
        wm !== undefined && withMode ? ['m', sh`chmod ${fmtMode(wm)} "$${raw(v)}"`] : undefined,
        want.owner !== undefined ? ['o', sh`chown ${want.owner} "$${raw(v)}"`] : undefined,
        want.group !== undefined ? ['g', sh`chgrp ${want.group} "$${raw(v)}"`] : undefined,
      ] as const)
        .filter((x) => x !== undefined)
        .map(([flag, cmd]) => (all ? sh`${raw(cmd)}; ` : sh`case $a in *${raw(flag)}*) ${raw(cmd)};; esac; `)),
      '',
    );
  const add = want.addLine !== undefined;
  const compared = !add && want.force !== false;
  const text = compared && builtinText(want.content);
  const against = compared ? { size: Buffer.byteLength(want.content), sum: newSum, text } : undefined;
  const none = sh``;
  return joinSh([
    probeCmd(want.dest, { maxContent: add ? Infinity : ctx.diff ? MAX_DIFF : 0, intoDir: want.intoDir, hostSum: !add, against, addLine: want.addLine }),
    sh`; echo; echo ${marker}; `,
    // what differs: c = content, a = attributes (m, o, g)
    sh`[ -d "$p" ] && exit 0; c=n; a=; `,
    sh`if [ -e "$p" ]; then set -- $s; `,
    add
      ? sh`[ -n "$w" ] || w=$(S=$4 LC_ALL=C awk ${ADD_LINE_AWK} < "$p") || exit 3; `
      : want.force === false ? none : sh`[ "$sum" = ${newSum} ] || c=y; `,
    wm !== undefined ? sh`[ $(( 0x$1 & 4095 )) -eq ${wm} ] || a="$a"m; ` : none,
    idTest(want.owner, 2, 6, 'o'),
    idTest(want.group, 3, 7, 'g'),
    sh`else `,
    want.create === false ? sh`exit 0; ` : none,
    add ? sh`w=add; fi; e=; case $w in add-nl) w=add; e=y;; esac; echo $w; case $w in add) c=y;; defer) exit 0;; esac; ` : sh`[ -d "$dir" ] || exit 0; c=y; fi; `,
    sh`if [ $c = n ] && [ -z "$a" ]; then exit 0; fi; `,
    ctx.check ? sh`exit 0; ` : none,
    sh`set -e; d=$p; `,
    sh`if [ $c = n ]; then ${raw(attrsOn('d', false, true))}${statCmd('d', true)}; exit 0; fi; `,
    add ? sh`[ -d "$dir" ] || mkdir -p -- "$dir"; ` : none,
    // an existing file keeps its mode and owner unless others are wanted; a new file gets the
    // umask's default mode unless a mode is given
    sh`if [ -e "$d" ]; then f=$(( 0x$1 & 4095 )); o="$2:$3"; else f=; fi; `,
    replaceTail(
      want,
      wm === undefined ? '$f' : String(wm),
      sh`if [ -e "$d" ]; then ${raw(KEEP_OWNER)}${raw(attrsOn('t', false, false))}else :; ${raw(attrsOn('t', true, false))}fi; `,
      add
        ? sh`if [ -n "$z" ]; then printf '%s' "$r"; elif [ -e "$d" ]; then cat -- "$d"; fi; [ -z "$e" ] || echo; printf '%s\\n' "$L"; `
        : text
          ? sh`printf '%s' "$W"; `
          : stdinFill(want.content),
    ),
  ], '');
}

function withStat(r: ModuleResult, st: StatInfo | undefined): ModuleResult {
  if (!st) return r;
  return { ...r, mode: st.mode, uid: st.uid, gid: st.gid, owner: st.owner, group: st.group };
}

/** A unified diff of every file in a result (for reporters). */
export function resultDiffText(r: ModuleResult): string {
  return (r.diff ?? []).map(fileDiffText).join('');
}
