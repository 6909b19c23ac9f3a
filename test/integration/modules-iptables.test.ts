import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constructRule, iptables } from '../../src/modules/iptables.js';
import { parseArgs, schemaKeys } from '../../src/modules/lib/args.js';
import { serverHost } from '../helpers/server.js';

// Firewall rules are system state: they change only on the disposable server (its own network
// namespace, root with CAP_NET_ADMIN). iptables never runs on this machine. Ansible's module
// cannot run on the server (no python3): its construct_rule, a pure function, is compared here
// through Debian's python3, and the rest is compared with its source (iptables.py, 2.14).
const srv = serverHost();
const p = (a: unknown) => parseArgs('iptables', iptables.schema, a);

/** The server's rules as `iptables -S` (or ip6tables) prints them, one chain or all. */
const rules = async (chain = '', bin = 'iptables', table = 'filter') => (await srv.sh(`${bin} -t ${table} -S ${chain}`)).trim().split('\n');
const save = () => srv.sh('{ iptables-save; ip6tables-save; } | grep -v "^#" || true');

// ---------------------------------------------------------------- arguments

test('iptables: arguments as Ansible declares them, with its mutual exclusions and required_if', () => {
  const a = p({ chain: 'INPUT', destination_port: 22, ctstate: 'ESTABLISHED,RELATED', destination_ports: 80, log_level: 4 });
  assert.deepEqual(
    [a.table, a.state, a.action, a.ip_version, a.syn, a.flush, a.chain_management, a.match, a.destination_port, a.ctstate, a.destination_ports, a.log_level],
    ['filter', 'present', 'append', 'ipv4', 'ignore', false, false, [], '22', ['ESTABLISHED', 'RELATED'], ['80'], '4'],
  );
  assert.equal(p({ flush: 'yes' }).flush, true);
  // Ansible counts arguments as given: flush: false with a policy is still both of them
  assert.throws(() => p({ chain: 'INPUT', flush: false, policy: 'DROP' }), /^Error: iptables: parameters are mutually exclusive: flush\|policy$/);
  assert.throws(() => p({ chain: 'X', set_dscp_mark: '0x10', set_dscp_mark_class: 'CS1' }), /parameters are mutually exclusive: set_dscp_mark\|set_dscp_mark_class/);
  assert.throws(() => p({ chain: 'X', jump: 'TEE' }), /jump is TEE but all of the following are missing: gateway/);
  assert.throws(() => p({ chain: 'X', jump: 'tee' }), /jump is tee but all of the following are missing: gateway/);
  assert.doesNotThrow(() => p({ chain: 'X', jump: 'Tee' })); // required_if compares exactly, as Ansible's
  assert.throws(() => p({ chain: 'X', table: 'bogus' }), /argument table: Invalid option: expected one of "filter"\|"nat"\|"mangle"\|"raw"\|"security"/);
  assert.throws(() => p({ chain: 'X', policy: 'REJECT' }), /argument policy: Invalid option/);
  assert.throws(() => p({ chain: 'X', log_level: 9 }), /argument log_level: Invalid option/);
  assert.throws(() => p({ chain: 'X', syn: 'yes' }), /argument syn: Invalid option/);
  assert.throws(() => p({ chain: 'X', bogus: 1 }), /unsupported argument bogus/);
  // values on which Ansible's module itself crashes are refused with a reason
  assert.throws(() => p({ chain: 'X', comment: '' }), /argument comment: must not be empty/);
  assert.throws(() => p({ chain: 'X', match_set: 'admins' }), /argument match_set_flags: is required with match_set/);
  assert.throws(() => p({ chain: 'X', tcp_flags: { flags: ['ALL'] } }), /argument tcp_flags: needs both flags and flags_set/);
  assert.throws(() => p({ chain: 'X', tcp_flags: { flags: ['ALL'], flags_set: ['SYN'], x: 1 } }), /unsupported argument x/);
});

