import type { RunEvent } from './events.js';
import { banner, hostLine, recapLines } from './format.js';
import { profileLines } from './profile.js';
import { formatPos } from '../errors.js';
import type { Reporter } from './index.js';

/** Ansible-like lines, one event at a time: for CI logs and pipes. */
export class PlainReporter implements Reporter {
  constructor(private verbosity: number, private out: (s: string) => void = (s) => process.stdout.write(s + '\n')) {}

  on(e: RunEvent): void {
    switch (e.kind) {
      case 'playbook_start':
        if (this.verbosity > 0) this.out(`PLAYBOOK: ${e.file}`);
        return;
      case 'play_start':
        this.out(`\n${banner(`PLAY [${e.name}]${e.check ? ' (check mode)' : ''}`)}`);
        return;
      case 'task_start':
        this.out(`\n${banner(`${e.handler ? 'RUNNING HANDLER' : 'TASK'} [${e.name}]`)}`);
        if (this.verbosity > 1 && e.source) this.out(`task path: ${formatPos(e.source)}`);
        return;
      case 'host_result':
        // loops print one line per item, then the aggregate only when it adds something
        if (e.item === undefined && 'results' in e.result && Array.isArray(e.result.results) && e.status !== 'failed' && e.status !== 'unreachable') return;
        this.out(hostLine(e, this.verbosity));
        return;
      case 'task_end':
        return;
      case 'warning':
        this.out(`[WARNING]: ${e.source ? formatPos(e.source) + ': ' : ''}${e.message}`);
        return;
      case 'verbose':
        this.out(`${e.host ? `<${e.host}> ` : ''}${e.message}`);
        return;
      case 'diff':
        this.out(e.text.trimEnd());
        return;
      case 'recap':
        this.out(`\n${banner('PLAY RECAP')}`);
        for (const l of recapLines(e.stats)) this.out(l);
        if (this.verbosity > 0) this.out(`elapsed: ${(e.elapsedMs / 1000).toFixed(2)} s`);
        return;
      case 'profile':
        this.out(`\n${banner('TASK PROFILE (slowest first)')}`);
        for (const l of profileLines(e.tasks)) this.out(l);
        return;
      case 'interrupted':
        this.out('\n[ERROR]: interrupted: no new task started, running commands stopped');
        return;
    }
  }

  async done(): Promise<void> {}
}
