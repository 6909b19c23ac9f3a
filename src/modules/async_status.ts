/** async_status: the status of a job a task started with `async` (poll 0), or its removal (mode=cleanup). */
import { z } from 'zod';
import { lazySchema, str } from './lib/args.js';
import { readJob, removeJob, statusResult } from './lib/job.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z.object({ jid: str(), mode: z.enum(['status', 'cleanup']).default('status') }).strict());

export type AsyncStatusArgs = z.infer<ReturnType<typeof schema>>;

export const asyncStatus: ModuleDef<AsyncStatusArgs> = {
  name: 'async_status',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a) {
    if (a.mode === 'status') return statusResult(a.jid, await readJob(ctx, a.jid, false));
    const { found, file } = await removeJob(ctx, a.jid);
    const base = { ansible_job_id: a.jid, erased: file, stdout: '', stderr: '', stdout_lines: [], stderr_lines: [] };
    if (!found) return { ...base, changed: false, failed: true, msg: 'could not find job', started: 1, finished: 1 };
    return { ...base, changed: false, started: 0, finished: 0 };
  },
};