// ---------------------------------------------------------------- construct_rule, word for word

const CASES: Record<string, unknown>[] = [
  { chain: 'INPUT' },
  { chain: 'INPUT', source: '8.8.8.8', jump: 'DROP' },
  { table: 'nat', chain: 'PREROUTING', in_interface: 'eth0', protocol: 'tcp', match: 'tcp', destination_port: 80, jump: 'REDIRECT', to_ports: 8600, comment: 'Redirect web traffic to port 8600' },
  { chain: 'INPUT', ctstate: 'ESTABLISHED,RELATED', jump: 'ACCEPT' },
  { chain: 'INPUT', match: ['conntrack'], ctstate: ['NEW'], jump: 'ACCEPT' },
  { chain: 'INPUT', match: ['state'], ctstate: ['NEW', 'INVALID'], jump: 'DROP' },
  { chain: 'INPUT', protocol: 'tcp', destination_port: '22', ctstate: 'NEW', syn: 'match', jump: 'ACCEPT', comment: "don't drop ssh" },
  { chain: 'INPUT', protocol: '!udp', syn: 'negate', match: ['!foo', 'bar'], source: '!10.0.0.0/8', destination: '192.0.2.1' },
  { chain: 'INPUT', src_range: '192.0.2.1-192.0.2.9', jump: 'ACCEPT' },
  { chain: 'INPUT', match: ['iprange'], dst_range: '192.0.2.1-192.0.2.9', src_range: '!198.51.100.1-198.51.100.2' },
  { chain: 'INPUT', match_set: 'admins', match_set_flags: 'src,dst', jump: 'ACCEPT' },
  { chain: 'INPUT', match: ['set'], match_set: '!admins', match_set_flags: 'dst' },
  { chain: 'INPUT', limit: '2/second', limit_burst: '20', jump: 'ACCEPT' },
  { chain: 'INPUT', limit_burst: '5' },
  { chain: 'OUTPUT', uid_owner: '!1000', gid_owner: 'match', jump: 'ACCEPT' },
  { chain: 'OUTPUT', uid_owner: 'negate' },
  { chain: 'INPUT', reject_with: 'tcp-reset', protocol: 'tcp' },
  { chain: 'INPUT', reject_with: 'icmp-port-unreachable', jump: 'REJECT' },
  { chain: 'INPUT', protocol: 'icmp', icmp_type: 'echo-request', jump: 'ACCEPT' },
  { chain: 'INPUT', ip_version: 'ipv6', protocol: 'ipv6-icmp', icmp_type: '128', jump: 'ACCEPT' },
  { chain: 'INPUT', wait: '5', protocol: 'tcp', jump: 'ACCEPT' },
  { chain: 'INPUT', protocol: 'tcp', tcp_flags: { flags: ['ALL'], flags_set: ['ACK', 'RST', 'SYN', 'FIN'] }, jump: 'DROP' },
  { table: 'mangle', chain: 'PREROUTING', jump: 'TEE', gateway: '192.0.2.7' },
  { table: 'mangle', chain: 'PREROUTING', jump: 'DROP', gateway: '192.0.2.7' },
  { chain: 'INPUT', log_prefix: 'IPTABLES:INFO: ', log_level: 'info', jump: 'LOG' },
  { chain: 'INPUT', log_prefix: 'no jump ' },
  { table: 'nat', chain: 'PREROUTING', protocol: 'tcp', destination_ports: [80, '443:445'], jump: 'DNAT', to_destination: '192.0.2.10:8080' },
  { table: 'nat', chain: 'POSTROUTING', out_interface: '!eth0', to_source: '192.0.2.1', jump: 'SNAT', goto: 'OTHER', fragment: 'x', set_counters: '0' },
  { table: 'mangle', chain: 'OUTPUT', set_dscp_mark: '0x10', source_port: '1024:', jump: 'DSCP' },
  { table: 'mangle', chain: 'OUTPUT', set_dscp_mark_class: 'CS1', jump: 'DSCP' },
];

