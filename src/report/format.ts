import type { HostStats, RunEvent } from './events.js';

type HostResult = Extract<RunEvent, { kind: 'host_result' }>;

export const banner = (title: string, width = 79) => `${title} ${'*'.repeat(Math.max(3, width - title.length - 1))}`;

/** Keys worth showing for a failure, in the order a reader wants them. */
const FAIL_KEYS = ['msg', 'cmd', 'rc', 'stderr', 'stdout'];

export function failureText(result: HostResult['result']): string {
  if ('censored' in result) return JSON.stringify(result);
  const shown: Record<string, unknown> = {};
  for (const k of FAIL_KEYS) {
    const v = result[k];
    if (v === undefined || v === '' || v === null) continue;
    shown[k] = typeof v === 'string' && v.length > 2000 ? v.slice(-2000) : v;
  }
  if (Array.isArray(result.results)) {
    shown.failed_items = (result.results as Record<string, unknown>[]).filter((r) => r.failed).map((r) => r.msg);
  }
  return JSON.stringify(shown);
}

/** Ansible's one-line host outcome: `changed: [web1] => (item=x)`. */
export function hostLine(e: HostResult, verbosity: number): string {
  const item = e.item !== undefined ? ` => (item=${e.item})` : '';
  const res = e.result;
  switch (e.status) {
    case 'ok':
    case 'changed': {
      const msg = 'censored' in res ? '' : verbosity > 0 ? ` => ${JSON.stringify(res)}` : e.module === 'debug' ? ` => ${JSON.stringify(debugShown(res))}` : '';
      return `${e.status}: [${e.host}]${item}${msg}`;
    }
    case 'skipped':
      return `skipping: [${e.host}]${item}`;
    case 'unreachable':
      return `fatal: [${e.host}]: UNREACHABLE! => ${JSON.stringify({ msg: 'censored' in res ? res.censored : res.msg })}`;
    case 'failed':
      return `${e.item !== undefined ? `failed: [${e.host}]${item}` : `fatal: [${e.host}]: FAILED!`} => ${failureText(res)}${e.ignored ? '\n...ignoring' : ''}`;
  }
}

/** debug's own output: its msg or its variable, without the bookkeeping keys. */
export function debugShown(res: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(res).filter(([k]) => k !== 'changed' && !k.startsWith('_')));
}

/**
 * ansible-playbook's recap, byte for byte (its default callback without colour): hosts sorted,
 * the name padded to 26 columns ("%-26s"), each count as "name=%-4s".
 */
export function recapLines(stats: Record<string, HostStats>): string[] {
  return Object.keys(stats).sort().map((n) => {
    const s = stats[n];
    const counts = (['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'] as const).map((k) => `${k}=${String(s[k]).padEnd(4)}`);
    return `${n.padEnd(26)} : ${counts.join(' ')}`;
  });
}
