import { z } from 'zod';
import { joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, int, modeArg, str, withAliases, lazySchema } from './lib/args.js';
import { fmtMode, parseMode } from './lib/mode.js';
import { httpFetchSh, httpStdin, type HttpRequest } from './uri.js';
import type { ModuleDef, ModuleResult } from './types.js';

const ALGOS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

const schema = lazySchema(() => withAliases(
  { username: 'url_username', password: 'url_password' },
  z
    .object({
      url: str(),
      dest: str(),
      checksum: str()
        .refine((c) => new RegExp(`^(${ALGOS.join('|')}):[0-9a-fA-F]+$`).test(c), 'expected <algorithm>:<hex digest>, e.g. sha256:9f86d0...')
        .optional(),
      mode: modeArg().optional(),
      owner: str().optional(),
      group: str().optional(),
      force: bool().default(false),
      timeout: int().default(10),
      headers: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).default({}),
      validate_certs: bool().default(true),
      url_username: str().optional(),
      url_password: str().optional(),
      force_basic_auth: bool().default(false),
      backup: bool().default(false),
      tmp_dest: str().optional(),
      unsafe_writes: bool().optional(),
    })
    .strict(),
));
type Args = z.infer<ReturnType<typeof schema>>;

const request = (a: Args): HttpRequest => ({
  url: a.url, headers: a.headers, timeout: a.timeout, validateCerts: a.validate_certs, followRedirects: true, user: a.url_username, password: a.url_password,
});

/**
 * One exec does it all: resolve dest (a directory takes the URL's file name), skip when the file
 * is there and its checksum matches (or no checksum and no force), else download to a temp file
 * beside dest, verify the checksum, replace dest only if the bytes differ, then set attributes.
 * Prints `dest=`, `state=` lines the module turns into its result.
 */
export function getUrlScript(a: Args, check: boolean): Sh {
  const [algo, digest] = a.checksum ? a.checksum.split(':') : [];
  // algo is one of ALGOS (the schema checked it); f is $d or $t
  const sum = (f: '$d' | '$t') => raw(`${algo ?? 'sha1'}sum < "${f}" | cut -d' ' -f1`);
  const base = (new URL(a.url).pathname.split('/').pop() || 'index.html');
  const mode = a.mode === undefined ? undefined : parseMode(a.mode);
  const chmod = mode ? (mode.kind === 'octal' ? fmtMode(mode.value) : mode.text) : undefined;
  const attrs = [chmod ? sh`chmod ${chmod} "$d"` : undefined, a.owner ? sh`chown ${a.owner} "$d"` : undefined, a.group ? sh`chgrp ${a.group} "$d"` : undefined]
    .filter((x): x is Sh => x !== undefined);
  const statLine = raw(`stat -c '%a %U %G' -- "$d"`);
  const none = sh``;
  return joinSh([
    sh`d=${a.dest}; if [ -d "$d" ]; then d="$d/"${base}; fi; echo "dest=$d"; want=${digest?.toLowerCase() ?? ''}; `,
    sh`if [ -f "$d" ]; then before=$(${statLine}); else before=none; fi; `,
    digest
      ? sh`if [ -f "$d" ] && [ "$(${sum('$d')})" = "$want" ]; then fresh=1; else fresh=0; fi; `
      : sh`if [ -f "$d" ] && ${raw(a.force ? 'false' : 'true')}; then fresh=1; else fresh=0; fi; `,
    sh`if [ $fresh = 0 ]; then `,
    ...(check
      ? [sh`echo state=download; `]
      : [
          sh`t=$(mktemp "$(dirname -- "$d")/.harun-get.XXXXXX") && h=$(mktemp) || exit 1; trap 'rm -f "$t" "$h"' EXIT; `,
          httpFetchSh(request(a), 't', 'h'),
          sh`if [ "$rc" != 0 ] || [ "$code" -ge 400 ] 2>/dev/null; then echo "harun: download failed: HTTP $code, exit $rc" >&2; cat "$h" >&2; exit 4; fi; `,
          digest ? sh`got=$(${sum('$t')}); if [ "$got" != "$want" ]; then echo "harun: checksum mismatch: ${raw(algo)} of the download is $got, expected $want" >&2; exit 5; fi; ` : none,
          sh`if [ -f "$d" ] && cmp -s "$t" "$d"; then echo state=same; else `,
          a.backup ? sh`if [ -f "$d" ]; then b="$d.$$.$(date +%Y-%m-%d@%H:%M:%S)~"; cp -p -- "$d" "$b"; echo "backup=$b"; fi; ` : none,
          sh`if [ -f "$d" ]; then chmod "$(stat -c %a -- "$d")" "$t"; else chmod "$(printf '%o' $(( 0666 & ~$(umask) )))" "$t"; fi; `,
          sh`mv -f -- "$t" "$d"; trap 'rm -f "$h"' EXIT; echo state=downloaded; fi; `,
        ]),
    sh`else echo state=fresh; fi; `,
    attrs.length && !check ? sh`if [ -f "$d" ]; then ${raw(joinSh(attrs, '; '))}; fi; ` : none,
    sh`if [ -f "$d" ]; then echo "after=$(${statLine})"; echo "before=$before"; echo "sum=$(${sum('$d')})"; fi`,
  ], '');
}

export const get_url: ModuleDef<Args> = {
  name: 'get_url',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const r = await ctx.run(getUrlScript(a, ctx.check), { stdin: httpStdin(request(a)), timeoutMs: (a.timeout + 30) * 1000 });
    const v = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(r.stdout)?.[1];
    if (r.code !== 0) return { changed: false, failed: true, rc: r.code, url: a.url, dest: v('dest') ?? a.dest, msg: r.stderr.trim().split('\n')[0] || `exit ${r.code}` };
    const state = v('state');
    const attrsChanged = v('before') !== undefined && v('before') !== 'none' && v('before') !== v('after');
    const wantAttrs = ctx.check && (a.mode !== undefined || a.owner !== undefined || a.group !== undefined);
    const result: ModuleResult = {
      changed: state === 'downloaded' || state === 'download' || attrsChanged,
      url: a.url,
      dest: v('dest'),
      state: 'file',
      msg: state === 'downloaded' ? 'OK' : state === 'download' ? 'would download' : 'file already exists',
    };
    if (v('sum')) result[a.checksum ? 'checksum_dest' : 'checksum_src'] = v('sum');
    if (v('backup')) result.backup_file = v('backup');
    if (wantAttrs && state === 'fresh') result.msg += ' (attributes not compared in check mode)';
    return result;
  },
};