test("iptables: constructRule builds the words of Ansible's own construct_rule", (t) => {
  const py = '/usr/bin/python3';
  let found = existsSync(py);
  try {
    if (found) execFileSync(py, ['-c', 'import ansible.modules.iptables'], { stdio: 'ignore' });
  } catch {
    found = false;
  }
  if (!found) return t.skip("Debian's ansible is not installed: no comparison with Ansible's construct_rule");
  const keys = schemaKeys(iptables.schema);
  assert.ok(keys.includes('comment') && keys.includes('tcp_flags') && keys.length >= 46, keys.join(','));
  // Ansible's params: every argument present, None where not given
  const params = CASES.map((c) => Object.fromEntries(keys.map((k) => [k, (p(c) as Record<string, unknown>)[k] ?? null])));
  const code = 'import json,sys\nfrom ansible.modules.iptables import construct_rule\nprint(json.dumps([construct_rule(p) for p in json.load(sys.stdin)]))';
  const theirs = JSON.parse(execFileSync(py, ['-c', code], { input: JSON.stringify(params) }).toString()) as string[][];
  CASES.forEach((c, i) => assert.deepEqual(constructRule(p(c)), theirs[i], JSON.stringify(c)));
  // the cases reach the branches that matter (not all empty)
  assert.equal(theirs.filter((w) => w.length > 0).length, CASES.length - 1);
});

// ---------------------------------------------------------------- on the server

const SSH = { chain: 'INPUT', protocol: 'tcp', destination_port: '22', ctstate: ['NEW'], syn: 'match', jump: 'ACCEPT', comment: "don't drop ssh" };

test('iptables: append a rule: check mode first, then once, then unchanged in one trip each', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const before = await save();
  const check = await srv.run(iptables, SSH, { check: true });
  assert.deepEqual([check.r.changed, check.trips], [true, 1], String(check.r.msg));
  assert.equal(await save(), before);

  const { r, trips } = await srv.run(iptables, SSH);
  assert.equal(trips, 1);
  assert.deepEqual(r, {
    changed: true, ip_version: 'ipv4', table: 'filter', chain: 'INPUT', flush: false, state: 'present', chain_management: false,
    rule: "-p tcp -j ACCEPT --destination-port 22 --syn -m conntrack --ctstate NEW -m comment --comment don't drop ssh",
  });
  assert.deepEqual(await rules('INPUT'), [
    '-P INPUT ACCEPT',
    `-A INPUT -p tcp -m tcp --dport 22 --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -m comment --comment "don\\'t drop ssh" -j ACCEPT`,
  ]);

  const again = await srv.run(iptables, SSH);
  assert.deepEqual([again.r.changed, again.trips], [false, 1]);
  const recheck = await srv.run(iptables, SSH, { check: true });
  assert.deepEqual([recheck.r.changed, recheck.trips], [false, 1]);
});

