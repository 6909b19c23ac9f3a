/**
 * assemble: concatenate a directory of fragments into one file, as ansible-core 2.14 does.
 * remote_src (the default, yes) reads the fragments on the host: one exec lists and reads them
 * and probes dest, the controller assembles, and convergeFile writes only when something differs
 * (1 round trip unchanged, 2 changed). remote_src: no assembles the controller's directory (role
 * files/ first) and converges dest in convergeFile's one exec.
 * Ansible runs neither under check mode (the task is skipped); run() itself honours ctx.check.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { z } from 'zod';
import { joinSh, raw, sh } from '../shell/sh.js';
import { readControllerFile } from '../vault/files.js';
import { bool, lazySchema, modeArg, str, withAliases } from './lib/args.js';
import { argvWords } from './lib/exec.js';
import { extraAttrArgs, withExtraAttrs } from './lib/extra-attrs.js';
import { convergeFile, MAX_DIFF, sha1, type RemoteFile } from './lib/file.js';
import { parseStat, statCmd } from './lib/stat.js';
import { pyRegex } from '../vars/regex.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() =>
  withAliases(
    { attr: 'attributes' },
    z
      .object({
        src: str(),
        dest: str(),
        delimiter: str().optional(),
        backup: bool().default(false),
        remote_src: bool().default(true),
        regexp: str().optional(),
        ignore_hidden: bool().default(false),
        validate: str().optional(),
        mode: modeArg().optional(),
        owner: str().optional(),
        group: str().optional(),
        decrypt: bool().default(true),
        unsafe_writes: bool().default(false),
        ...extraAttrArgs(),
      })
      .strict()
      .superRefine((a, c) => {
        // Ansible's own messages, given when the playbook loads instead of on the host
        if (a.validate !== undefined && !a.validate.includes('%s')) c.addIssue({ code: 'custom', path: ['validate'], message: `validate must contain %s: ${a.validate}` });
        if (a.regexp !== undefined) {
          try {
            pyRegex(a.regexp);
          } catch (e) {
            c.addIssue({ code: 'custom', path: ['regexp'], message: `Invalid Regexp (${(e as Error).message}) in "${a.regexp}"` });
          }
        }
        if (a.delimiter) {
          try {
            escapeDecode(Buffer.from(a.delimiter));
          } catch (e) {
            c.addIssue({ code: 'custom', path: ['delimiter'], message: (e as Error).message });
          }
        }
      }),
  ),
);

export type AssembleArgs = z.infer<ReturnType<typeof schema>>;

const SIMPLE_ESCAPES: Record<string, number> = { '\n': -1, '\\': 0x5c, "'": 0x27, '"': 0x22, a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13 };

/**
 * Python's codecs.escape_decode, which Ansible applies to the delimiter: the escapes of a bytes
 * literal (\n, \t, \\, \x41, \101, backslash-newline) on the UTF-8 bytes; others stay as written.
 */
export function escapeDecode(input: Buffer): Buffer {
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    if (input[i] !== 0x5c) {
      out.push(input[i]);
      continue;
    }
    const at = i++;
    if (i >= input.length) throw new Error('Trailing \\ in string');
    const e = String.fromCharCode(input[i]);
    if (e in SIMPLE_ESCAPES) {
      if (SIMPLE_ESCAPES[e] >= 0) out.push(SIMPLE_ESCAPES[e]);
    } else if (e >= '0' && e <= '7') {
      let v = input[i] - 0x30;
      for (let k = 0; k < 2 && i + 1 < input.length && input[i + 1] >= 0x30 && input[i + 1] <= 0x37; k++) v = v * 8 + input[++i] - 0x30;
      out.push(v & 0xff);
    } else if (e === 'x') {
      const hex = input.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`invalid \\x escape at position ${at}`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(0x5c, input[i]);
  }
  return Buffer.from(out);
}

const NL = Buffer.from('\n');

/**
 * Ansible's assemble_from_fragments: a newline after a fragment that lacks one, the delimiter
 * between fragments. Two quirks of 2.14 are kept, since they decide dest's bytes: the delimiter
 * is escape-decoded again before each use (from the third fragment on, a `\\n` written as two
 * escapes becomes a newline), and the action plugin (onController, remote_src: no) compares a
 * byte with b'\n' under Python 3, so it writes a newline after the delimiter even when the
 * delimiter ends with one; the module (remote_src: yes) adds it only when the delimiter lacks one.
 */
