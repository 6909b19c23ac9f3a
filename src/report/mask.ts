import type { Reporter } from './index.js';
import type { RunEvent } from './events.js';
import { escapeRegExp } from '../vars/regex.js';

/**
 * Every value that came out of a vault is registered here when it is decrypted; everything
 * harun prints (reporter events, error messages, verify's report) passes through `mask`, so
 * a secret shows as ******** whatever path it took to the output. Hosts get the real value.
 *
 * Shorter fragments than MIN would mask ordinary words and numbers all over the output, so a
 * secret (or a line of a vaulted file) needs at least MIN characters to be registered.
 */
export const MASK = '********';
const MIN = 3;

const secrets = new Set<string>();
let pattern: RegExp | undefined;

function add(s: string): void {
  if (s.length < MIN || secrets.has(s)) return;
  secrets.add(s);
  pattern = undefined;
}

/** A decrypted value: itself, its lines, and the forms it takes inside JSON and sh quoting. */
export function registerSecret(value: string): void {
  // a line without a letter or digit ('---', '}') is structure, and would mask diff headers
  const lines = value.includes('\n') ? value.split(/\r?\n/).map((l) => l.trim()).filter((l) => /[\p{L}\p{N}]/u.test(l)) : [];
  const forms = [value, ...lines];
  for (const f of forms) {
    add(f);
    add(JSON.stringify(f).slice(1, -1));
    add(f.replace(/'/g, `'\\''`));
  }
}

/** How to reach a host, not secrets: an inventory encrypted whole still shows its hosts. */
export const NOT_SECRET = new Set(['ansible_host', 'ansible_port', 'ansible_user', 'ansible_connection', 'ansible_python_interpreter', 'ansible_become', 'ansible_become_user', 'ansible_become_method', 'ansible_shell_type']);

/** Every string (and long number) inside a decrypted document, but the NOT_SECRET variables'. */
export function registerSecretsIn(v: unknown): void {
  if (typeof v === 'string') registerSecret(v);
  else if (typeof v === 'number' && String(v).length >= 4) registerSecret(String(v));
  else if (Array.isArray(v)) v.forEach(registerSecretsIn);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (!NOT_SECRET.has(k)) registerSecretsIn(x);
}

export function hasSecrets(): boolean {
  return secrets.size > 0;
}

export function mask(s: string): string {
  if (!secrets.size) return s;
  // longest first, so that a secret containing another is masked whole
  pattern ??= new RegExp([...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  return s.replace(pattern, MASK);
}

/** A copy of v with every string masked (keys too: a vaulted value may be a key's text). */
export function maskDeep<T>(v: T): T {
  if (!secrets.size) return v;
  if (typeof v === 'string') return mask(v) as T;
  if (Array.isArray(v)) return v.map(maskDeep) as T;
  if (v && typeof v === 'object' && !(v instanceof Error)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[mask(k)] = maskDeep(x);
    return out as T;
  }
  return v;
}

/** The reporter every run uses: events reach the real reporter only after masking. */
export function masking(inner: Reporter): Reporter {
  return {
    on: (e: RunEvent) => inner.on(maskDeep(e)),
    done: () => inner.done(),
  };
}
