import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyStats } from '../../../src/report/events.js';
import { recapLines } from '../../../src/report/format.js';

test('the recap is ansible-playbook\'s: hosts sorted, name padded to 26, counts padded to 4', () => {
  const stats = { newhost: { ...emptyStats(), ok: 1 }, localhost: { ...emptyStats(), ok: 7, changed: 4 }, 'a-host-name-longer-than-26-chars': { ...emptyStats(), failed: 12345 } };
  // copied from ansible-playbook 2.14 (ANSIBLE_NOCOLOR=1) on the same counts
  assert.deepEqual(recapLines(stats), [
    'a-host-name-longer-than-26-chars : ok=0    changed=0    unreachable=0    failed=12345 skipped=0    rescued=0    ignored=0   ',
    'localhost                  : ok=7    changed=4    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
    'newhost                    : ok=1    changed=0    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   ',
  ]);
});
