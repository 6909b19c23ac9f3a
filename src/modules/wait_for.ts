/**
 * wait_for: wait on the host for a TCP port, a file, or a regex in a file, in ONE remote sh loop.
 * A port counts as open when a connection succeeds: through bash's /dev/tcp (under `timeout`)
 * when bash exists, else `nc -z`, else (busybox hosts without either) when /proc/net/tcp{,6}
 * shows a listening socket on that port, which only answers for ports of the host itself.
 * search_regex is a POSIX extended regex (grep -E), not a Python one.
 */
import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { int, str, strList, lazySchema } from './lib/args.js';
import type { ModuleDef } from './types.js';

const STATES = ['started', 'stopped', 'present', 'absent', 'drained'] as const;

const schema = lazySchema(() => withRules(
  z
    .object({
      host: str().default('127.0.0.1'),
      port: int().optional(),
      path: str().optional(),
      state: z.enum(STATES, { error: `expected one of ${STATES.join(', ')}` }).default('started'),
      search_regex: str().optional(),
      delay: int().default(0),
      sleep: int().default(1),
      timeout: int().default(300),
      connect_timeout: int().default(5),
      msg: str().optional(),
      exclude_hosts: strList().optional(),
      active_connection_states: strList().optional(),
    })
    .strict(),
));

function withRules<T extends z.ZodType<{ port?: number; path?: string; state: string; search_regex?: string }>>(s: T) {
  return s.superRefine((a, c) => {
    if (a.port !== undefined && a.path !== undefined) c.addIssue({ code: 'custom', path: ['path'], message: 'port and path parameter can not both be passed to wait_for' });
    if (a.state === 'drained') c.addIssue({ code: 'custom', path: ['state'], message: 'state=drained is not supported by harun: use stopped' });
    if (a.path !== undefined && a.state === 'stopped') c.addIssue({ code: 'custom', path: ['state'], message: 'state=stopped should only be used for checking a port in the wait_for module' });
    if (a.port !== undefined && a.search_regex !== undefined) c.addIssue({ code: 'custom', path: ['search_regex'], message: 'harun supports search_regex with path only, not with port' });
    if (a.search_regex !== undefined && a.state === 'absent') c.addIssue({ code: 'custom', path: ['search_regex'], message: 'search_regex needs state present or started' });
  });
}

export type WaitForArgs = z.infer<ReturnType<typeof schema>>;

/** sh function port_open HOST PORT (see the header comment for the fallbacks). */
function portOpenFn(connectTimeout: number): string {
  return (
    `port_open() { ` +
    `if command -v bash >/dev/null 2>&1; then timeout ${connectTimeout} bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null; return; fi; ` +
    `if command -v nc >/dev/null 2>&1; then nc -z -w ${connectTimeout} "$1" "$2" 2>/dev/null; return; fi; ` +
    `hp=$(printf '%04X' "$2"); cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":$hp [0-9A-F]*:[0-9A-F]* 0A"; }; `
  );
}

export const waitFor: ModuleDef<WaitForArgs> = {
  name: 'wait_for',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a) {
    const started = a.state === 'started' || a.state === 'present';
    let test: string;
    let what: string;
    if (a.port !== undefined) {
      test = started ? 'port_open "$h" "$port"' : '! port_open "$h" "$port"';
      what = started ? `${a.host}:${a.port}` : `${a.host}:${a.port} to stop`;
    } else if (a.path !== undefined) {
      if (a.search_regex !== undefined) {
        test = '[ -f "$p" ] && grep -Eq -- "$re" "$p"';
        what = `search string ${a.search_regex} in ${a.path}`;
      } else {
        test = started ? '[ -e "$p" ]' : '[ ! -e "$p" ]';
        what = started ? `file ${a.path}` : `${a.path} to be absent`;
      }
    } else {
      // neither port nor path: Ansible just sleeps for timeout
      test = 'false';
      what = '';
    }
    // after the quoted values, fixed text and the schema's integers
    const script = sh`h=${a.host}; port=${a.port ?? ''}; p=${a.path ?? ''}; re=${a.search_regex ?? ''}; ${raw(
        (a.port !== undefined ? portOpenFn(a.connect_timeout) : '') +
          `s0=$(date +%s); sleep ${a.delay}; end=$(( $(date +%s) + ${a.timeout} )); ` +
          `while :; do if ${test}; then echo "ok $(( $(date +%s) - s0 ))"; exit 0; fi; ` +
          `now=$(date +%s); if [ "$now" -ge "$end" ]; then echo "timeout $(( now - s0 ))"; exit 0; fi; ` +
          `sleep ${Math.max(1, a.sleep)}; done`,
      )}`;
    const r = await ctx.run(script, { timeoutMs: (a.delay + a.timeout + a.connect_timeout + 30) * 1000 });
    if (r.code !== 0) return { changed: false, failed: true, msg: `wait_for could not run on the host: ${r.stderr.trim() || r.signal || `exit ${r.code}`}` };
    const [outcome, secs] = r.stdout.trim().split('\n').pop()!.split(' ');
    const base = { changed: false, elapsed: Number(secs), state: a.state, ...(a.port !== undefined ? { port: a.port } : {}), ...(a.path !== undefined ? { path: a.path } : {}) };
    if (outcome === 'ok') return { ...base, ...(a.search_regex !== undefined ? { search_regex: a.search_regex } : {}) };
    if (!what) return base;
    return { ...base, failed: true, msg: a.msg ?? `Timeout when waiting for ${what}` };
  },
};
