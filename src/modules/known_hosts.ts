/**
 * known_hosts: add or remove a host's key in a known_hosts file, as Ansible's module does. The
 * host's lines are found by ssh-keygen -F on the target, as Ansible finds them (hashed entries,
 * patterns, [host]:port), and the key is checked by ssh-keygen -F against the host named; the
 * decision then follows Ansible's search_for_host_key. One exec reads all of it (and the file);
 * a change is written by convergeFile's atomic writer (the file keeps its mode and owner).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { z } from 'zod';
import { joinSh, quote, raw, sh, type Sh } from '../shell/sh.js';
import { bool, lazySchema, str, withAliases } from './lib/args.js';
import { convergeFile, sha1, type RemoteFile } from './lib/file.js';
import { parseStat, statCmd } from './lib/stat.js';
import type { FileDiff, ModuleDef, ModuleResult } from './types.js';

const DEFAULT_PATH = '~/.ssh/known_hosts';

const schema = lazySchema(() => withAliases(
  { host: 'name' },
  z
    .object({
      name: str(),
      key: str().optional(),
      path: str().default(DEFAULT_PATH),
      hash_host: bool().default(false),
      state: z.enum(['absent', 'present'], { error: 'expected one of absent, present' }).default('present'),
    })
    .strict(),
));
type Args = z.infer<ReturnType<typeof schema>>;

/** A key line in Ansible's normalized form: the marker (@cert-authority, @revoked), host, type, key. */
interface KeyLine { options?: string; host: string; type: string; key: string }

/** Ansible's normalize_known_hosts_key: the first fields of the line; a comment is dropped. */
function normalize(line: string): KeyLine {
  const k = line.trim().split(/\s+/);
  return k[0].startsWith('@') ? { options: k[0], host: k[1], type: k[2], key: k[3] } : { host: k[0], type: k[1], key: k[2] };
}

const same = (a: KeyLine, b: KeyLine) => a.options === b.options && a.host === b.host && a.type === b.type && a.key === b.key;

/** Ansible's hash_host_key: the host field becomes |1|salt|HMAC-SHA1(salt, host), fields joined by one space. */
function hashHostKey(host: string, key: string): string {
  const salt = randomBytes(20);
  const parts = key.trim().split(/\s+/);
  const i = parts[0].startsWith('@') ? 1 : 0;
  parts[i] = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(host).digest('base64')}`;
  return parts.join(' ');
}

/** What ssh-keygen -F printed for the host: each matching line with its number. */
interface Found { line: number; text: string }

/** ssh-keygen -F's output: a `# Host h found: line N` comment before each line it found. */
function parseFound(out: string): Found[] {
  const found: Found[] = [];
  let line = 0;
  for (const l of out.split('\n')) {
    if (l === '') continue;
    if (l.startsWith('#')) line = Number(/found: line (\d+)/.exec(l)?.[1] ?? 0);
    else found.push({ line, text: l });
  }
  return found;
}

/**
 * Ansible's search_for_host_key once the host was found: the first found line of the key's type
 * decides. `line` is that line (undefined when none has the type), `replace` whether the key
 * differs from it (an unhashed entry for a hashed key, or the reverse, also differs).
 */
function search(found: Found[], key: string): { replace: boolean; line?: number } {
  const want = normalize(key);
  for (const f of found) {
    const have = normalize(f.text);
    // a hashed entry stays hashed with its own salt
    if (want.host.startsWith('|1|') && have.host.startsWith('|1|')) want.host = have.host;
    if (same(want, have)) return { replace: false, line: f.line };
    if (want.type === have.type) return { replace: true, line: f.line };
  }
  return { replace: true };
}

/** The target's path: a leading ~/ is the (become) user's $HOME there, as Ansible's path type expands it. */
function pathWord(path: string): Sh {
  if (path === '~') return sh`"$HOME"`;
  return path.startsWith('~/') ? sh`"$HOME"/${path.slice(2)}` : quote(path);
}

// exit codes of the probe for what stops it
const NO_KEYGEN = 20;
const KEY_MISMATCH = 21;
const READ_FAILED = 3;

/**
 * The one exec: the key checked against the host (ssh-keygen -F on a temp copy, as Ansible's
 * sanity_check), then the resolved path, then `absent` and whether its directory exists, or the
 * file's stat, ssh-keygen -F's exit code and output, a marker line and the file. When `mkdir`,
 * a missing directory is made 0700 (the default ~/.ssh only: see run).
 */
function probeCmd(host: string, key: string | undefined, path: string, mkdir: boolean, marker: string): Sh {
  return joinSh([
    sh`h=${host}; p=${raw(pathWord(path))}; `,
    sh`command -v ssh-keygen >/dev/null 2>&1 || { printf '%s\\n' "$PATH"; exit ${NO_KEYGEN}; }; `,
    key === undefined
      ? sh``
      : sh`t=$(mktemp) || exit ${READ_FAILED}; printf '%s' ${key} > "$t"; k=$(ssh-keygen -F "$h" -f "$t" 2>/dev/null); rm -f -- "$t"; [ -n "$k" ] || exit ${KEY_MISMATCH}; `,
    sh`printf '%s\\n' "$p"; `,
    sh`if [ -e "$p" ]; then s=$(${statCmd('p', true)}) || exit ${READ_FAILED}; echo "$s"; `,
    sh`o=$(ssh-keygen -F "$h" -f "$p"); echo $?; printf '%s\\n' "$o" ${marker}; cat -- "$p" || exit ${READ_FAILED}; `,
    sh`else echo absent; case $p in */*) d=\${p%/*}; d=\${d:-/};; *) d=.;; esac; `,
    sh`if [ -d "$d" ]; then echo dir; ${raw(mkdir ? 'elif mkdir -p -m 700 -- "$d"; then echo dir; ' : '')}else echo nodir; fi; fi`,
  ], '');
}