test('iptables: insert at rule_num, ports, matches and a wait; absent removes only that rule', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const web = { chain: 'INPUT', action: 'insert', rule_num: '1', protocol: 'tcp', source: '!10.0.0.0/8', destination_ports: ['80', '443:445'], jump: 'ACCEPT', wait: '5' };
  const { r, trips } = await srv.run(iptables, web);
  assert.deepEqual([r.changed, trips, r.rule], [true, 1, '-w 5 -p tcp ! -s 10.0.0.0/8 -j ACCEPT -m multiport --dports 80,443:445'], String(r.msg));
  const lo = { chain: 'INPUT', action: 'insert', rule_num: 2, in_interface: 'lo', protocol: 'tcp', match: ['tcp'], destination_port: '8080:8090', limit: '10/second', jump: 'ACCEPT' };
  assert.equal((await srv.run(iptables, lo)).r.changed, true);
  const list = await rules('INPUT');
  assert.equal(list[1], '-A INPUT ! -s 10.0.0.0/8 -p tcp -m multiport --dports 80,443:445 -j ACCEPT');
  assert.equal(list[2], '-A INPUT -i lo -p tcp -m tcp --dport 8080:8090 -m limit --limit 10/sec -j ACCEPT');
  assert.match(list[3], /--dport 22 /);
  // present anywhere in the chain counts: inserting again is no change, whatever rule_num says
  const again = await srv.run(iptables, { ...lo, rule_num: '1' });
  assert.deepEqual([again.r.changed, again.trips], [false, 1]);

  const gone = { ...web, state: 'absent' };
  const check = await srv.run(iptables, gone, { check: true });
  assert.deepEqual([check.r.changed, (await rules('INPUT')).length], [true, 4]);
  const del = await srv.run(iptables, gone);
  assert.deepEqual([del.r.changed, del.trips, del.r.state], [true, 1, 'absent']);
  assert.deepEqual((await rules('INPUT')).slice(1).map((l) => l.slice(0, 14)), ['-A INPUT -i lo', '-A INPUT -p tc']);
  const none = await srv.run(iptables, gone);
  assert.deepEqual([none.r.changed, none.trips], [false, 1]);
});

test('iptables: the nat table, the LOG target implied by log_prefix, and ip6tables', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const dnat = { table: 'nat', chain: 'PREROUTING', protocol: 'tcp', destination_port: 8080, jump: 'DNAT', to_destination: '192.0.2.10:80' };
  assert.equal((await srv.run(iptables, dnat)).r.changed, true);
  assert.deepEqual((await rules('PREROUTING', 'iptables', 'nat')).slice(1), ['-A PREROUTING -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.10:80']);
  assert.equal((await srv.run(iptables, dnat)).r.changed, false);

  // the reported rule is the one before `-j LOG` is implied, as Ansible reports it
  const log = { chain: 'OUTPUT', protocol: 'udp', log_prefix: 'harun: ', log_level: 'info' };
  const { r } = await srv.run(iptables, log);
  assert.deepEqual([r.changed, r.rule], [true, '-p udp --log-prefix harun:  --log-level info'], String(r.msg));
  assert.deepEqual((await rules('OUTPUT')).slice(1), ['-A OUTPUT -p udp -j LOG --log-prefix "harun: " --log-level 6']);
  assert.equal((await srv.run(iptables, log)).r.changed, false);
  const bad = await srv.run(iptables, { ...log, jump: 'DROP' });
  assert.deepEqual([bad.r.failed, bad.r.msg, bad.trips], [true, 'Logging options can only be used with the LOG jump target.', 0]);

  const v6 = { chain: 'INPUT', ip_version: 'ipv6', protocol: 'ipv6-icmp', icmp_type: 'echo-request', jump: 'ACCEPT' };
  const six = await srv.run(iptables, v6);
  assert.deepEqual([six.r.changed, six.r.ip_version, six.r.rule], [true, 'ipv6', '-p ipv6-icmp -j ACCEPT --icmpv6-type echo-request'], String(six.r.msg));
  assert.deepEqual((await rules('INPUT', 'ip6tables')).slice(1), ['-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT']);
  assert.equal((await srv.run(iptables, v6)).r.changed, false);
  assert.equal((await rules('INPUT')).some((l) => l.includes('icmp')), false);
});

