import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFacts } from '../../../src/facts/index.js';
import { parseLsb, parseMounts, parsePython, parseSelinux } from '../../../src/facts/extra.js';

test('ansible_lsb: lsb_release -a first, /etc/lsb-release otherwise', () => {
  const cmd = 'Distributor ID:\tDebian\nDescription:\tDebian GNU/Linux 12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n';
  assert.deepEqual(parseLsb(`#cmd\n${cmd}`).lsb, { id: 'Debian', description: 'Debian GNU/Linux 12 (bookworm)', release: '12', codename: 'bookworm', major_release: '12' });
  const file = 'DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\nDISTRIB_DESCRIPTION="Ubuntu 22.04.3 LTS"\n#cmd\n';
  assert.deepEqual(parseLsb(file).lsb, { id: 'Ubuntu', release: '22.04', codename: 'jammy', description: 'Ubuntu 22.04.3 LTS', major_release: '22' });
  assert.deepEqual(parseLsb('#cmd\n').lsb, {});
});

test('ansible_mounts: device and bind mounts with df figures; pseudo filesystems left out', () => {
  const text = [
    '/dev/vda / ext4 rw,relatime 0 0', 'proc /proc proc rw 0 0', 'tmpfs /run tmpfs rw 0 0',
    '/dev/vda /srv/with\\040space ext4 rw 0 0', 'nfs1:/export /mnt/nfs nfs4 rw 0 0',
    '#df', 'Filesystem 1-blocks Used Available Capacity Mounted on', '/dev/vda 1000000 400000 600000 40% /',
    '#dfi', 'Filesystem Inodes IUsed IFree IUse% Mounted on', '/dev/vda 500 100 400 20% /',
  ].join('\n');
  const m = parseMounts(text).mounts as any[];
  assert.deepEqual(m.map((x) => x.mount), ['/', '/srv/with space', '/mnt/nfs']);
  assert.equal(m[0].size_total, 1000000);
  assert.equal(m[0].size_available, 600000);
  assert.equal(m[0].inode_used, 100);
  assert.equal(m[2].fstype, 'nfs4');
  // GNU df: blocks and inodes from one --output table
  const gnu = [
    '/dev/vda / ext4 rw,relatime 0 0', '/dev/vda /srv/with\\040space ext4 rw 0 0', 'vfat0 /boot/efi vfat rw 0 0', '/dev/vdb1 /boot/efi vfat rw 0 0',
    '#dfo', 'Filesystem 1B-blocks Used Avail Inodes IUsed IFree Mounted on',
    '/dev/vda 1000000 400000 600000 500 100 400 /', '/dev/vda 2000000 0 2000000 50 1 49 /srv/with space', '/dev/vdb1 4096 0 4096 - - - /boot/efi',
  ].join('\n');
  const g = parseMounts(gnu).mounts as any[];
  assert.deepEqual(g.map((x) => [x.mount, x.size_total, x.size_available, x.inode_total, x.inode_used, x.inode_available]), [
    ['/', 1000000, 600000, 500, 100, 400], ['/srv/with space', 2000000, 2000000, 50, 1, 49], ['/boot/efi', 4096, 4096, NaN, NaN, NaN],
  ]);
});

test('ansible_selinux and ansible_python as Ansible reports them', () => {
  assert.deepEqual(parseSelinux(''), { selinux: { status: 'disabled' } });
  assert.deepEqual(parseSelinux('enforce=1\npolicyvers=33\nSELINUX=enforcing\nSELINUXTYPE=targeted\n').selinux, { status: 'enabled', mode: 'enforcing', config_mode: 'enforcing', type: 'targeted', policyvers: 33 });
  const py = parsePython('/usr/bin/python3\n3\n11\n2\nfinal\n0\ncpython\n1\n0\n');
  assert.deepEqual(py.python, { executable: '/usr/bin/python3', has_sslcontext: true, type: 'cpython', version: { major: 3, minor: 11, micro: 2, releaselevel: 'final', serial: 0 }, version_info: [3, 11, 2, 'final', 0] });
  assert.equal(py.python_version, '3.11.2');
  assert.deepEqual(parsePython(''), {}, 'no python3: no ansible_python');
  const all = parseFacts('@@harun:selinux@@\n@@harun:python@@\n@@harun:end@@\n');
  assert.deepEqual(all.selinux, { status: 'disabled' });
  assert.equal(all.python, undefined);
});
