/**
 * apt_repository: a one-line `deb`/`deb-src` source in /etc/apt/sources.list or a
 * sources.list.d/*.list file, edited as Ansible 2.14's module edits them (its SourcesList): every
 * line is parsed into (enabled, source, comment) with whitespace collapsed, `present` enables
 * every commented-out copy of the source or else appends it to a file named after the repo,
 * `absent` deletes every enabled copy. As in Ansible, a change rewrites all those files in the
 * normalised form (`# ` before a disabled line) and deletes the ones left without lines; deb822
 * .sources files are not read. One exec reads them all (paths from apt-config, as python-apt
 * finds them); a change is written by convergeFile, then `apt-get update` runs once, and a
 * failed update puts the files back, as Ansible reverts them.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { joinSh, sh } from '../shell/sh.js';
import { bool, int, lazySchema, modeArg, str, withAliases } from './lib/args.js';
import { convergeFile, sha1, type RemoteFile } from './lib/file.js';
import { parseStat, statCmd } from './lib/stat.js';
import type { FileDiff, ModuleContext, ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => withAliases(
  { 'update-cache': 'update_cache' },
  z
    .object({
      repo: str(),
      state: z.enum(['absent', 'present'], { error: 'expected one of absent, present' }).default('present'),
      mode: modeArg().optional(),
      update_cache: bool().default(true),
      update_cache_retries: int().default(5),
      update_cache_retry_max_delay: int().default(12),
      filename: str().optional(),
      // python-apt is what Ansible's module needs on the host; harun needs no Python
      install_python_apt: bool().default(true),
      // only Ansible's ppa: lookups (Launchpad) use these two
      validate_certs: bool().default(true),
      codename: str().optional(),
    })
    .strict(),
));
type Args = z.infer<ReturnType<typeof schema>>;

const VALID_SOURCE_TYPES = ['deb', 'deb-src'];

/** One line of a sources file as SourcesList._parse sees it. */
export interface SourceLine { valid: boolean; enabled: boolean; source: string; comment: string }

/** SourcesList._parse: a leading # disables, a later # starts a comment, valid lines are collapsed. */
export function parseSourceLine(text: string): SourceLine {
  let line = text.trim();
  let enabled = true;
  let comment = '';
  if (line.startsWith('#')) {
    enabled = false;
    line = line.slice(1);
  }
  const i = line.indexOf('#');
  if (i > 0) {
    comment = line.slice(i + 1).trim();
    line = line.slice(0, i);
  }
  let source = line.trim();
  let valid = false;
  if (source) {
    const chunks = source.split(/\s+/);
    if (VALID_SOURCE_TYPES.includes(chunks[0])) {
      valid = true;
      source = chunks.join(' ');
    }
  }
  return { valid, enabled, source, comment };
}

/** A file's lines as Python reads a text file (universal newlines); an empty file has none. */
export function parseSources(content: string): SourceLine[] {
  if (content === '') return [];
  const lines = content.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map(parseSourceLine);
}

