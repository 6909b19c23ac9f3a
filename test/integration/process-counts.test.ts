import { test } from 'node:test';
import { rmSync, writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { apt } from '../../src/modules/apt.js';
import { command } from '../../src/modules/command.js';
import { copy } from '../../src/modules/copy.js';
import { file } from '../../src/modules/file.js';
import { lineinfile } from '../../src/modules/lineinfile.js';
import { service } from '../../src/modules/service.js';
import { shell } from '../../src/modules/shell.js';
import { sysctl } from '../../src/modules/sysctl.js';
import { template } from '../../src/modules/template.js';
import type { ModuleDef } from '../../src/modules/types.js';
import { countHostProcesses } from '../fixtures/proccount.js';
import { sshHost } from '../helpers/remote.js';

/**
 * Processes each common module starts on the host per task (over an open connection, so the
 * connection's own sshd processes do not count), traced by strace. These are pins: a change that
 * adds a process to one of these paths fails here, and whoever makes it decides whether the new
 * figure is worth it (then updates the pin and bench/RESULTS.md).
 */
const h = sshHost();

async function count(mod: ModuleDef, args: unknown, o: { facts?: Record<string, unknown> } = {}) {
  const { result, processes } = await countHostProcesses(h.fleet.listenerPids(), () => h.run(mod, args, o));
  if (result.r.failed) assert.fail(`${mod.name} failed: ${String(result.r.msg)}`);
  return { changed: result.r.changed, processes };
}

test('file, copy, template, lineinfile: processes per task when they change something and when not', async () => {
  const d = `${h.dir}/pc`;
  const tpl = `${h.dir}/motd.j2`;
  const msgmax = (await h.t.exec('cat /proc/sys/kernel/msgmax')).stdout.trim();
  await h.t.exec(`printf 'hello {{ x }}\\n' > ${tpl}`);
  const steps: [string, ModuleDef, unknown, boolean, number][] = [
    // sh, mkdir, stat (the mode comes from the umask: no chmod)
    ['file: make a directory', file, { path: d, state: 'directory', mode: '0755' }, true, 3],
    ['file: directory as it is', file, { path: d, state: 'directory', mode: '0755' }, false, 2],
    // sh, mv, stat: the shell writes and creates the temp file itself
    ['copy: new file', copy, { content: 'a=1\n', dest: `${d}/a.conf`, mode: '0644' }, true, 3],
    // sh, stat: the shell's read loop compares small text (no sha1sum)
    ['copy: as it is', copy, { content: 'a=1\n', dest: `${d}/a.conf`, mode: '0644' }, false, 2],
    // sh, stat (same size, compared by the shell), mv, stat
    ['copy: new content', copy, { content: 'a=2\n', dest: `${d}/a.conf`, mode: '0644' }, true, 4],
    // sh, stat (another size: nothing to compare), mv, stat
    ['copy: longer content', copy, { content: 'a=22\n', dest: `${d}/a.conf`, mode: '0644' }, true, 4],
    // text larger than the shell's builtins take: sh, cat, mv, stat to write it; sh, stat, sha1sum to compare
    ['copy: large, new file', copy, { content: `${'x'.repeat(2000)}\n`, dest: `${d}/big`, mode: '0644' }, true, 4],
    ['copy: large, as it is', copy, { content: `${'x'.repeat(2000)}\n`, dest: `${d}/big`, mode: '0644' }, false, 3],
    ['template: new file', template, { src: tpl, dest: `${d}/motd`, mode: '0644' }, true, 3],
    ['template: as it is', template, { src: tpl, dest: `${d}/motd`, mode: '0644' }, false, 2],
    ['lineinfile: new file', lineinfile, { path: `${d}/s.conf`, line: 'x=1', create: true, mode: '0644' }, true, 3],
    // sh, stat, mv, stat: the shell's read loop reads a small file, decides and writes the old lines
    ['lineinfile: add a line', lineinfile, { path: `${d}/s.conf`, line: 'y=2' }, true, 4],
    ['lineinfile: line present', lineinfile, { path: `${d}/s.conf`, line: 'x=1' }, false, 2],
    // as it is: sh, sysctl (the running value), cat (the file's content)
    ['sysctl: new file', sysctl, { name: 'kernel.msgmax', value: msgmax, sysctl_file: `${d}/sysctl.conf` }, true, 5],
    ['sysctl: as it is', sysctl, { name: 'kernel.msgmax', value: msgmax, sysctl_file: `${d}/sysctl.conf` }, false, 3],
  ];
  const got: string[] = [];
  const want: string[] = [];
  for (const [name, mod, args, changed, n] of steps) {
    const c = await count(mod, args);
    assert.equal(c.changed, changed, name);
    got.push(`${name}: ${c.processes}`);
    want.push(`${name}: ${n}`);
  }
  assert.deepEqual(got, want);
  assert.equal((await h.t.exec(`cat ${d}/a.conf ${d}/motd ${d}/s.conf; stat -c %a ${d} ${d}/a.conf ${d}/motd ${d}/s.conf`)).stdout, 'a=22\nhello {{ x }}\nx=1\ny=2\n755\n644\n644\n644\n');
});

test('command, shell, service and apt when nothing changes: processes per task', async () => {
  const name = `harun-pc-${process.pid}`;
  const script = `/etc/init.d/${name}`;
  const pidfile = `/tmp/${name}.pid`;
  // a throwaway SysV service that reports itself running while its pid file exists (the fleet runs on this machine)
  writeFileSync(script, `#!/bin/sh\ncase "$1" in status) [ -f ${pidfile} ] ;; *) exit 0 ;; esac\n`, { mode: 0o755 });
  writeFileSync(pidfile, '1\n');
  const sysv = { service_mgr: 'sysvinit' };
  try {
    const steps: [string, ModuleDef, unknown, number, Record<string, unknown>?][] = [
      // the login shell execs uname: one process
      ['command', command, { cmd: 'uname -r' }, 1],
      // the login shell execs /bin/sh -c, which starts uname
      ['shell', shell, { cmd: 'uname -r' }, 2],
      // sh, dpkg-query
      ['apt: installed', apt, { name: 'openssh-server', state: 'present' }, 2],
      // sh only: no init script of that name, no status to ask
      ['service: no such service, stopped', service, { name: `${name}-none`, state: 'stopped' }, 1, sysv],
      // sh, then Debian's service wrapper (it execs env, which execs the script: one process)
      ['service: running, started', service, { name, state: 'started' }, 2, sysv],
    ];
    const got: string[] = [];
    const want: string[] = [];
    for (const [label, mod, args, n, facts] of steps) {
      const c = await count(mod, args, { facts });
      assert.equal(c.changed, mod === command || mod === shell, label); // a command reports changed, as under Ansible
      got.push(`${label}: ${c.processes}`);
      want.push(`${label}: ${n}`);
    }
    assert.deepEqual(got, want);
  } finally {
    rmSync(script, { force: true });
    rmSync(pidfile, { force: true });
  }
});
