/**
 * The figures of a verify report as a list of (key, label, value, text), for the reports that
 * show them beside the checks (JUnit properties, the HTML page). Built from the result object's
 * fields, whatever they are, not from the plain text: a figure added or renamed in Figures shows
 * up here without a change. `key` is the JSON field; `value` its JSON value.
 */
import { describeBound, formatCounts, type VrrpBound } from './figures.js';
import type { Figures } from './report.js';

export interface FigureItem {
  key: string;
  label: string;
  value: unknown;
  text: string;
}

/** Clearer names for the figures verify has now; any other field is named after its key. */
const LABELS: Record<string, string> = {
  outageMs: 'client-observed outage',
  outageEarliestMs: 'client-observed outage at the earliest',
  takeoverMs: 'VIP takeover',
  takeoverEarliestMs: 'VIP takeover at the earliest',
  bound: 'VRRP bound',
  returnMs: 'VIP back on the old master after its restart (crash: after its boot began)',
  requestsLost: 'requests lost in the outage',
  probeFailed: 'probe requests failed in all',
  scheduledBefore: 'IPVS scheduled before',
  scheduledAfter: 'IPVS scheduled after',
  longLivedConnections: 'long-lived connections open through the failover',
  longLivedBroken: 'long-lived connections broken',
};

/** camelCase field to words; a trailing Ms is the unit. */
function label(key: string): string {
  return LABELS[key] ?? key.replace(/Ms$/, '').replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
}

const isBound = (v: unknown): v is VrrpBound => typeof v === 'object' && v !== null && 'boundMs' in v && 'advertIntS' in v;

function text(key: string, v: unknown): string {
  if (typeof v === 'number') return /Ms$/.test(key) ? `${Math.round(v)} ms` : String(v);
  if (isBound(v)) return describeBound(v);
  if (typeof v === 'object' && v !== null && Object.values(v).every((x) => typeof x === 'number')) return formatCounts(v as Record<string, number>);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function figureList(f: Figures): FigureItem[] {
  return Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([key, value]) => ({ key, label: label(key), value, text: text(key, value) }));
}
