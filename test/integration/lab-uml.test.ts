import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { getProvider, labDown, labKill, labStatus, labUp, readLabState } from '../../src/lab/index.js';
import { sshRun, run } from '../../src/lab/common.js';
import { netnsName, removeDeadUmlLab } from '../../src/lab/uml.js';
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

/** Processes whose command line carries `harun-lab DIR` after a forwarder.js (the lab's port forwarder). */
function forwarderPids(dir: string): number[] {
  const pids: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'latin1').includes(`/forwarder.js\0harun-lab\0${dir}\0`)) pids.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** Nothing of the lab in DIR on the host: no namespace, no uplink, no tagged rule, no process. */
function assertNothingLeft(dir: string): void {
  const ns = netnsName(dir);
  assert.doesNotMatch(sh('ip netns list'), new RegExp(`^${ns}\\b`, 'm'), 'namespace left');
  assert.doesNotMatch(sh('ip -o link show'), new RegExp(`: ${ns}[:@]`), 'uplink left');
  assert.doesNotMatch(sh('iptables-save'), new RegExp(`harun-lab ${dir}"`), 'host rules left');
  assert.deepEqual(forwarderPids(dir), [], 'forwarder left');
  assert.deepEqual(umlPids(dir), [], 'linux.uml left');
}

/** The host's routes, addresses and rules that mention the lab subnet, each as "command: line". */
function hostSubnetLines(): string[] {
  return ['ip route show table all', 'ip addr', 'iptables-save']
    .flatMap((cmd) => sh(cmd).split('\n').filter((l) => l.includes('10.222.2.')).map((l) => `${cmd}: ${l.trim()}`));
}

/**
 * The uml lab added nothing of its subnet to the host (it lives in the lab's namespace): compared
 * with what was there before, since a docker lab or another engineer's lab may run here meanwhile.
 */
function assertHostGotNoLabSubnet(before: string[]): void {
  assert.deepEqual(hostSubnetLines().filter((l) => !before.includes(l)), [], 'the lab subnet on the host');
}

test('a uml lab whose hosts no longer run: the next lab up removes its namespace, forwarder and rules, by its record or by tag, command line and name', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'harun-dead-'));
  const ns = netnsName(dir);
  const tag = ['-m', 'comment', '--comment', `harun-lab ${dir}`];
  const rule = ['filter', 'FORWARD', '-i', ns, ...tag, '-j', 'ACCEPT'];
  /** What a killed `lab up` leaves: the namespace with a bridge, a tap and the uplink, a host rule, a forwarder in the namespace. */
  const leave = async () => {
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['-n', ns, 'link', 'add', 'harun-br0', 'type', 'bridge']);
    await run('ip', ['-n', ns, 'tuntap', 'add', 'dev', 'harun-web1', 'mode', 'tap']);
    await run('ip', ['-n', ns, 'link', 'set', 'harun-web1', 'master', 'harun-br0']);
    await run('ip', ['link', 'add', ns, 'type', 'veth', 'peer', 'name', 'uplink', 'netns', ns]);
    await run('iptables', ['-w', '-t', rule[0], '-I', ...rule.slice(1)]);
    // like the forwarder: its command line names the lab (nothing to forward: it only waits)
    const fwd = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', 'setInterval(() => {}, 1e6)', '/x/forwarder.js', 'harun-lab', dir],
      { detached: true, stdio: 'ignore' });
    fwd.unref();
    for (let i = 0; i < 50 && forwarderPids(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(forwarderPids(dir).length, 1);
    return fwd.pid!;
  };
  const messages: string[] = [];
  try {
    // no record (the run died before writing one, or its directory is gone): tag, command line, name
    await leave();
    await removeDeadUmlLab((m) => messages.push(m));
    assertNothingLeft(dir);
    assert.match(messages[0], new RegExp(`no host of the uml lab in ${dir} runs`));

    // a record: what `lab down` would do, and the record goes too; files beside it stay
    const pid = await leave();
    writeFileSync(join(dir, 'web1.log'), 'console\n');
    writeFileSync(join(dir, 'lab.json'), JSON.stringify({
      provider: 'uml', dir, subnet: '10.222.2.0/24', vip: '10.222.2.100', keyFile: '', knownHosts: '',
      hosts: [{ name: 'web1', address: '10.222.2.30', sshHost: '127.0.0.1', sshPort: 1, state: 'running' }],
      resources: { netns: ns, uplink: '10.223.255.252/30', iptables: [rule], pids: {}, forwarder: pid, files: [] },
    }));
    await removeDeadUmlLab((m) => messages.push(m));
    assertNothingLeft(dir);
    assert.equal(await readLabState(dir), undefined);
    assert.ok(existsSync(join(dir, 'web1.log')));

    // only the namespace (the run died right after making it): by its name
    await run('ip', ['netns', 'add', ns]);
    await removeDeadUmlLab((m) => messages.push(m));
    assertNothingLeft(dir);
    assert.match(messages[2], new RegExp(`namespace ${ns} is left`));

    // nothing left: nothing to say
    await removeDeadUmlLab((m) => messages.push(m));
    assert.equal(messages.length, 3);
  } finally {
    for (const p of forwarderPids(dir)) process.kill(p, 'SIGKILL');
    sh(`ip netns del ${ns} 2>/dev/null; ip link del ${ns} 2>/dev/null; iptables -w -D FORWARD -i ${ns} -m comment --comment "harun-lab ${dir}" -j ACCEPT 2>/dev/null; rm -rf ${dir}; true`);
  }
});

