import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { getProvider, labDown, labKill, labStatus, labUp, readLabState } from '../../src/lab/index.js';
import { sshRun, run } from '../../src/lab/common.js';
import { removeDeadUmlLab } from '../../src/lab/uml.js';
import type { LabState } from '../../src/lab/types.js';

const hasUml = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v linux.uml'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { encoding: 'utf8' });

/** Host processes of this lab's instances (they all carry uml_dir=DIR/uml on their command line). */
function umlPids(dir: string, host = ''): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const c = readFileSync(`/proc/${e}/cmdline`, 'latin1');
      if (c.includes(`uml_dir=${dir}/uml`) && c.includes(`umid=harun-${host}`)) pids.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return pids;
}

async function ssh(state: LabState, name: string, cmd: string, timeoutMs = 60_000) {
  const h = state.hosts.find((x) => x.name === name)!;
  return sshRun(state, h, cmd, timeoutMs);
}

test('a uml lab whose hosts no longer run: the next lab up removes its bridge, taps and rules, by its record or by name and tag', async (t) => {
  if (process.getuid?.() !== 0 || (await run('ip', ['link', 'show', 'dev', 'harun-br0'], { check: false })).code === 0) {
    t.skip('needs root and no uml lab on this machine');
    return;
  }
  const leave = async (dir: string) => {
    const tag = ['-m', 'comment', '--comment', `harun-lab ${dir}`];
    await run('ip', ['link', 'add', 'harun-br0', 'type', 'bridge']);
    await run('ip', ['tuntap', 'add', 'dev', 'harun-web1', 'mode', 'tap']);
    await run('ip', ['link', 'set', 'harun-web1', 'master', 'harun-br0']);
    const rule = ['filter', 'FORWARD', '-i', 'harun-br0', ...tag, '-j', 'ACCEPT'];
    await run('iptables', ['-w', '-t', rule[0], '-I', ...rule.slice(1)]);
    return rule;
  };
  const gone = () => {
    assert.doesNotMatch(sh('ip -o link show'), /harun-(br0|web1)/);
    assert.doesNotMatch(sh('iptables -w -S'), /harun-lab/);
  };
  const messages: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'harun-dead-'));
  try {
    // no record (the run died before writing one, or its directory is gone): names and tag
    await leave(dir);
    await removeDeadUmlLab((m) => messages.push(m));
    gone();
    assert.match(messages[0], new RegExp(`no host of the uml lab in ${dir} runs`));

    // a record: what `lab down` would do, and the record goes too; files beside it stay
    const rule = await leave(dir);
    writeFileSync(join(dir, 'web1.log'), 'console\n');
    writeFileSync(join(dir, 'lab.json'), JSON.stringify({
      provider: 'uml', dir, subnet: '10.222.2.0/24', vip: '10.222.2.100', keyFile: '', knownHosts: '',
      hosts: [{ name: 'web1', address: '10.222.2.30', sshHost: '10.222.2.30', sshPort: 22, state: 'running' }],
      resources: { bridge: 'harun-br0', taps: ['harun-web1'], iptables: [rule], pids: {}, files: [] },
    }));
    await removeDeadUmlLab((m) => messages.push(m));
    gone();
    assert.equal(await readLabState(dir), undefined);
    assert.ok(existsSync(join(dir, 'web1.log')));

    // nothing left: nothing to say
    await removeDeadUmlLab((m) => messages.push(m));
    assert.equal(messages.length, 2);
  } finally {
    sh(`ip link del harun-web1 2>/dev/null; ip link del harun-br0 2>/dev/null; iptables -w -D FORWARD -i harun-br0 -m comment --comment "harun-lab ${dir}" -j ACCEPT 2>/dev/null; rm -rf ${dir}; true`);
  }
});

