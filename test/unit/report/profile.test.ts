import { test } from 'node:test';
import assert from 'node:assert/strict';
import { profileLines, slowest, type TaskTiming } from '../../../src/report/profile.js';
import { JsonReporter } from '../../../src/report/json.js';
import { PlainReporter } from '../../../src/report/plain.js';

const t = (name: string, ms: number, line?: number): TaskTiming => ({
  name, ms, handler: false, hosts: 2, ...(line ? { source: { file: '/repo/roles/k/tasks/main.yml', line, col: 3 } } : {}),
});

test('slowest: longest first, ties in run order, limited', () => {
  const tasks = [t('a', 10), t('b', 300), t('c', 10), t('d', 50)];
  assert.deepEqual(slowest(tasks).map((x) => x.name), ['b', 'd', 'a', 'c']);
  assert.deepEqual(slowest(tasks, 2).map((x) => x.name), ['b', 'd']);
  assert.deepEqual(slowest([]), []);
});

test('profileLines: name, path relative to cwd, seconds aligned, total and what was left out', () => {
  const lines = profileLines([t('Gathering Facts', 1234), t('Compile', 61_000, 40), t('Write', 5, 7)], 2, '/repo', 60);
  assert.equal(lines.length, 3);
  assert.match(lines[0], /^Compile \(roles\/k\/tasks\/main\.yml:40\) -+ 61\.00s$/);
  assert.match(lines[1], /^Gathering Facts -+ 1\.23s$/);
  assert.equal(lines[0].length, 60);
  assert.equal(lines[1].length, 60);
  assert.equal(lines[2], 'total of 3 tasks: 62.24s (1 faster tasks not shown)');
});

test('plain reporter prints the profile after the recap; json carries per-task and per-host durations', async () => {
  const out: string[] = [];
  const plain = new PlainReporter(0, (s) => out.push(s));
  plain.on({ kind: 'recap', stats: {}, elapsedMs: 5 });
  plain.on({ kind: 'profile', tasks: [t('slow', 2500), t('fast', 20)] });
  assert.match(out.join('\n'), /PLAY RECAP[\s\S]*TASK PROFILE \(slowest first\)[^\n]*\nslow -+ 2\.50s\nfast -+ 0\.02s\ntotal of 2 tasks: 2\.52s$/);

  const json = new JsonReporter();
  json.on({ kind: 'play_start', name: 'p', hosts: ['h1'], check: false });
  json.on({ kind: 'task_start', name: 'slow', handler: false, hosts: ['h1'] });
  json.on({ kind: 'host_result', task: 'slow', host: 'h1', status: 'ok', result: { changed: false }, ms: 2400 });
  json.on({ kind: 'task_end', ...t('slow', 2500) });
  json.on({ kind: 'profile', tasks: [t('fast', 20), t('slow', 2500)] });
  let written = '';
  const w = process.stdout.write;
  process.stdout.write = ((s: string) => ((written += s), true)) as typeof process.stdout.write;
  try {
    await json.done();
  } finally {
    process.stdout.write = w;
  }
  const doc = JSON.parse(written);
  assert.equal(doc.plays[0].tasks[0].task.duration_ms, 2500);
  assert.equal(doc.plays[0].tasks[0].hosts.h1.duration_ms, 2400);
  assert.deepEqual(doc.profile.map((x: { name: string; duration_ms: number }) => [x.name, x.duration_ms]), [['slow', 2500], ['fast', 20]]);
});
