import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { getProvider, labDown, labKill, labStart, labStatus, labUp } from '../../src/lab/index.js';
import { sshRun } from '../../src/lab/common.js';
import type { LabState } from '../../src/lab/types.js';

const dockerAnswers = (() => {
  try {
    execFileSync('docker', ['info'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' });

async function ssh(state: LabState, name: string, cmd: string) {
  return sshRun(state, state.hosts.find((x) => x.name === name)!, cmd);
}

test('docker lab without an engine: says how to start one', async () => {
  const saved = process.env.DOCKER_HOST;
  process.env.DOCKER_HOST = 'unix:///nonexistent/harun-test.sock';
  try {
    const p = await getProvider('docker');
    const a = await p.available();
    assert.equal(a.ok, false);
    assert.match(a.reason, /no Docker engine answers.*start-dockerd\.sh/);
    const dir = mkdtempSync(join(tmpdir(), 'harun-lab-'));
    await assert.rejects(labUp(dir, p), /start-dockerd\.sh/);
    execFileSync('rm', ['-rf', dir]);
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
});

test('docker lab: up, ssh on loopback ports, lab network, systemd, writable net sysctls, kill, start, down', { timeout: 15 * 60_000 }, async (t) => {
  if (!dockerAnswers) {
    t.skip('no Docker engine answers (bash scripts/start-dockerd.sh)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'harun-lab-'));
  try {
    const state = await labUp(dir, await getProvider('docker'));
    for (const h of state.hosts) {
      assert.equal(h.sshHost, '127.0.0.1');
      const r = await ssh(state, h.name, 'hostname; ip -4 -o addr show dev eth0; systemctl is-system-running --wait; sysctl -w net.ipv4.conf.all.arp_ignore=1');
      assert.equal(r.code, 0, `${h.name}: ${r.stdout} ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^${h.name}\\n`));
      assert.match(r.stdout, new RegExp(`inet ${h.address.replace(/\./g, '\\.')}/24`));
      assert.match(r.stdout, /^(running|degraded)$/m);
    }
    const others = state.hosts.filter((h) => h.name !== 'client').map((h) => h.address).join(' ');
    const ping = await ssh(state, 'client', `for a in ${others}; do ping -c1 -W2 $a >/dev/null || { echo unreachable $a; exit 1; }; done`);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);

    const inv = parse(readFileSync(join(dir, 'inventory.yml'), 'utf8'));
    assert.equal(inv.all.vars.harun_lab_provider, 'docker');
    assert.equal(inv.all.children.directors.hosts.lb1.lab_address, '10.222.2.1');
    assert.equal(inv.all.children.directors.hosts.lb1.ansible_port, state.hosts.find((h) => h.name === 'lb1')!.sshPort);

    // a crash and a boot: the same disk, the same port (the inventory stays right)
    assert.equal((await ssh(state, 'lb2', 'echo before-the-crash > /root/mark')).code, 0);
    await labKill(dir, 'lb2');
    const st = await labStatus(dir);
    assert.equal(st!.hosts.find((h) => h.name === 'lb2')!.state, 'stopped');
    assert.equal(st!.hosts.find((h) => h.name === 'lb1')!.state, 'running');
    await labStart(dir, 'lb2');
    assert.equal((await labStatus(dir))!.hosts.find((h) => h.name === 'lb2')!.state, 'running');
    const back = await ssh(state, 'lb2', 'cat /root/mark; hostname');
    assert.equal(back.stdout, 'before-the-crash\nlb2\n', back.stderr);
    await assert.rejects(labStart(dir, 'lb1'), /lb1 is running: nothing to start/);
    await assert.rejects(labStart(dir, 'web9'), /: no host web9 in the lab \(hosts: (client|lb1|lb2|web1|web2)(, (client|lb1|lb2|web1|web2)){4}\)$/);

    assert.equal(await labDown(dir), true);
    assert.equal(docker('ps', '-a', '-q', '--filter', `label=harun.lab.dir=${dir}`).trim(), '');
    assert.equal(docker('network', 'ls', '-q', '--filter', `label=harun.lab.dir=${dir}`).trim(), '');
    assert.equal(await labDown(dir), false);
  } finally {
    await labDown(dir).catch(() => {});
    execFileSync('rm', ['-rf', dir]);
  }
});