test('iptables: policy: check mode, change, unchanged, back; a user chain has none', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const drop = { chain: 'FORWARD', policy: 'DROP' };
  const check = await srv.run(iptables, drop, { check: true });
  assert.deepEqual([check.r.changed, check.trips, (await rules('FORWARD'))[0]], [true, 1, '-P FORWARD ACCEPT']);
  const { r, trips } = await srv.run(iptables, drop);
  assert.deepEqual([r.changed, trips, r.rule, r.flush], [true, 1, '', false]);
  assert.equal((await rules('FORWARD'))[0], '-P FORWARD DROP');
  const again = await srv.run(iptables, drop);
  assert.deepEqual([again.r.changed, again.trips], [false, 1]);
  assert.equal((await srv.run(iptables, { chain: 'FORWARD', policy: 'ACCEPT' })).r.changed, true);
  assert.equal((await rules('FORWARD'))[0], '-P FORWARD ACCEPT');

  await srv.sh('iptables -N HARUN_P');
  const user = await srv.run(iptables, { chain: 'HARUN_P', policy: 'DROP' });
  assert.deepEqual([user.r.failed, user.r.msg], [true, "Can't detect current policy"]);
  // a chain that does not exist: iptables' own message, as run_command(check_rc=True) reports it
  const missing = await srv.run(iptables, { chain: 'NOPE', policy: 'DROP' });
  assert.equal(missing.r.failed, true);
  assert.equal(missing.r.cmd, '/usr/sbin/iptables -t filter -L NOPE --numeric');
  assert.equal(missing.r.rc, 1);
  // (iptables-nft 1.8.9 words a missing chain so)
  assert.match(String(missing.r.msg), /^iptables v1\.8\.9 \(nf_tables\): chain `NOPE' in table `filter' is incompatible, use 'nft' tool\.$/);
  assert.equal(missing.r.stderr, `${missing.r.msg}\n`);
  await srv.sh('iptables -X HARUN_P');
});

test('iptables: chain_management creates a user chain with its rule and deletes it', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  const ret = { chain: 'HARUN', protocol: 'tcp', jump: 'RETURN', comment: 'back' };
  // without chain_management a rule on a missing chain fails as iptables fails
  const fail = await srv.run(iptables, ret);
  assert.equal(fail.r.failed, true);
  assert.equal(fail.trips, 1);
  assert.equal(fail.r.cmd, '/usr/sbin/iptables -t filter -A HARUN -p tcp -j RETURN -m comment --comment back');
  assert.match(String(fail.r.msg), /No chain\/target\/match by that name/);

  const check = await srv.run(iptables, { ...ret, chain_management: true }, { check: true });
  assert.equal(check.r.changed, true);
  assert.equal((await save()).includes('HARUN'), false);
  const { r, trips } = await srv.run(iptables, { ...ret, chain_management: true });
  assert.deepEqual([r.changed, trips, r.chain_management], [true, 1, true], String(r.msg));
  assert.deepEqual(await rules('HARUN'), ['-N HARUN', '-A HARUN -p tcp -m comment --comment back -j RETURN']);
  assert.equal((await srv.run(iptables, { ...ret, chain_management: true })).r.changed, false);

  // state=absent without rule arguments: Ansible reports the chain's existence as the change
  // and deletes it only with chain_management (and iptables refuses a chain with rules)
  const keep = await srv.run(iptables, { chain: 'HARUN', state: 'absent' });
  assert.deepEqual([keep.r.changed, keep.r.rule], [true, '']);
  const busy = await srv.run(iptables, { chain: 'HARUN', state: 'absent', chain_management: true });
  assert.deepEqual([busy.r.failed, busy.r.cmd, busy.r.rc], [true, '/usr/sbin/iptables -t filter -X HARUN', 4]);
  assert.equal(busy.r.msg, 'iptables v1.8.9 (nf_tables):  CHAIN_DEL failed (Device or resource busy): chain HARUN');
  assert.equal((await srv.run(iptables, { ...ret, state: 'absent' })).r.changed, true);
  const del = await srv.run(iptables, { chain: 'HARUN', state: 'absent', chain_management: true });
  assert.deepEqual([del.r.changed, del.trips], [true, 1], String(del.r.msg));
  assert.equal((await save()).includes('HARUN'), false);
  const none = await srv.run(iptables, { chain: 'HARUN', state: 'absent', chain_management: true });
  assert.deepEqual([none.r.changed, none.trips], [false, 1]);
});