export const known_hosts: ModuleDef<Args> = {
  name: 'known_hosts',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const fail = (msg: string, extra: Record<string, unknown> = {}): ModuleResult => ({ changed: false, failed: true, msg, ...extra });
    const host = a.name.toLowerCase();
    let key = a.key || undefined;
    if (!key && a.state !== 'absent') return fail('No key specified when adding a host');
    if (key && a.hash_host) key = hashHostKey(host, key);
    if (key && !key.endsWith('\n')) key += '\n';
    if (key && /\S+(\s+)?,(\s+)?/.test(host)) {
      return fail('Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file.');
    }

    // Ansible 2.14 fails when the directory is missing; making the default ~/.ssh is what
    // ansible-core agreed to do (ansible/ansible#84952), so only that one is made
    const mkdir = a.state === 'present' && !ctx.check && a.path === DEFAULT_PATH;
    const marker = `harun-${randomBytes(6).toString('hex')}`;
    const r = await ctx.run(probeCmd(host, key, a.path, mkdir, marker));
    if (r.code === NO_KEYGEN) return fail(`Failed to find required executable "ssh-keygen" in paths: ${r.stdout.trim()}`);
    if (r.code === KEY_MISMATCH) return fail('Host parameter does not match hashed host field in supplied key');
    if (r.code !== 0) return fail(`Failed to read ${a.path}: ${r.stderr.trim() || `exit ${r.code}`}`, { rc: r.code });

    const out = r.stdout;
    const nl1 = out.indexOf('\n');
    const nl2 = out.indexOf('\n', nl1 + 1);
    const path = out.slice(0, nl1);
    const second = out.slice(nl1 + 1, nl2);
    let cur: RemoteFile;
    let found: Found[] = [];
    if (second === 'absent') {
      cur = { exists: false, content: '', read: true, parentExists: out.slice(nl2 + 1).trim() === 'dir' };
    } else {
      const st = parseStat(second);
      const nl3 = out.indexOf('\n', nl2 + 1);
      const rc = Number(out.slice(nl2 + 1, nl3));
      const m = out.indexOf(`\n${marker}\n`, nl3);
      if (m < 0) return fail(`unexpected output reading ${path}: ${out.slice(0, 200)}`);
      const keygenOut = out.slice(nl3 + 1, m);
      if (rc !== 0 && !(rc === 1 && keygenOut === '')) {
        return fail(`ssh-keygen failed (rc=${rc}, stdout='${keygenOut}',stderr='${r.stderr}')`);
      }
      found = parseFound(keygenOut);
      const content = out.slice(m + marker.length + 2);
      cur = { exists: true, content, read: true, mode: st.mode, owner: st.owner, group: st.group, checksum: sha1(content), stat: st, parentExists: true };
    }

    // the lines to drop and the key to append, as Ansible's enforce_state decides
    let drop: number[] = [];
    let append = false;
    if (!key) {
      // ssh-keygen -R: every line found, but @cert-authority and @revoked ones
      drop = found.filter((f) => !f.text.startsWith('@')).map((f) => f.line);
    } else if (found.length > 0) {
      const s = search(found, key);
      if (s.line !== undefined && (s.replace || a.state === 'absent')) drop = [s.line];
      append = a.state === 'present' && s.replace;
    } else {
      append = a.state === 'present';
    }
    const lines = cur.content.split(/(?<=\n)/).filter((l, i) => l !== '' && !drop.includes(i + 1));
    // Ansible would glue the key onto a last line without its newline: give it one
    if (append && lines.length > 0 && !lines[lines.length - 1].endsWith('\n')) lines[lines.length - 1] += '\n';
    if (append) lines.push(key!);
    const after = lines.join('');
    const changed = after !== cur.content;

    const diff: FileDiff[] | undefined = ctx.diff && changed
      ? [{ path, before: cur.content, after, beforeHeader: cur.exists ? path : '/dev/null', afterHeader: path }]
      : undefined;
    if (ctx.check) return { changed, ...(diff ? { diff } : {}) };
    // the task's arguments, and (Ansible's add_path_info) the file's attributes when it exists
    const result: ModuleResult = { changed, name: a.name, key: a.key ?? null, path, hash_host: a.hash_host, state: a.state, ...(diff ? { diff } : {}) };
    const st = cur.stat;
    if (!changed) return st ? { ...result, state: 'file', uid: st.uid, gid: st.gid, owner: st.owner, group: st.group, mode: st.mode, size: st.size } : result;
    if (!cur.exists && !cur.parentExists) {
      return fail(`Failed to write to file ${path}: [Errno 2] No such file or directory: '${posix.dirname(path)}'`);
    }
    const w = await convergeFile(ctx, { dest: path, content: after, current: cur });
    if (w.failed) return fail(String(w.msg));
    return { ...result, state: 'file', uid: w.uid, gid: w.gid, owner: w.owner, group: w.group, mode: w.mode, size: w.size };
  },
};