test('uml lab: up, ssh, lab network in its namespace, IPVS, NAT to the mirror, kill, down leaves nothing', { timeout: 20 * 60_000 }, async (t) => {
  if (!hasUml) {
    t.skip('linux.uml is not installed (apt-get install user-mode-linux)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'harun-lab-'));
  const fwdBefore = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const hostBefore = hostSubnetLines();
  try {
    const provider = await getProvider('uml');
    assert.equal(await provider.hasIpvs(), true);
    const state = await labUp(dir, provider);
    assert.deepEqual(state.hosts.map((h) => h.name).sort(), ['client', 'lb1', 'lb2', 'web1', 'web2']);
    assertHostGotNoLabSubnet(hostBefore);

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
    assert.equal(inv.all.children.clients.hosts.client.ansible_host, '127.0.0.1');
    assert.equal(inv.all.children.clients.hosts.client.lab_address, '10.222.2.20');
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
    assertNothingLeft(dir);
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

test('two uml labs side by side: each its own namespace, uplink and ports; each client reaches its own hosts only; both down leave nothing', { timeout: 30 * 60_000 }, async (t) => {
  if (!hasUml) {
    t.skip('linux.uml is not installed (apt-get install user-mode-linux)');
    return;
  }
  const dirs = [mkdtempSync(join(tmpdir(), 'harun-labA-')), mkdtempSync(join(tmpdir(), 'harun-labB-'))];
  try {
    const provider = await getProvider('uml');
    const hostBefore = hostSubnetLines();
    const t0 = Date.now();
    // one after the other: a lab whose hosts do not run yet looks dead to the other's lab up
    const [a, b] = [await labUp(dirs[0], provider), await labUp(dirs[1], provider)];
    t.diagnostic(`two uml labs up, one after the other: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assertHostGotNoLabSubnet(hostBefore);
    const res = (s: LabState) => s.resources as { netns: string; uplink: string };
    assert.notEqual(res(a).netns, res(b).netns);
    assert.notEqual(res(a).uplink, res(b).uplink);
    assert.equal(new Set([...a.hosts, ...b.hosts].map((h) => h.sshPort)).size, 10);

    // every host answers with its name through its lab's port, under its lab's pinned host key
    for (const st of [a, b])
      for (const h of st.hosts) {
        const r = await ssh(st, h.name, 'hostname');
        assert.equal(r.code, 0, `${st.dir} ${h.name}: ${r.stderr}`);
        assert.equal(r.stdout.trim(), h.name);
      }
    // the same address is a different host in each lab: lb1 of lab A crashed, B's client still
    // reaches its lb1, A's client reaches none
    await labKill(a.dir, 'lb1');
    const pingLb1 = 'ping -c3 -W2 10.222.2.1 >/dev/null && echo reached || echo unreachable';
    assert.equal((await ssh(b, 'client', pingLb1)).stdout.trim(), 'reached');
    assert.equal((await ssh(a, 'client', pingLb1)).stdout.trim(), 'unreachable');

    assert.equal(await labDown(a.dir), true);
    assertNothingLeft(a.dir);
    // B runs on without A's namespace
    assert.equal((await ssh(b, 'client', pingLb1)).stdout.trim(), 'reached');
    assert.equal(await labDown(b.dir), true);
    assertNothingLeft(b.dir);
  } finally {
    for (const d of dirs) {
      await labDown(d).catch(() => {});
      execFileSync('rm', ['-rf', d]);
    }
  }
});