test('iptables: wait is dropped on iptables older than 1.6.0, as Ansible drops it; a missing binary', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  // an iptables that says it is 1.4.21 (CentOS 7's) and logs the words it is given
  await srv.sh(`printf '#!/bin/sh\\necho "$*" >> /tmp/ipt.log\\n[ "$1" = --version ] && { echo "iptables v1.4.21"; exit 0; }\\nexec /usr/sbin/iptables "$@"\\n' > /usr/local/sbin/iptables && chmod 755 /usr/local/sbin/iptables`);
  const dns = { chain: 'INPUT', wait: '5', protocol: 'udp', destination_port: '53', jump: 'ACCEPT' };
  try {
    const { r, trips } = await srv.run(iptables, dns);
    assert.deepEqual([r.changed, trips, r.rule], [true, 1, '-w 5 -p udp -j ACCEPT --destination-port 53'], String(r.msg));
    assert.deepEqual((await srv.sh('cat /tmp/ipt.log')).trim().split('\n'), [
      '--version',
      '-t filter -C INPUT -p udp -j ACCEPT --destination-port 53',
      '-t filter -L INPUT --numeric',
      '-t filter -A INPUT -p udp -j ACCEPT --destination-port 53',
    ]);
  } finally {
    await srv.sh('rm -f /usr/local/sbin/iptables /tmp/ipt.log');
  }
  // 1.8.9 keeps it: -C with -w 5 finds the same rule
  const again = await srv.run(iptables, dns);
  assert.deepEqual([again.r.changed, again.trips], [false, 1]);
  assert.equal((await rules('INPUT')).at(-1), '-A INPUT -p udp -m udp --dport 53 -j ACCEPT');

  await srv.sh('mv /usr/sbin/ip6tables /usr/sbin/ip6tables.hidden');
  try {
    const { r, trips } = await srv.run(iptables, { chain: 'INPUT', ip_version: 'ipv6', jump: 'ACCEPT' });
    assert.deepEqual([r.failed, trips], [true, 1]);
    assert.match(String(r.msg), /^Failed to find required executable "ip6tables" in paths: (.*:)?\/usr\/sbin(:.*)?$/);
  } finally {
    await srv.sh('mv /usr/sbin/ip6tables.hidden /usr/sbin/ip6tables');
  }
});

test('iptables: flush a chain and a whole table; check mode leaves the rules', async (t) => {
  if (srv.skip) return t.skip(srv.skip);
  assert.ok((await rules('INPUT')).length > 1);
  const before = await save();
  const check = await srv.run(iptables, { chain: 'INPUT', flush: true }, { check: true });
  assert.deepEqual([check.r.changed, check.trips], [true, 1]);
  assert.equal(await save(), before);
  const { r, trips } = await srv.run(iptables, { chain: 'INPUT', flush: true });
  assert.deepEqual([r.changed, trips, r.flush, r.chain], [true, 1, true, 'INPUT']);
  assert.deepEqual(await rules('INPUT'), ['-P INPUT ACCEPT']);
  assert.ok((await rules('OUTPUT')).length > 1);
  // flush always reports a change, as Ansible's does; without a chain the whole table goes
  const all = await srv.run(iptables, { flush: true });
  assert.deepEqual([all.r.changed, all.r.chain], [true, null]);
  assert.deepEqual(await rules(), ['-P INPUT ACCEPT', '-P FORWARD ACCEPT', '-P OUTPUT ACCEPT']);
  assert.ok((await rules('', 'iptables', 'nat')).length > 4, 'the nat table is another table');
  await srv.run(iptables, { table: 'nat', flush: true });
  await srv.run(iptables, { ip_version: 'ipv6', flush: true });
  assert.equal((await save()).includes('-A '), false);

  const neither = await srv.run(iptables, {});
  assert.deepEqual([neither.r.failed, neither.r.msg], [true, 'Either chain or flush parameter must be specified.']);
});
