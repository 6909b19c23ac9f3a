import { z } from 'zod';
import { asShell, joinSh, raw, sh, type Sh } from '../shell/sh.js';
import { bool, int, str, withAliases, lazySchema } from './lib/args.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';

export interface HttpRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  timeout: number;
  validateCerts: boolean;
  followRedirects: boolean;
  user?: string;
  password?: string;
  /** a request body is read from the command's stdin (after the credentials: httpStdin) */
  hasBody?: boolean;
}

/**
 * What the fetch reads on stdin: the credentials first (a line for curl's config, two for
 * wget's), then the body. A password never goes on a command line, where the host's process
 * list and harun's -vv would show it.
 */
export function httpStdin(req: HttpRequest, body?: string): string | undefined {
  if (req.user === undefined) return body;
  const pass = req.password ?? '';
  if (/[\r\n]/.test(req.user + pass)) throw new Error('url_username and url_password cannot hold a line break');
  const curl = `user = "${`${req.user}:${pass}`.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  return `${curl}\nuser = ${req.user}\npassword = ${pass}\n${body ?? ''}`;
}

/**
 * Shell text that fetches req.url on the target with curl, or wget when curl is missing, writing
 * the body to the file in $bodyVar and the response headers to $hdrVar; prints `status=NNN` and
 * sets $rc. Exit 127 with a clear message when neither tool exists. Its stdin is httpStdin's.
 */
export function httpFetchSh(req: HttpRequest, bodyVar: 'b' | 't', hdrVar: 'h'): Sh {
  const h = Object.entries(req.headers ?? {}).map(([k, v]) => `${k}: ${v}`);
  const method = (req.method ?? 'GET').toUpperCase();
  const curl = [
    'curl', '-sS', '-X', method, '--max-time', String(req.timeout),
    ...(req.validateCerts ? [] : ['-k']), ...(req.followRedirects ? ['-L'] : []),
    ...h.flatMap((x) => ['-H', x]),
    ...(req.hasBody ? ['--data-binary', '@-'] : []),
  ];
  const wget = [
    'wget', '-q', '-S', '--content-on-error', `--method=${method}`, `--timeout=${req.timeout}`, '--tries=1',
    ...(req.validateCerts ? [] : ['--no-check-certificate']), ...(req.followRedirects ? [] : ['--max-redirect=0']),
    ...h.map((x) => `--header=${x}`),
  ];
  const none = sh``;
  const auth = req.user !== undefined;
  return joinSh([
    // the credentials (httpStdin) go to a file only this user can read, by shell builtins
    auth ? sh`hc=$(umask 077; mktemp) || exit 1; IFS= read -r hc1; IFS= read -r hw1; IFS= read -r hw2; ` : none,
    sh`if command -v curl >/dev/null 2>&1; then `,
    auth ? sh`printf '%s\\n' "$hc1" > "$hc"; ` : none,
    sh`code=$(${curl} ${raw(auth ? '-K "$hc" ' : '')}-o "$${raw(bodyVar)}" -D "$${raw(hdrVar)}" -w '%{http_code}' -- ${req.url}); rc=$?; `,
    sh`elif command -v wget >/dev/null 2>&1; then `,
    // wget needs the body's length up front: a regular file, not a pipe
    req.hasBody ? sh`bf=$(mktemp) || exit 1; cat > "$bf"; ` : none,
    auth ? sh`printf '%s\\n%s\\n' "$hw1" "$hw2" > "$hc"; ` : none,
    sh`${raw(auth ? 'WGETRC="$hc" ' : '')}${wget} ${raw(req.hasBody ? '--body-file="$bf" ' : '')}-O "$${raw(bodyVar)}" -- ${req.url} 2>"$${raw(hdrVar)}"; rc=$?; `,
    req.hasBody ? sh`rm -f "$bf"; ` : none,
    sh`code=$(sed -n 's/^ *HTTP\\/[0-9.]* \\([0-9][0-9][0-9]\\).*/\\1/p' "$${raw(hdrVar)}" | tail -n 1); [ -n "$code" ] && [ $rc = 8 ] && rc=0; `,
    sh`else echo 'harun: neither curl nor wget is installed on this host' >&2; exit 127; fi; `,
    auth ? sh`rm -f "$hc"; ` : none,
    asShell('echo "status=${code:-0}"; '),
  ], '');
}

/** The last header block (after redirects), as Ansible names them: lower case, '-' -> '_'. */
export function parseHeaders(text: string): { status: number; reason: string; headers: Record<string, string> } {
  const lines = text.replace(/\r/g, '').split('\n').map((l) => l.replace(/^ {2}/, ''));
  let start = 0;
  lines.forEach((l, i) => {
    if (/^HTTP\/[\d.]+ \d{3}/.test(l)) start = i;
  });
  const m = /^HTTP\/[\d.]+ (\d{3}) ?(.*)$/.exec(lines[start] ?? '');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(start + 1)) {
    const hm = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(l);
    if (hm) headers[hm[1].toLowerCase().replace(/-/g, '_')] = hm[2];
    else if (l === '') break;
  }
  return { status: m ? Number(m[1]) : 0, reason: m?.[2] ?? '', headers };
}

const schema = lazySchema(() => withAliases(
  { user: 'url_username', password: 'url_password' },
  z
    .object({
      url: str(),
      method: str().default('GET'),
      body: z.unknown().optional(),
      body_format: z.enum(['raw', 'json', 'form-urlencoded']).default('raw'),
      status_code: z.union([int(), z.array(int())]).default([200]).transform((v) => (Array.isArray(v) ? v : [v])),
      return_content: bool().default(false),
      timeout: int().default(30),
      headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
      validate_certs: bool().default(true),
      follow_redirects: z.union([z.enum(['all', 'none', 'safe', 'urllib2']), bool()]).default('safe'),
      url_username: str().optional(),
      url_password: str().optional(),
      force_basic_auth: bool().default(false),
      creates: str().optional(),
      removes: str().optional(),
    })
    .strict(),
));
type Args = z.infer<ReturnType<typeof schema>>;

/** The request body and the content type it implies. */
export function encodeBody(a: Pick<Args, 'body' | 'body_format'>): { body?: string; type?: string } {
  if (a.body === undefined || a.body === null) return {};
  if (a.body_format === 'json') return { body: typeof a.body === 'string' ? a.body : JSON.stringify(a.body), type: 'application/json' };
  if (a.body_format === 'form-urlencoded') {
    const entries = typeof a.body === 'object' ? Object.entries(a.body as Record<string, unknown>) : [];
    const body = typeof a.body === 'string' ? a.body : new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString();
    return { body, type: 'application/x-www-form-urlencoded' };
  }
  return { body: typeof a.body === 'string' ? a.body : JSON.stringify(a.body) };
}

async function runUri(ctx: ModuleContext, a: Args): Promise<ModuleResult> {
  const { body, type } = encodeBody(a);
  const headers = { ...a.headers };
  if (type && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = type;
  const req: HttpRequest = {
    url: a.url, method: a.method, headers, timeout: a.timeout, validateCerts: a.validate_certs,
    followRedirects: a.follow_redirects !== 'none' && a.follow_redirects !== false,
    user: a.url_username, password: a.url_password, hasBody: body !== undefined,
  };
  const cmd = joinSh([
    a.creates ? sh`if [ -e ${a.creates} ]; then echo skipped; exit 0; fi; ` : sh``,
    a.removes ? sh`if [ ! -e ${a.removes} ]; then echo skipped; exit 0; fi; ` : sh``,
    sh`b=$(mktemp) && h=$(mktemp) || exit 1; trap 'rm -f "$b" "$h"' EXIT; `,
    httpFetchSh(req, 'b', 'h'),
    sh`echo "rc=$rc"; echo @@headers; cat "$h"; echo @@body; cat "$b"`,
  ], '');
  const r = await ctx.run(cmd, { stdin: httpStdin(req, body), timeoutMs: (a.timeout + 10) * 1000 });
  if (r.stdout.startsWith('skipped')) return { changed: false, skipped: true, msg: 'skipped, since a creates/removes condition holds' };
  if (r.code !== 0) return { changed: false, failed: true, rc: r.code, msg: r.stderr.trim() || `exit ${r.code}` };
  const at = r.stdout.indexOf('\n@@body\n');
  const head = r.stdout.slice(0, at);
  const content = r.stdout.slice(at + '\n@@body\n'.length);
  const status = Number(/^status=(\d+)/m.exec(head)?.[1] ?? 0);
  const rc = Number(/^rc=(\d+)/m.exec(head)?.[1] ?? 0);
  const parsed = parseHeaders(head.slice(head.indexOf('@@headers\n') + '@@headers\n'.length));
  const result: ModuleResult = { changed: false, status, url: a.url, msg: `OK (${Buffer.byteLength(content)} bytes)`, ...parsed.headers };
  if (a.return_content) result.content = content;
  if (/json/.test(parsed.headers.content_type ?? '')) {
    try {
      result.json = JSON.parse(content);
    } catch {
      /* not JSON after all */
    }
  }
  if (status === 0 || (rc !== 0 && !a.status_code.includes(status))) {
    return { ...result, failed: true, msg: `Status code was -1 and not [${a.status_code.join(', ')}]: Request failed: ${r.stderr.trim() || `exit ${rc}`}` };
  }
  if (!a.status_code.includes(status)) {
    return { ...result, failed: true, msg: `Status code was ${status} and not [${a.status_code.join(', ')}]: HTTP Error ${status}: ${parsed.reason}` };
  }
  return result;
}

export const uri: ModuleDef<Args> = {
  name: 'uri',
  get schema() {
    return schema();
  },
  // like Ansible: a request may change the far side, so check mode skips it
  checkMode: false,
  run: runUri,
};
