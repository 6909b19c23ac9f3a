import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Task } from '../../../src/config/model.js';
import { batches } from '../../../src/engine/play.js';
import { selected } from '../../../src/engine/select.js';

const task = (tags: string[]) => ({ inherited: { tags } }) as unknown as Task;

test('tags: all by default, never unless asked, always unless skipped', () => {
  const none = { tags: [], skipTags: [] };
  assert.equal(selected(task([]), none), true);
  assert.equal(selected(task(['never']), none), false);
  assert.equal(selected(task(['never', 'debug']), { tags: ['debug'], skipTags: [] }), true);
  assert.equal(selected(task(['always']), { tags: ['web'], skipTags: [] }), true);
  assert.equal(selected(task(['always']), { tags: [], skipTags: ['always'] }), false);
  assert.equal(selected(task(['web']), { tags: ['db'], skipTags: [] }), false);
  assert.equal(selected(task(['web']), { tags: [], skipTags: ['web'] }), false);
  assert.equal(selected(task([]), { tags: ['untagged'], skipTags: [] }), true);
  assert.equal(selected(task(['x']), { tags: ['tagged'], skipTags: [] }), true);
});

test('serial: numbers, percentages and lists, the last size repeating', () => {
  const hosts = ['a', 'b', 'c', 'd', 'e'];
  assert.deepEqual(batches(hosts), [hosts]);
  assert.deepEqual(batches(hosts, [2]), [['a', 'b'], ['c', 'd'], ['e']]);
  assert.deepEqual(batches(hosts, ['40%']), [['a', 'b'], ['c', 'd'], ['e']]);
  assert.deepEqual(batches(hosts, [1, 3]), [['a'], ['b', 'c', 'd'], ['e']]);
  assert.throws(() => batches(hosts, ['many']), /serial/);
});
