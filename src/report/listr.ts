import { Listr } from 'listr2';
import type { RunEvent } from './events.js';
import { banner, debugShown, failureText, recapLines } from './format.js';
import type { Reporter } from './index.js';
import { profileLines } from './profile.js';

type HostResult = Extract<RunEvent, { kind: 'host_result' }>;

/**
 * The terminal view: one listr2 list per task with a line per host. Lists render one after
 * the other (a chain), while results arrive from the engine as they happen.
 */
export class ListrReporter implements Reporter {
  private chain: Promise<void> = Promise.resolve();
  /** The current task's hosts: resolvers waiting for a result, or results that came first. */
  private cur = { waiting: new Map<string, (r: HostResult) => void>(), early: new Map<string, HostResult>() };

  constructor(private verbosity: number) {}

  private print(s: string): void {
    this.chain = this.chain.then(() => void process.stdout.write(s + '\n'));
  }

  on(e: RunEvent): void {
    switch (e.kind) {
      case 'play_start':
        this.print(`\n${banner(`PLAY [${e.name}]${e.check ? ' (check mode)' : ''}`)}`);
        return;
      case 'task_start': {
        const cur = (this.cur = { waiting: new Map(), early: new Map() });
        const title = `${e.handler ? 'HANDLER' : 'TASK'} [${e.name}]`;
        const hostTask = (h: string) => ({
          title: h,
          task: async (_: unknown, t: { title: string; output: string; skip: (m?: string) => void }) => {
            const r = cur.early.get(h) ?? (await new Promise<HostResult>((res) => cur.waiting.set(h, res)));
            const items = r.item !== undefined ? ` (item=${r.item})` : '';
            const shown = r.module === 'debug' && !('censored' in r.result) ? ` => ${JSON.stringify(debugShown(r.result))}` : '';
            t.title = `${h}: ${r.status}${items}${r.ms > 1000 ? ` (${(r.ms / 1000).toFixed(1)} s)` : ''}${shown}`;
            if (r.status === 'failed' && !r.ignored) throw new Error(`${h}: ${failureText(r.result)}`);
            if (r.status === 'unreachable') throw new Error(`${h}: UNREACHABLE ${failureText(r.result)}`);
            if (r.status === 'skipped') t.skip(`${h}: skipped`);
            if (this.verbosity > 0 && !('censored' in r.result)) t.output = JSON.stringify(r.result);
          },
        });
        const list = new Listr(
          [{ title, task: (_: unknown, t: any) => t.newListr(e.hosts.map(hostTask), { concurrent: true, exitOnError: false }) }],
          { exitOnError: false, rendererOptions: { collapseSubtasks: false, collapseErrors: false, showErrorMessage: true } as any },
        );
        this.chain = this.chain.then(() => list.run().then(() => undefined, () => undefined));
        return;
      }
      case 'host_result': {
        if (e.item !== undefined) return;
        const w = this.cur.waiting.get(e.host);
        if (w) w(e);
        else this.cur.early.set(e.host, e);
        return;
      }
      case 'task_end':
        return;
      case 'warning':
        this.print(`[WARNING]: ${e.message}`);
        return;
      case 'verbose':
        this.print(`${e.host ? `<${e.host}> ` : ''}${e.message}`);
        return;
      case 'diff':
        this.print(e.text.trimEnd());
        return;
      case 'recap':
        this.print(`\n${banner('PLAY RECAP')}\n${recapLines(e.stats).join('\n')}`);
        return;
      case 'profile':
        this.print(`\n${banner('TASK PROFILE (slowest first)')}\n${profileLines(e.tasks).join('\n')}`);
        return;
      case 'interrupted':
        this.print('\n[ERROR]: interrupted: no new task started, running commands stopped');
        return;
      case 'playbook_start':
        return;
    }
  }

  done(): Promise<void> {
    return this.chain;
  }
}
