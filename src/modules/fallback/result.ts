/** Ansible's JSON module result, mapped into harun's result as Ansible's task executor reads it. */
import type { ExecResult } from '../../transport/types.js';
import type { FileDiff, ModuleResult } from '../types.js';

/** Ansible's _filter_non_json_lines: text before the first `{` line and after the last `}` line is noise. */
export function jsonOf(stdout: string): Record<string, unknown> | undefined {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.trimStart().startsWith('{'));
  if (start < 0) return undefined;
  let end = lines.length - 1;
  while (end > start && !lines[end].trimEnd().endsWith('}')) end--;
  try {
    const v = JSON.parse(lines.slice(start, end + 1).join('\n'));
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v, null, 4) + '\n');

/** A module's `diff` (one mapping or a list; before/after or a prepared text) as harun's diffs. */
export function diffsOf(d: unknown): FileDiff[] | undefined {
  const list = (Array.isArray(d) ? d : d && typeof d === 'object' ? [d] : []) as Record<string, unknown>[];
  const out: FileDiff[] = [];
  for (const x of list) {
    if (typeof x.prepared === 'string') out.push({ path: '', before: '', after: '', prepared: x.prepared });
    else if ('before' in x || 'after' in x) {
      const beforeHeader = x.before_header === undefined ? undefined : String(x.before_header);
      const afterHeader = x.after_header === undefined ? undefined : String(x.after_header);
      out.push({ path: beforeHeader ?? afterHeader ?? '', before: text(x.before), after: text(x.after), beforeHeader, afterHeader });
    }
  }
  return out.length ? out : undefined;
}

/** The result of one run of a module payload. */
export function mapResult(fqcn: string, r: ExecResult): ModuleResult {
  const data = jsonOf(r.stdout);
  if (!data) {
    return {
      changed: false,
      failed: true,
      msg: `MODULE FAILURE (${fqcn}): no JSON result${r.signal ? `; ended by ${r.signal}` : ''}\nSee stdout/stderr for the exact error`,
      module_stdout: r.stdout,
      module_stderr: r.stderr,
      rc: r.code,
    };
  }
  const out: ModuleResult = { changed: false };
  for (const [k, v] of Object.entries(data)) {
    if (k === '_ansible_no_log') {
      if (v) out._no_log = true;
    } else if (!k.startsWith('_ansible_')) out[k] = v;
  }
  out.changed = data.changed === true || data.changed === 'true';
  // Ansible's task executor: no `failed` key means failed when rc is there and not 0
  if (data.failed === undefined) out.failed = data.rc !== undefined && data.rc !== 0 && data.rc !== '0' ? true : undefined;
  else out.failed = data.failed === true || undefined;
  if (data.skipped !== undefined) out.skipped = data.skipped === true || undefined;
  const diff = diffsOf(data.diff);
  if (diff) out.diff = diff;
  else delete out.diff;
  if (data.ansible_facts && typeof data.ansible_facts === 'object') out.facts = data.ansible_facts as Record<string, unknown>;
  if (r.stderr.trim() && data.failed) out.module_stderr ??= r.stderr;
  return out;
}
