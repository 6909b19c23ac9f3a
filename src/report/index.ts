import type { RunEvent } from './events.js';
import { masking } from './mask.js';

export interface Reporter {
  on(e: RunEvent): void;
  /** Called once at the end: flush what is buffered (json, listr rendering). */
  done(): Promise<void>;
}

export type OutputKind = 'pretty' | 'plain' | 'json';

/** The reporter of a run, behind the mask that hides every vaulted value (report/mask.ts). */
export async function makeReporter(kind: OutputKind | undefined, verbosity: number): Promise<Reporter> {
  return masking(await innerReporter(kind, verbosity));
}

async function innerReporter(kind: OutputKind | undefined, verbosity: number): Promise<Reporter> {
  // a terminal that reports no width (some CI ptys) cannot be redrawn: plain lines there
  const k = kind ?? (process.stdout.isTTY && process.stdout.columns > 0 && !process.env.CI ? 'pretty' : 'plain');
  if (k === 'json') return new (await import('./json.js')).JsonReporter();
  if (k === 'pretty') return new (await import('./listr.js')).ListrReporter(verbosity);
  return new (await import('./plain.js')).PlainReporter(verbosity);
}
