import type { RunEvent } from './events.js';

export interface Reporter {
  on(e: RunEvent): void;
  /** Called once at the end: flush what is buffered (json, listr rendering). */
  done(): Promise<void>;
}

export type OutputKind = 'pretty' | 'plain' | 'json';

export async function makeReporter(kind: OutputKind | undefined, verbosity: number): Promise<Reporter> {
  // a terminal that reports no width (some CI ptys) cannot be redrawn: plain lines there
  const k = kind ?? (process.stdout.isTTY && process.stdout.columns > 0 && !process.env.CI ? 'pretty' : 'plain');
  if (k === 'json') return new (await import('./json.js')).JsonReporter();
  if (k === 'pretty') return new (await import('./listr.js')).ListrReporter(verbosity);
  return new (await import('./plain.js')).PlainReporter(verbosity);
}