export function assembleFragments(fragments: Buffer[], delimiter: string | undefined, onController: boolean): Buffer {
  const parts: Buffer[] = [];
  let delim: Buffer | string | undefined = delimiter;
  let addNewline = false;
  fragments.forEach((f, i) => {
    if (addNewline) parts.push(NL);
    if (i > 0 && delim !== undefined && delim.length > 0) {
      delim = escapeDecode(typeof delim === 'string' ? Buffer.from(delim) : delim);
      parts.push(delim);
      if (delim.length === 0) throw new Error('IndexError: index out of range (the delimiter decodes to nothing)');
      if (onController || delim[delim.length - 1] !== 10) parts.push(NL);
    }
    parts.push(f);
    addNewline = f.length === 0 || f[f.length - 1] !== 10;
  });
  return Buffer.concat(parts);
}

/** Fragment names as Python's sorted() orders them: by code point, which UTF-8 byte order is. */
const byName = (a: { name: Buffer }, b: { name: Buffer }) => Buffer.compare(a.name, b.name);

/** The fragments to use, in order: regexp searched in the name (re.search), hidden ones left out when asked. */
function pick<F extends { name: Buffer }>(all: F[], a: AssembleArgs): F[] {
  const re = a.regexp === undefined ? undefined : pyRegex(a.regexp);
  return all
    .filter((f) => {
      const name = f.name.toString('utf8');
      return (!re || re.test(name)) && !(a.ignore_hidden && name.startsWith('.'));
    })
    .sort(byName);
}

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

const assembleNative: ModuleDef<AssembleArgs> = {
  name: 'assemble',
  get schema() {
    return schema();
  },
  // Ansible's action plugin sets _supports_check_mode = False: the engine skips the task under --check
  checkMode: false,
  async run(ctx, a): Promise<ModuleResult> {
    try {
      return await (a.remote_src ? remoteAssemble(ctx, a) : controllerAssemble(ctx, a));
    } catch (e) {
      return { changed: false, failed: true, msg: (e as Error).message };
    }
  },
};

/** assemble, with SELinux context and chattr attributes applied by Ansible's file module when given. */
export const assemble = withExtraAttrs(assembleNative, (a, r) => String(r.dest ?? a.dest));

/** Exit codes of the reading exec that stop it, with Ansible's messages (s: src, d: dest as the host expanded them). */
const STOPS: Record<number, (s: string, d: string, extra: string) => string> = {
  20: (s) => `Source (${s}) does not exist`,
  21: (s) => `Source (${s}) is not a directory`,
  22: (_s, d) => `attempted to take checksum of directory: ${d}`,
  23: (_s, _d, f) => `[Errno 13] Permission denied: '${f}'`,
};

/**
 * The reading exec: src and dest as expanded on the host (Ansible's path type expands ~ and
 * $VARS there), dest's state (stat, then its sha1, or its bytes when --diff may show them), then
 * each regular file of src (links followed, as os.path.isfile does): name, size, bytes. Fields
 * end in NUL; bytes are framed by their size.
 */
function readCmd(ctx: ModuleContext, a: AssembleArgs) {
  return joinSh([
    sh`s=`, argvWords([a.src], true), sh`; d=`, argvWords([a.dest], true), sh`; lim=${ctx.diff ? String(MAX_DIFF) : ''}; `,
    sh`printf '%s\\000%s\\000' "$s" "$d"; [ -e "$s" ] || exit 20; [ -d "$s" ] || exit 21; `,
    sh`if [ -e "$d" ]; then [ -d "$d" ] && exit 22; st=$(${statCmd('d', true)}) || exit 3; printf 'present\\000%s\\000' "$st"; set -- $st; `,
    sh`if [ ! -f "$d" ]; then printf -- '-\\000'; elif [ -n "$lim" ] && [ "$4" -le "$lim" ]; then printf 'read\\000'; cat -- "$d" || exit 3; `,
    sh`else sum=$(sha1sum < "$d") || exit 3; printf '%s\\000' "\${sum%% *}"; fi; `,
    sh`else case $d in */*) p=\${d%/*}; p=\${p:-/};; *) p=.;; esac; [ -d "$p" ] && printf 'absent\\000dir\\000' || printf 'absent\\000nodir\\000'; fi; `,
    sh`for f in "$s"/* ${raw(a.ignore_hidden ? '' : '"$s"/.*')}; do [ -f "$f" ] || continue; [ -r "$f" ] || { printf '%s' "$f" >&2; exit 23; }; `,
    sh`n=$(wc -c < "$f") || exit 3; printf '%s\\000%s\\000' "\${f##*/}" $n; cat -- "$f" || exit 3; done`,
  ], '');
}

