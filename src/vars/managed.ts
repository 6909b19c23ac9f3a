import { statSync } from 'node:fs';

/**
 * ansible_managed, as the template module defines it: the cfg's `ansible_managed` (default
 * "Ansible managed") with {host}, {uid}, {file} filled in and strftime codes expanded against the
 * template file's modification time.
 */

let format = 'Ansible managed';

/** Set once from the config file (`[defaults] ansible_managed`). */
export function setManagedFormat(f: string | undefined): void {
  format = f ?? 'Ansible managed';
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The strftime codes people put in ansible_managed, in local time. */
export function strftime(fmt: string, d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const codes: Record<string, () => string> = {
    Y: () => String(d.getFullYear()), y: () => p(d.getFullYear() % 100), m: () => p(d.getMonth() + 1), d: () => p(d.getDate()),
    H: () => p(d.getHours()), I: () => p(((d.getHours() + 11) % 12) + 1), M: () => p(d.getMinutes()), S: () => p(d.getSeconds()),
    p: () => (d.getHours() < 12 ? 'AM' : 'PM'), a: () => DAYS[d.getDay()].slice(0, 3), A: () => DAYS[d.getDay()],
    b: () => MONTHS[d.getMonth()].slice(0, 3), B: () => MONTHS[d.getMonth()], e: () => String(d.getDate()).padStart(2, ' '),
    j: () => p(Math.floor((d.getTime() - new Date(d.getFullYear(), 0, 1).getTime()) / 86400000) + 1, 3),
    z: () => `${off < 0 ? '-' : '+'}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`,
    Z: () => Intl.DateTimeFormat('en', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? '',
    s: () => String(Math.floor(d.getTime() / 1000)), '%': () => '%',
  };
  return fmt.replace(/%([A-Za-z%])/g, (m, c) => (codes[c] ? codes[c]() : m));
}

export function ansibleManaged(templatePath: string, host: string, uid: string): string {
  const s = format.replace(/\{(host|uid|file)\}/g, (_m, k) => ({ host, uid, file: templatePath })[k as 'host' | 'uid' | 'file']);
  return strftime(s, statSync(templatePath).mtime);
}