test('uml lab: up, ssh, lab network, IPVS, NAT to the mirror, kill, down leaves nothing', { timeout: 20 * 60_000 }, async (t) => {
  if (!hasUml) {
    t.skip('linux.uml is not installed (apt-get install user-mode-linux)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'harun-lab-'));
  const fwdBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  try {
    const provider = await getProvider('uml');
    assert.equal(await provider.hasIpvs(), true);
    const state = await labUp(dir, provider);
    assert.deepEqual(state.hosts.map((h) => h.name).sort(), ['client', 'lb1', 'lb2', 'web1', 'web2']);

    // Every host: its own name, reached with the lab key and the pinned host key.
    for (const h of state.hosts) {
      const r = await ssh(state, h.name, 'hostname; ip -4 -o addr show dev eth0');
      assert.equal(r.code, 0, `${h.name}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^${h.name}\\n`));
      assert.match(r.stdout, new RegExp(`inet ${h.address.replace(/\./g, '\\.')}/24`));
    }
    // A host key that is not the pinned one is refused (checking stays on).
    const kh = readFileSync(state.knownHosts, 'utf8');
    const build = (state.resources as { buildHost?: { container: string; sshPort: number } }).buildHost;
    assert.equal(kh.trim().split('\n').length, build ? 6 : 5);

    // Lab network: the client reaches every other host directly. Three pings, one answer enough
    // (ping's exit 0): on a loaded machine a UML host can miss the first ARP request's 2 s.
    const others = state.hosts.filter((h) => h.name !== 'client').map((h) => h.address).join(' ');
    const ping = await ssh(state, 'client', `for a in ${others}; do ping -c3 -W3 $a >/dev/null || { echo unreachable $a; exit 1; }; done`);
    assert.equal(ping.code, 0, ping.stdout + ping.stderr);

    // IPVS in the UML kernel, and NAT to the Debian mirror (ipvsadm comes from apt, hosts start bare).
    const ipvs = await ssh(state, 'lb1',
      'modprobe ip_vs && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ipvsadm >/dev/null 2>&1 && ipvsadm -A -t 10.222.2.100:80 -s rr && ipvsadm -Ln',
      600_000);
    assert.equal(ipvs.code, 0, ipvs.stderr);
    assert.match(ipvs.stdout, /TCP {2}10\.222\.2\.100:80 rr/);

    // The inventory has the seed's groups and what verify needs to reach the provider.
    const inv = parse(readFileSync(join(dir, 'inventory.yml'), 'utf8'));
    assert.deepEqual(Object.keys(inv.all.children.directors.hosts), ['lb1', 'lb2']);
    assert.deepEqual(Object.keys(inv.all.children.realservers.hosts), ['web1', 'web2']);
    assert.equal(inv.all.children.realservers.hosts.web2.web_body, '22222');
    assert.equal(inv.all.children.clients.hosts.client.ansible_host, '10.222.2.20');
    assert.equal(inv.all.vars.lvs_vip, '10.222.2.100');
    assert.equal(inv.all.vars.harun_lab_dir, dir);
    assert.equal(inv.all.vars.harun_lab_provider, 'uml');
    // The build host (where keepalived compiles natively) when a docker engine answers.
    if (build) {
      assert.deepEqual(Object.keys(inv.all.children.build_hosts.hosts), ['build']);
      assert.equal(inv.all.vars.keepalived_build_host, 'build');
      const b = await sshRun(state, { sshHost: '127.0.0.1', sshPort: build.sshPort }, '. /etc/os-release; echo $VERSION_CODENAME; uname -m');
      const l = await ssh(state, 'lb1', '. /etc/os-release; echo $VERSION_CODENAME; uname -m');
      assert.equal(b.code, 0, b.stderr);
      assert.equal(b.stdout, l.stdout, 'the build host is of the lab hosts\' platform');
    } else t.diagnostic('no docker engine: no build host');

    await assert.rejects(labUp(dir, provider), /already up.*harun lab down/);

    // A crash: every host process of lb2 is gone, the others run on.
    assert.ok(umlPids(dir, 'lb2').length > 0);
    await labKill(dir, 'lb2');
    assert.deepEqual(umlPids(dir, 'lb2'), []);
    const st = await labStatus(dir);
    assert.equal(st!.hosts.find((h) => h.name === 'lb2')!.state, 'stopped');
    assert.equal(st!.hosts.find((h) => h.name === 'lb1')!.state, 'running');
    assert.notEqual((await ssh(state, 'lb2', 'true', 10_000)).code, 0);

    assert.equal(await labDown(dir), true);
    assert.deepEqual(umlPids(dir), []);
    if (build) assert.doesNotMatch(sh('docker ps -a --format "{{.ID}} {{.Labels}}"'), new RegExp(`harun\\.lab\\.dir=${dir}`), 'build host left');
    assert.doesNotMatch(sh('ip -o link show'), /harun-/);
    assert.doesNotMatch(sh('iptables -w -S; iptables -w -t nat -S'), /harun-lab/);
    // Restored, except when a dockerd came up meanwhile (it relies on forwarding from then on).
    if (!existsSync('/var/run/docker.pid')) assert.equal(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), fwdBefore);
    assert.equal(await readLabState(dir), undefined);
    assert.ok(!existsSync(join(dir, 'hosts')));
    assert.equal(await labDown(dir), false, 'down twice is a no-op');
  } finally {
    await labDown(dir).catch(() => {});
    execFileSync('rm', ['-rf', dir]);
  }
});
