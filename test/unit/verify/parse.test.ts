import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  findService, holdersOf, parseIpvsadm, parseKeepalivedConf, parseKeyValues, parseProbeLog, parseSyncDaemons, parseTraffic, sections,
} from '../../../src/verify/parse.js';
import { parseAddrLines } from '../../../src/facts/network.js';

const IP_O_ADDR = [
  '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
  '1: lo    inet 10.222.2.100/32 scope global lo:0\\       valid_lft forever preferred_lft forever',
  '1: lo    inet6 ::1/128 scope host noprefixroute \\       valid_lft forever preferred_lft forever',
  '2: eth0    inet 10.222.2.1/24 brd 10.222.2.255 scope global eth0\\       valid_lft forever preferred_lft forever',
  '2: eth0    inet 10.222.2.100/32 scope global eth0\\       valid_lft forever preferred_lft forever',
  '3: eth1@if12    inet 172.17.0.2/16 brd 172.17.255.255 scope global secondary eth1\\       valid_lft forever preferred_lft forever',
  '2: eth0    inet6 fe80::5054:ff:fede:201/64 scope link \\       valid_lft forever preferred_lft forever',
].join('\n');

test('ip -o addr: device, family, address, prefix, label, broadcast and scope of every line', () => {
  const a = parseAddrLines(IP_O_ADDR);
  assert.equal(a.length, 7);
  assert.deepEqual(a[1], { dev: 'lo', family: 'inet', address: '10.222.2.100', prefix: 32, label: 'lo:0', scope: 'global' });
  assert.deepEqual(a[3], { dev: 'eth0', family: 'inet', address: '10.222.2.1', prefix: 24, label: 'eth0', broadcast: '10.222.2.255', scope: 'global' });
  // the peer suffix of a veth is not part of the device name, flags are not the label
  assert.deepEqual(a[5], { dev: 'eth1', family: 'inet', address: '172.17.0.2', prefix: 16, label: 'eth1', broadcast: '172.17.255.255', scope: 'global' });
  assert.equal(a[6].family, 'inet6');
  assert.equal(a[6].address, 'fe80::5054:ff:fede:201');
});

test('holdersOf finds the VIP whatever its prefix, and nothing for a mere prefix match', () => {
  const a = parseAddrLines(IP_O_ADDR);
  assert.deepEqual(holdersOf(a, '10.222.2.100').map((x) => x.label), ['lo:0', 'eth0']);
  assert.deepEqual(holdersOf(a, '10.222.2.10'), []);
  assert.deepEqual(holdersOf(parseAddrLines(''), '10.222.2.100'), []);
});

const IPVSADM = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.222.2.100:80 rr
  -> 10.222.2.30:80               Route   1      0          3
  -> 10.222.2.40:80               Route   2      1          2
UDP  10.222.2.100:53 wlc persistent 50
  -> 10.222.2.30:53               Masq    1      0          0
`;

test('ipvsadm -Ln: services with scheduler and their real servers', () => {
  const s = parseIpvsadm(IPVSADM);
  assert.equal(s.length, 2);
  assert.deepEqual(
    { proto: s[0].proto, address: s[0].address, port: s[0].port, scheduler: s[0].scheduler },
    { proto: 'TCP', address: '10.222.2.100', port: 80, scheduler: 'rr' },
  );
  assert.deepEqual(s[0].reals, [
    { address: '10.222.2.30', port: 80, forward: 'Route', weight: 1, conns: 3 },
    { address: '10.222.2.40', port: 80, forward: 'Route', weight: 2, conns: 3 },
  ]);
  assert.equal(s[1].scheduler, 'wlc');
  assert.equal(s[1].reals[0].forward, 'Masq');
  assert.equal(findService(s, '10.222.2.100', 80), s[0]);
  assert.equal(findService(s, '10.222.2.100', 8080), undefined);
});

test('ipvsadm -Ln on an empty table and ipvsadm -Ln --stats', () => {
  assert.deepEqual(parseIpvsadm('IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n'), []);
  const stats = parseIpvsadm(`IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes
  -> RemoteAddress:Port
TCP  10.222.2.100:80                    40      240        0    15920        0
  -> 10.222.2.30:80                     20      120        0     7960        0
  -> 10.222.2.40:80                     20      120        0     7960        0
`);
  assert.equal(stats.length, 1);
  assert.equal(stats[0].conns, 40);
  assert.deepEqual(stats[0].reals.map((r) => r.conns), [20, 20]);
});

test('keepalived.conf: priority, advert_int, state, nopreempt and lb_algo; comments ignored', () => {
  const c = parseKeepalivedConf(`! Managed by harun