/** Parse readCmd's output: the expanded paths, dest's state as convergeFile takes it, the fragments. */
function parseRead(buf: Buffer) {
  let at = 0;
  const field = () => {
    const end = buf.indexOf(0, at);
    if (end < 0) throw new Error('assemble: unexpected end of the host\'s output');
    const v = buf.subarray(at, end);
    at = end + 1;
    return v;
  };
  const bytes = (n: number) => {
    if (at + n > buf.length) throw new Error('assemble: a file changed while it was read');
    const v = buf.subarray(at, at + n);
    at += n;
    return v;
  };
  const src = field().toString('utf8');
  const dest = field().toString('utf8');
  let cur: RemoteFile;
  if (field().toString() === 'absent') cur = { exists: false, content: '', read: true, parentExists: field().toString() === 'dir' };
  else {
    const st = parseStat(field().toString('utf8'));
    const sum = field().toString();
    const body = sum === 'read' ? bytes(st.size) : undefined;
    cur = {
      exists: true,
      content: body ? body.toString('utf8') : '',
      read: body !== undefined,
      mode: st.mode,
      owner: st.owner,
      group: st.group,
      checksum: body ? sha1(body) : sum === '-' ? undefined : sum,
      stat: st,
      parentExists: true,
    };
  }
  const fragments: { name: Buffer; data: Buffer }[] = [];
  while (at < buf.length) {
    const name = field();
    fragments.push({ name, data: bytes(Number(field().toString())) });
  }
  return { src, dest, cur, fragments };
}

/** remote_src: yes (Ansible's module on the host): one exec reads, a second writes when something differs. */
async function remoteAssemble(ctx: ModuleContext, a: AssembleArgs): Promise<ModuleResult> {
  const r = await ctx.run(readCmd(ctx, a));
  const out = r.stdoutBuf ?? Buffer.from(r.stdout);
  const stop = STOPS[r.code ?? -1];
  if (stop) {
    const [s, d] = out.toString('utf8').split('\0');
    return { changed: false, failed: true, msg: stop(s, d, r.stderr) };
  }
  if (r.code !== 0) return { changed: false, failed: true, msg: `cannot read ${a.src} or ${a.dest}: ${r.stderr.trim() || `exit ${r.code}`}` };
  const { src, dest, cur, fragments } = parseRead(out);
  const content = assembleFragments(pick(fragments, a).map((f) => f.data), a.delimiter, false);
  const w = await convergeFile(ctx, {
    dest,
    content,
    mode: a.mode,
    owner: a.owner,
    group: a.group,
    backup: a.backup,
    // the validate command's exit status, for Ansible's message (its output goes to stderr)
    validate: a.validate && `${a.validate}; harun_vrc=$?; echo "harun-validate-rc=$harun_vrc"; [ "$harun_vrc" -eq 0 ]`,
    current: cur,
  });
  if (w.failed && w.msg === 'failed to validate') {
    const err = String(w.stderr ?? '');
    const rc = /harun-validate-rc=(\d+)/.exec(err)?.[1] ?? '?';
    return { changed: false, failed: true, msg: `failed to validate: rc:${rc} error:${err.replace(/^harun-validate-rc=\d+\n?/m, '')}`, dest };
  }
  if (w.failed) return w;
  return { ...w, src, md5sum: md5(content), msg: 'OK' };
}

/**
 * remote_src: no (Ansible's action plugin): the controller's directory, found as a role's files/
 * are, vaulted fragments opened unless decrypt: no; then copy's way of writing dest.
 */
async function controllerAssemble(ctx: ModuleContext, a: AssembleArgs): Promise<ModuleResult> {
  const src = ctx.findLocal('files', a.src);
  const st = statSync(src, { throwIfNoEntry: false });
  if (!st) return { changed: false, failed: true, msg: `Could not find or access '${a.src}'` };
  if (!st.isDirectory()) return { changed: false, failed: true, msg: `Source (${src}) is not a directory` };
  // links followed, as os.path.isfile does: a dangling one is no fragment
  const files = readdirSync(src, { encoding: 'buffer' })
    .map((name) => ({ name, path: `${src}/${name.toString('utf8')}` }))
    .filter((f) => statSync(f.path, { throwIfNoEntry: false })?.isFile());
  const content = assembleFragments(pick(files, a).map((f) => readControllerFile(f.path, a.decrypt).data), a.delimiter, true);
  const w = await convergeFile(ctx, {
    dest: await hostPath(ctx, a.dest),
    content,
    mode: a.mode,
    owner: a.owner,
    group: a.group,
    backup: a.backup,
    validate: a.validate,
  });
  return w.failed ? w : { ...w, src, md5sum: md5(content) };
}

/** A path with ~ or $VARS as the host expands it (Ansible's path type); others as they are, with no exec. */
async function hostPath(ctx: ModuleContext, p: string): Promise<string> {
  if (!/^~|\$/.test(p)) return p;
  const r = await ctx.runOk(joinSh([sh`printf '%s' `, argvWords([p], true)], ''));
  return r.stdout;
}
