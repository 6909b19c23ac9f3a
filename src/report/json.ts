import type { RunEvent } from './events.js';
import type { Reporter } from './index.js';
import { slowest } from './profile.js';

interface JsonTask {
  /** duration_ms: the task's wall time over all its hosts; each host's own is in its result. */
  task: { name: string; path?: string; handler: boolean; duration_ms?: number };
  hosts: Record<string, unknown>;
}

/** One JSON document at the end: plays, tasks, every host result, the recap. */
export class JsonReporter implements Reporter {
  private doc: { plays: { play: { name: string }; tasks: JsonTask[] }[]; warnings: string[]; stats?: unknown; elapsed_ms?: number; profile?: unknown[]; interrupted?: boolean } = { plays: [], warnings: [] };

  on(e: RunEvent): void {
    const play = this.doc.plays[this.doc.plays.length - 1];
    const task = play?.tasks[play.tasks.length - 1];
    switch (e.kind) {
      case 'play_start':
        this.doc.plays.push({ play: { name: e.name }, tasks: [] });
        return;
      case 'task_start':
        play?.tasks.push({ task: { name: e.name, path: e.source ? `${e.source.file}:${e.source.line}` : undefined, handler: e.handler }, hosts: {} });
        return;
      case 'host_result':
        if (task && e.item === undefined) task.hosts[e.host] = { status: e.status, ...(e.ignored ? { ignored: true } : {}), ...e.result, duration_ms: e.ms };
        return;
      case 'task_end':
        if (task && task.task.name === e.name) task.task.duration_ms = e.ms;
        return;
      case 'profile':
        this.doc.profile = slowest(e.tasks, Infinity).map((t) => ({
          name: t.name, path: t.source ? `${t.source.file}:${t.source.line}` : undefined, handler: t.handler, hosts: t.hosts, duration_ms: t.ms,
        }));
        return;
      case 'warning':
        this.doc.warnings.push(e.message);
        return;
      case 'recap':
        this.doc.stats = e.stats;
        this.doc.elapsed_ms = e.elapsedMs;
        return;
      case 'interrupted':
        this.doc.interrupted = true;
        return;
      case 'playbook_start':
      case 'verbose':
      case 'diff':
        return;
    }
  }

  async done(): Promise<void> {
    process.stdout.write(JSON.stringify(this.doc, null, 2) + '\n');
  }
}