global_defs {
   router_id lb2
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    priority 90      # the backup
    advert_int 2
    nopreempt
}
virtual_server 10.222.2.100 80 {
    lb_algo wrr
}`);
  assert.deepEqual(c, { state: 'BACKUP', priority: 90, advertInt: 2, nopreempt: true, lbAlgo: 'wrr', vrrpVersion: undefined, lvsSync: undefined });
  assert.deepEqual(parseKeepalivedConf(''), { state: undefined, priority: undefined, advertInt: undefined, nopreempt: false, lbAlgo: undefined, vrrpVersion: undefined, lvsSync: undefined });
  assert.equal(parseKeepalivedConf('    # nopreempt\n').nopreempt, false);
});

test('probe log: uptime tied to the epoch; the answer at the uptime after curl, the send time_total before it, curl\'s start-up; malformed lines counted', () => {
  // epoch 1700000000000 read between uptimes 100.00 and 100.02: epoch = uptime + 1699999900000 - 10
  const { samples, malformed } = parseProbeLog(
    [
      'E 1700000000000 100.00 100.02',
      '100.20 0 22222 200 0.004100 100.21',
      // curl took 1.5 s to start on a loaded client: the request left at 101.60, not 100.10
      '100.10 0 11111 200 0.003000 101.61',
      '100.30 28 000 0.501000 100.85',
      '100.40 0 two words 200 0.010 100.42',
      '100.50 0 oops 500 0.010 100.52',
      'garbage',
      '1700000000%3N 0 11111 200 0.003 100.11',
      // cut by the end of the probe: no uptime after curl
      '100.60 0 11111 200 0.003',
      '',
    ].join('\n'),
  );
  const at = (uptimeMs: number) => 1699999900000 - 10 + uptimeMs;
  assert.equal(malformed, 3);
  assert.deepEqual(samples.map((s) => s.sent), [at(100206), at(100349), at(100410), at(100510), at(101607)]);
  assert.deepEqual(samples[4], { sent: at(101607), done: at(101610), launchMs: 1507, rc: 0, status: 200, ok: true, body: '11111' });
  assert.deepEqual({ ok: samples[1].ok, rc: samples[1].rc, done: samples[1].done, launchMs: samples[1].launchMs, body: samples[1].body }, { ok: false, rc: 28, done: at(100850), launchMs: 49, body: '' });
  assert.equal(samples[2].body, 'two words');
  assert.equal(samples[3].ok, false, 'an HTTP 500 is not a good answer');
  // never sent before the read before curl (10 ms steps can put it there)
  assert.equal(parseProbeLog('E 1700000000000 100.00 100.00\n100.90 0 x 200 0.5 101.00').samples[0].sent, 1700000000000 + 900);
  // without the epoch line no request can be placed in time
  assert.deepEqual(parseProbeLog('100.90 0 x 200 0.5 101.00'), { samples: [], malformed: 1 });
});

test('traffic answers, key=value lines and sections', () => {
  assert.deepEqual(parseTraffic('ok 11111\nok 22222\nfail rc=7 curl: (7) Failed to connect\n\n'), {
    bodies: ['11111', '22222'],
    failures: ['rc=7 curl: (7) Failed to connect'],
  });
  const kv = parseKeyValues('net.ipv4.conf.all.arp_ignore=1\nnet.ipv4.conf.lo.arp_announce=\nnonsense\n');
  assert.equal(kv.get('net.ipv4.conf.all.arp_ignore'), '1');
  assert.equal(kv.get('net.ipv4.conf.lo.arp_announce'), '');
  assert.equal(kv.size, 2);
  const s = sections('noise\n--- addr\na\nb\n--- ipvs\nno-ipvs\n--- conf\n');
  assert.deepEqual([...s], [['addr', 'a\nb'], ['ipvs', 'no-ipvs'], ['conf', '']]);
});

test('keepalived.conf: VRRP version and the sync daemon as the keepalived role renders them', () => {
  const c = parseKeepalivedConf('global_defs {\n   router_id lb1\n   vrrp_version 3\n   lvs_sync_daemon eth0 VI_1 id 51\n}\nvrrp_instance VI_1 {\n    advert_int 0.1\n}\n');
  assert.equal(c.vrrpVersion, 3);
  assert.equal(c.advertInt, 0.1);
  assert.deepEqual(c.lvsSync, { iface: 'eth0', instance: 'VI_1' });
  assert.deepEqual(parseKeepalivedConf('global_defs {\n lvs_sync_daemon eth1 inst VI_2 maxlen 1400\n}\n').lvsSync, { iface: 'eth1', instance: 'VI_2' });
  assert.deepEqual(parseKeepalivedConf('global_defs {\n lvs_sync_daemon eth1 id 7\n}\n').lvsSync, { iface: 'eth1', instance: undefined });
  const none = parseKeepalivedConf('vrrp_instance VI_1 {\n    version 2\n}\n! lvs_sync_daemon eth0 VI_1\n');
  assert.equal(none.lvsSync, undefined);
  assert.equal(none.vrrpVersion, 2);
});

test('ipvsadm -L --daemon: the master and backup sync daemons', () => {
  const text = 'master sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\nbackup sync daemon (mcast=eth0, syncid=51, maxlen=1472, group=224.0.0.81, port=8848)\n';
  assert.deepEqual(parseSyncDaemons(text), { master: { iface: 'eth0', syncid: 51 }, backup: { iface: 'eth0', syncid: 51 } });
  assert.deepEqual(parseSyncDaemons(''), {});
});
