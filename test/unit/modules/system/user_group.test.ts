import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { group, planGroup } from '../../../../src/modules/group.js';
import { parseUserProbe, planUser, user } from '../../../../src/modules/user.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { runModule } from './helpers.js';
import { LocalTransport } from '../../../../src/transport/local.js';

const ua = (o: Record<string, unknown>) => parseArgs('user', user.schema, o);
const ga = (o: Record<string, unknown>) => parseArgs('group', group.schema, o);

test('user plan: useradd, usermod for differences only, groups with and without append', () => {
  assert.equal(planUser(ua({ name: 'u', shell: '/bin/sh', groups: 'a,b', system: true }), undefined), 'useradd -G a,b -s /bin/sh -r -m u');
  const cur = parseUserProbe('u:x:1001:1001:Some One:/home/u:/bin/sh\n@@groups\nu a\n@@shadow\n!\n@@group\n');
  assert.deepEqual(cur && [cur.uid, cur.groups, cur.comment], [1001, ['a'], 'Some One']);
  assert.equal(planUser(ua({ name: 'u', shell: '/bin/sh', groups: ['a'] }), cur), undefined);
  assert.equal(planUser(ua({ name: 'u', groups: ['b'], append: true }), cur), 'usermod -a -G b u');
  assert.equal(planUser(ua({ name: 'u', groups: ['b'] }), cur), 'usermod -G b u');
  assert.equal(planUser(ua({ name: 'u', groups: [] }), cur), 'usermod -G \'\' u');
  assert.equal(planUser(ua({ name: 'u', comment: 'Other', uid: 1001 }), cur), 'usermod -c Other u');
  assert.equal(planUser(ua({ name: 'u', state: 'absent', remove: true }), cur), 'userdel -r u');
  assert.throws(() => ua({ name: 'u', uid: 'abc' }), /argument uid/);
  assert.throws(() => ua({ name: 'u', createhome: 'maybe' }), /argument create_home/);
});

test('group plan', () => {
  assert.equal(planGroup(ga({ name: 'g', gid: 3000, system: true }), undefined), 'groupadd -g 3000 -r g');
  assert.equal(planGroup(ga({ name: 'g', gid: 3000 }), { gid: 3000 }), undefined);
  assert.equal(planGroup(ga({ name: 'g', gid: 3001 }), { gid: 3000 }), 'groupmod -g 3001 g');
  assert.equal(planGroup(ga({ name: 'g', state: 'absent' }), undefined), undefined);
  assert.throws(() => ga({ name: 'g', gid: -1 }), /argument gid/);
});

test('on this host: group and user created, unchanged, modified, removed; check mode changes nothing', async () => {
  const name = `harun-tmp-${process.pid % 100000}`;
  // a group named unlike the user: userdel removes a same-named primary group by itself
  const gname = `${name}g`;
  const exists = (db: string) => {
    try {
      execSync(`getent ${db} ${db === 'group' ? gname : name}`, { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  try {
    assert.equal((await runModule(group, { name: gname, gid: 45678 }, { check: true })).changed, true);
    assert.equal(exists('group'), false);
    const g1 = await runModule(group, { name: gname, gid: 45678 });
    assert.deepEqual([g1.changed, g1.gid], [true, 45678]);
    assert.equal((await runModule(group, { name: gname, gid: 45678 })).changed, false);

    const ua = { name, group: gname, groups: ['users'], shell: '/bin/sh', home: `/tmp/${name}-home`, comment: 'harun test' };
    assert.equal((await runModule(user, ua, { check: true })).changed, true);
    assert.equal(exists('passwd'), false);
    const u1 = await runModule(user, ua);
    assert.equal(u1.changed, true, String(u1.msg));
    assert.equal(execSync(`getent passwd ${name}`).toString().split(':')[3], '45678');
    assert.match(execSync(`id -Gn ${name}`).toString(), /\busers\b/);
    assert.equal(existsSync(`/tmp/${name}-home`), true);
    const t = new LocalTransport('localhost');
    assert.equal((await runModule(user, ua, { transport: t })).changed, false);
    assert.equal(t.execs, 1, 'an unchanged user costs one round trip');
    const u3 = await runModule(user, { ...ua, shell: '/bin/bash' });
    assert.equal(u3.changed, true);
    assert.equal(execSync(`getent passwd ${name}`).toString().trim().split(':')[6], '/bin/bash');
    assert.equal((await runModule(user, { name, state: 'absent', remove: true })).changed, true);
    assert.equal(exists('passwd'), false);
    assert.equal((await runModule(user, { name, state: 'absent' })).changed, false);
    assert.equal((await runModule(group, { name: gname, state: 'absent' })).changed, true);
    assert.equal(exists('group'), false);
  } finally {
    execSync(`userdel -r ${name} 2>/dev/null; groupdel ${gname} 2>/dev/null; rm -rf /tmp/${name}-home; true`, { shell: '/bin/sh' });
  }
});

test('user: password_expire_min/max through chage, only what differs from shadow', () => {
  const cur = parseUserProbe('u:x:1001:1001::/home/u:/bin/sh\n@@groups\nu\n@@shadow\n$6$h:0:99999\n@@group\n')!;
  assert.equal(cur.password, '$6$h');
  assert.equal(planUser(ua({ name: 'u', password_expire_min: 0, password_expire_max: 99999 }), cur), undefined);
  assert.equal(planUser(ua({ name: 'u', password_expire_min: 1, password_expire_max: 99999 }), cur), 'chage -m 1 u');
  assert.equal(planUser(ua({ name: 'u', shell: '/bin/bash', password_expire_max: 90 }), cur), 'usermod -s /bin/bash u && chage -M 90 u');
  assert.equal(planUser(ua({ name: 'n', password_expire_min: 7, password_expire_max: 60 }), undefined), 'useradd -m n && chage -m 7 -M 60 n');
});
