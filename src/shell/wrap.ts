import { toBool } from '../vars/filters.js';
import { asShell, quote, type Sh } from './sh.js';

export interface Become {
  become: boolean;
  user: string;
  method: 'sudo' | 'su';
  /** Sent through stdin, never on a command line. */
  password?: string;
}

/**
 * become as Ansible resolves it for one command on one host: the task's keywords (become,
 * become_user, become_method) first, then the host's ansible_become* variables, then the command
 * line's --become, --become-user and password. The engine and verify both resolve it here.
 */
export function resolveBecome(
  vars: Record<string, unknown>,
  keywords: { become?: boolean; user?: string; method?: string } = {},
  cli: { become?: boolean; user?: string; password?: string } = {},
): Become | undefined {
  const on = keywords.become ?? (vars.ansible_become !== undefined ? toBool(vars.ansible_become) : undefined) ?? cli.become ?? false;
  if (!on) return undefined;
  const pw = vars.ansible_become_password ?? vars.ansible_become_pass ?? cli.password;
  return {
    become: true,
    user: String(keywords.user ?? vars.ansible_become_user ?? cli.user ?? 'root'),
    method: (keywords.method ?? vars.ansible_become_method ?? 'sudo') === 'su' ? 'su' : 'sudo',
    password: pw === undefined ? undefined : String(pw),
  };
}

export interface Wrapping {
  become?: Become;
  environment?: Record<string, string>;
  chdir?: string;
}

/**
 * The one place where become, environment and cwd are applied to a remote command.
 * Returns the command to send and the bytes to put before the caller's stdin. Become to the
 * user the command already runs as (loginUser, e.g. root to root) wraps nothing: no sudo and no
 * second shell start on the host for a change of user that does not happen.
 */
export function wrap(cmd: Sh, w: Wrapping, loginUser?: string): { cmd: Sh; stdinPrefix: string } {
  let inner: string = cmd;
  if (w.chdir) inner = `cd ${quote(w.chdir)} && ${inner}`;
  const env = Object.entries(w.environment ?? {});
  if (env.length) inner = env.map(([k, v]) => `${k}=${quote(v)}`).join(' ') + ` && export ${env.map(([k]) => k).join(' ')} && ${inner}`;
  const b = w.become;
  if (!b?.become || b.user === loginUser) return { cmd: asShell(inner), stdinPrefix: '' };
  const sub = `/bin/sh -c ${quote(inner)}`;
  if (b.method === 'su') {
    // su reads the password from a terminal only; harun supports it without a password (root login)
    return { cmd: asShell(`su ${quote(b.user)} -s /bin/sh -c ${quote(inner)}`), stdinPrefix: '' };
  }
  if (b.password === undefined) {
    return { cmd: asShell(`sudo -H -n -u ${quote(b.user)} -- ${sub}`), stdinPrefix: '' };
  }
  // The first stdin line is the password: validate it once with -v, then run with -n so that
  // the rest of stdin reaches the command whether or not sudo would have asked. No `exec` before
  // the second sudo: without a tty, sudo keys its credential cache by parent pid, which must be
  // this shell for both calls.
  const cmdOut =
    `IFS= read -r harun_pw; printf '%s\\n' "$harun_pw" | sudo -S -p '' -v 2>/dev/null` +
    ` || { echo 'harun: sudo: incorrect become password or no sudo rights' >&2; exit 1; };` +
    ` unset harun_pw; sudo -H -n -u ${quote(b.user)} -- ${sub}`;
  return { cmd: asShell(cmdOut), stdinPrefix: b.password + '\n' };
}