/** SourcesList.dump for one file: the normalised text Ansible writes. */
export function dumpSources(lines: SourceLine[]): string {
  return lines.map((l) => `${l.enabled ? '' : '# '}${l.source}${l.comment ? ` # ${l.comment}` : ''}\n`).join('');
}

/**
 * SourcesList._suggest_filename: `filename` + .list when given (Ansible appends .list even to
 * foo.list), else the repo's first word after the type, without [options], scheme and
 * user:password@, each run of other characters than ASCII letters and digits becoming one `_`.
 */
export function suggestFilename(source: string, filename?: string): string {
  if (filename !== undefined) return `${filename}.list`;
  const line = source.replace(/\[[^\]]+\]/g, '').replace(/[\p{L}\p{N}_]+:\/\//gu, '');
  const parts = line.split(/\s+/).filter((p) => p !== '' && !VALID_SOURCE_TYPES.includes(p));
  if (!parts.length) throw new Error(`Invalid repository string: ${source} (no URI)`);
  const first = parts[0].includes('@') ? parts[0].slice(parts[0].indexOf('@') + 1) : parts[0];
  return `${first.replace(/[^a-zA-Z0-9]/g, ' ').trim().split(/\s+/).filter(Boolean).join('_')}.list`;
}

/** A sources file as read from the host: its raw text and its parsed lines. */
export interface SourcesFile { path: string; raw: string; exists: boolean; lines: SourceLine[]; current?: RemoteFile }

/**
 * add_source/remove_source on the parsed files (changed in place). present: every copy of the
 * source is enabled, or, when there is none, it goes at the end of the suggested file, which is
 * then the one `mode` applies to (returned). absent: every enabled copy is deleted (Ansible
 * deletes them by index while it iterates, which skips or mis-deletes a second copy in one file:
 * here every copy goes).
 */
export function editSources(files: SourcesFile[], source: string, state: 'present' | 'absent', target: string): string | undefined {
  if (state === 'absent') {
    for (const f of files) f.lines = f.lines.filter((l) => !(l.valid && l.enabled && l.source === source));
    return undefined;
  }
  let found = false;
  for (const f of files) {
    for (const l of f.lines) {
      if (l.valid && l.source === source) {
        l.enabled = true;
        found = true;
      }
    }
  }
  if (found) return undefined;
  let f = files.find((x) => x.path === target);
  if (!f) files.push((f = { path: target, raw: '', exists: false, lines: [] }));
  f.lines.push({ valid: true, enabled: true, source, comment: '' });
  return target;
}

/** SourcesList.dump of all files: path -> text, files without lines left out. */
const dumpAll = (files: SourcesFile[]) => new Map(files.filter((f) => f.lines.length).map((f) => [f.path, dumpSources(f.lines)]));

const sameDump = (a: Map<string, string>, b: Map<string, string>) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/**
 * One exec: the sourceparts directory (and whether it and a filename's directory exist), then
 * for sources.list and each sources.list.d/*.list: its path, stat line and content.
 */
async function probe(ctx: ModuleContext, extraDir: string | undefined) {
  const r = await ctx.run(joinSh([
    sh`command -v apt-config >/dev/null 2>&1 || { echo harun-no-apt; exit 0; }; SL=; SP=; `,
    sh`eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)" || exit 3; `,
    sh`printf '%s\\n' "$SP"; if [ -d "$SP" ]; then echo dir; else echo nodir; fi; `,
    sh`if [ -d ${extraDir ?? '/'} ]; then echo dir; else echo nodir; fi; `,
    sh`for f in "$SL" "$SP"*.list; do [ -f "$f" ] || continue; case $f in *'\n'*) continue;; esac; `,
    sh`s=$(${statCmd('f', true)}) || exit 3; printf '%s\\n%s\\n' "$f" "$s"; cat -- "$f" || exit 3; done`,
  ], ''));
  if (r.code !== 0) throw new Error(`cannot read the apt sources: ${r.stderr.trim() || `exit ${r.code}`}`);
  const buf = r.stdoutBuf ?? Buffer.from(r.stdout);
  let at = 0;
  const line = () => {
    const nl = buf.indexOf(10, at);
    const s = buf.subarray(at, nl < 0 ? buf.length : nl).toString('utf8');
    at = nl < 0 ? buf.length : nl + 1;
    return s;
  };
  const sp = line();
  if (sp === 'harun-no-apt') return undefined;
  const spExists = line() === 'dir';
  const extraExists = line() === 'dir';
  const files: SourcesFile[] = [];
  while (at < buf.length) {
    const path = line();
    const st = parseStat(line());
    const raw = buf.subarray(at, at + st.size).toString('utf8');
    at += st.size;
    const current: RemoteFile = { exists: true, content: raw, read: true, mode: st.mode, owner: st.owner, group: st.group, checksum: sha1(raw), stat: st, parentExists: true };
    files.push({ path, raw, exists: true, lines: parseSources(raw), current });
  }
  return { sp, spExists, extraExists, files };
}

/**
 * apt-get update until it works, at most `retries` times, waiting 1, 2, 4... seconds (up to
 * max) in between, as Ansible's loop does. A fetch that failed fails the update even where
 * apt-get exits 0 (python-apt raises FetchFailedException for it).
 */
function updateCmd(removed: string[], retries: number, maxDelay: number) {
  return joinSh([
    removed.length ? sh`rm -f -- ${removed}; ` : sh``,
    sh`n=0; d=1; while :; do `,
    sh`e=$(LC_ALL=C apt-get -qq update 2>&1 >/dev/null); rc=$?; `,
    sh`if [ $rc = 0 ] && ! printf '%s\\n' "$e" | grep -Eq '^(E:|W: Failed to fetch|W: Some index files failed)'; then exit 0; fi; `,
    sh`n=$((n + 1)); [ $n -lt ${retries} ] || break; sleep $d; d=$((d * 2)); [ $d -le ${maxDelay} ] || d=${maxDelay}; done; `,
    sh`printf '%s\\n' "$e" >&2; exit 100`,
  ], '');
}

export const apt_repository: ModuleDef<Args> = {
  name: 'apt_repository',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const base = { changed: false, repo: a.repo, state: a.state };
    if (a.repo.startsWith('ppa:')) {
      return { ...base, failed: true, msg: `${a.repo}: ppa: repositories are looked up on Launchpad (network) and are not supported by harun's apt_repository: give the deb line instead` };
    }
    if (a.repo === '') return { ...base, failed: true, msg: "Please set argument 'repo' to a non-empty value" };
    const parsed = parseSourceLine(a.repo);
    if (!parsed.valid || !parsed.enabled) {
      // the text Ansible's InvalidSource carries: no leading #, no comment
      const t = a.repo.trim().replace(/^#/, '');
      return { ...base, failed: true, msg: `Invalid repository string: ${t.indexOf('#') > 0 ? t.slice(0, t.indexOf('#')) : t}` };
    }
    const source = parsed.source;
    let name: string;
    try {
      name = suggestFilename(source, a.filename);
    } catch (e) {
      return { ...base, failed: true, msg: (e as Error).message };
    }
    const p = await probe(ctx, name.includes('/') ? posix.dirname(name) : undefined);
    if (!p) return { ...base, failed: true, msg: 'Module apt_repository is not supported on target.' };
    const target = name.includes('/') ? name : posix.normalize(posix.join(p.sp, name));

    const before = dumpAll(p.files);
    const files = p.files.map((f) => ({ ...f, lines: f.lines.map((l) => ({ ...l })) }));
    const added = editSources(files, source, a.state, target);
    const after = dumpAll(files);
    if (sameDump(before, after)) return base;

    // what changes on disk: files rewritten in the normalised form, files left without lines
    const writes = files.filter((f) => f.lines.length && (!f.exists || after.get(f.path) !== f.raw));
    const removed = files.filter((f) => !f.lines.length && f.exists);
    const result: ModuleResult = { ...base, changed: true };
    if (ctx.diff) {
      result.diff = [
        ...writes.map((f): FileDiff => ({ path: f.path, before: f.raw, after: after.get(f.path)!, beforeHeader: f.exists ? f.path : '/dev/null', afterHeader: f.path })),
        ...removed.map((f): FileDiff => ({ path: f.path, before: f.raw, after: '', beforeHeader: f.path, afterHeader: '/dev/null' })),
      ];
    }
    if (ctx.check) return result;

    // Ansible makes the directory of a new file
    const newFile = added !== undefined && !p.files.some((f) => f.path === added);
    if (newFile && !(name.includes('/') ? p.extraExists : p.spExists)) await ctx.runOk(sh`mkdir -p -- ${posix.dirname(target)}`);
    const done: SourcesFile[] = [];
    const revert = async (msg: string): Promise<ModuleResult> => {
      // Ansible's revert_sources_list: new files go, the others get their old text back
      for (const f of [...done, ...removed]) {
        if (!f.exists) await ctx.run(sh`rm -f -- ${f.path}`);
        else await convergeFile(ctx, { dest: f.path, content: f.raw, mode: f.current?.mode });
      }
      return { ...base, failed: true, msg };
    };
    for (const f of writes) {
      const cur = f.current ?? { exists: false, content: '', read: true, parentExists: true };
      const w = await convergeFile(ctx, { dest: f.path, content: after.get(f.path)!, mode: f.path === added ? a.mode : undefined, current: cur });
      if (w.failed) return revert(String(w.msg));
      done.push(f);
    }
    if (!a.update_cache) {
      if (removed.length) await ctx.runOk(sh`rm -f -- ${removed.map((f) => f.path)}`);
      return result;
    }
    if (a.update_cache_retries === 0) return revert('Failed to update apt cache: unknown reason');
    const u = await ctx.run(updateCmd(removed.map((f) => f.path), a.update_cache_retries, a.update_cache_retry_max_delay));
    if (u.code !== 0) return revert(`Failed to update apt cache: ${u.stderr.trim() || 'unknown reason'}`);
    return result;
  },
};
