import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeSync, type DirectorState } from '../../../src/verify/checks.js';
import { parseKeepalivedConf, parseSyncDaemons } from '../../../src/verify/parse.js';

/** A director as step 1 sees it: its keepalived.conf and `ipvsadm -L --daemon`. */
function director(name: string, conf: string, daemons: string): DirectorState {
  return { runner: { name }, conf: parseKeepalivedConf(conf), syncd: parseSyncDaemons(daemons) } as unknown as DirectorState;
}
const d = (role: string, id = 51) => `${role} sync daemon (mcast=eth0, syncid=${id}, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n`;
const KEEPALIVED_SYNC = 'global_defs {\n   lvs_sync_daemon eth0 VI_1 id 51\n}\n';

test('IPVS sync: both daemons on every director (the role\'s unit) pass; a missing one or another sync id fails', () => {
  const lb1 = director('lb1', '', d('master') + d('backup'));
  const lb2 = director('lb2', '', d('master') + d('backup'));
  assert.deepEqual(judgeSync(lb1, [lb1, lb2]), { ok: true, detail: 'lb1: master (eth0, syncid 51), backup (eth0, syncid 51); lb2: master (eth0, syncid 51), backup (eth0, syncid 51)' });
  const half = director('lb2', '', d('master'));
  const v = judgeSync(lb1, [lb1, half])!;
  assert.equal(v.ok, false);
  assert.match(v.detail, /^lb2 runs no backup sync daemon; /);
  const other = director('lb2', '', d('master', 7) + d('backup', 7));
  assert.match(judgeSync(lb1, [lb1, other])!.detail, /the sync ids differ \(51, 7\)/);
});

test('IPVS sync: keepalived\'s lvs_sync_daemon is held to master on the VIP holder, backup on the others', () => {
  const lb1 = director('lb1', KEEPALIVED_SYNC, d('master'));
  const lb2 = director('lb2', KEEPALIVED_SYNC, d('backup'));
  assert.equal(judgeSync(lb1, [lb1, lb2])!.ok, true);
  const v = judgeSync(lb2, [lb1, lb2])!;
  assert.equal(v.ok, false);
  assert.match(v.detail, /lb1 runs no backup sync daemon \(keepalived runs it: lvs_sync_daemon\); lb2 runs no master sync daemon/);
});

test('IPVS sync: nothing to judge where no director syncs', () => {
  const lb1 = director('lb1', '', '');
  assert.equal(judgeSync(lb1, [lb1, director('lb2', '', '')]), undefined);
});
