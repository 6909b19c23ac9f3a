import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Tests run from dist/test/unit/lvs; the role's script sits in the repository root.
const SCRIPT = join(import.meta.dirname, '..', '..', '..', '..', 'roles', 'lvs_pool', 'files', 'lvs-pool');
const SERVICE = ['TCP', '10.222.2.100:80', '10.222.2.30:80'];

/**
 * A director's ipvsadm as the script sees it: `-L -n` prints the TCP service's table, web1's row
 * with the weight in DIR/weight and the next count of DIR/active (one line per call, the last one
 * kept; DIR/absent takes the row out), and a UDP service on the same address and port that must
 * not be confused with it; `-e` records its arguments and sets the weight.
 */
function director(t: TestContext, o: { weight: number; active: number[]; absent?: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'harun-lvs-pool-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'weight'), `${o.weight}\n`);
  writeFileSync(join(dir, 'active'), o.active.join('\n') + '\n');
  if (o.absent) writeFileSync(join(dir, 'absent'), '');
  const fake = join(dir, 'ipvsadm');
  writeFileSync(fake, `#!/bin/sh
d=${dir}
case "$1" in
  -L)
    n=$(head -n1 "$d/active"); [ "$(wc -l < "$d/active")" -gt 1 ] && sed -i 1d "$d/active"
    echo "IP Virtual Server version 1.2.1 (size=4096)"
    echo "Prot LocalAddress:Port Scheduler Flags"
    echo "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"
    echo "TCP  10.222.2.100:80 rr"
    [ -e "$d/absent" ] || echo "  -> 10.222.2.30:80                Route   $(cat "$d/weight")      $n          7"
    echo "  -> 10.222.2.40:80                Route   1      3          1"
    echo "UDP  10.222.2.100:80 rr"
    echo "  -> 10.222.2.30:80                Route   5      9          0" ;;
  -e) echo "$*" >> "$d/edits"; eval "w=\\$$#"; echo "$w" > "$d/weight" ;;
esac
`);
  chmodSync(fake, 0o755);
  const run = (...args: string[]) => {
    const t0 = Date.now();
    const r = spawnSync('sh', [SCRIPT, ...args], { env: { ...process.env, IPVSADM: fake }, encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr, s: (Date.now() - t0) / 1000 };
  };
  const read = (f: string) => { try { return readFileSync(join(dir, f), 'utf8'); } catch { return ''; } };
  return { run, read };
}

test('lvs-pool weight: sets the real server\'s weight with ipvsadm -e, says changed only when it did', (t) => {
  const d = director(t, { weight: 1, active: [0] });
  const r = d.run('weight', ...SERVICE, '0');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'changed: 10.222.2.30:80 weight 1 -> 0\n');
  assert.equal(d.read('edits'), '-e -t 10.222.2.100:80 -r 10.222.2.30:80 -g -w 0\n');
  assert.equal(d.run('weight', ...SERVICE, '0').out, '10.222.2.30:80 already has weight 0\n');
  assert.equal(d.read('edits').split('\n').length, 2, 'no second edit');
});

test('lvs-pool drained: waits while connections are established, and gives up at the bound', (t) => {
  const d = director(t, { weight: 0, active: [2, 1, 0] });
  const r = d.run('drained', ...SERVICE, '10');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'drained: no established connection to 10.222.2.30:80 after 2 s\n');
  assert.ok(r.s >= 1.9 && r.s < 5, `returned after ${r.s} s`);
  // a connection that never ends: the wait ends at the bound (2 s) and the rollout goes on
  const stuck = director(t, { weight: 0, active: [1] });
  const bound = stuck.run('drained', ...SERVICE, '2');
  assert.equal(bound.code, 0, bound.err);
  assert.equal(bound.out, '1 connections to 10.222.2.30:80 still established after 2 s (the bound): going on\n');
  assert.ok(bound.s >= 1.9 && bound.s < 5, `returned after ${bound.s} s`);
});

test('lvs-pool serving: ends once the real server is in the table with a weight; fails after the bound when it is not', (t) => {
  const d = director(t, { weight: 1, active: [0] });
  const r = d.run('serving', ...SERVICE, '5');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, '10.222.2.30:80 serves with weight 1\n');
  const gone = director(t, { weight: 1, active: [0], absent: true });
  assert.equal(gone.run('weight', ...SERVICE, '1').out, '10.222.2.30:80 is not in 10.222.2.100:80\'s table: nothing to set\n');
  const missing = gone.run('serving', ...SERVICE, '1');
  assert.equal(missing.code, 1);
  assert.match(missing.err, /10\.222\.2\.30:80 is not back in 10\.222\.2\.100:80's pool after 1 s/);
});

test('lvs-pool: a wrong protocol or count is refused before ipvsadm runs', (t) => {
  const d = director(t, { weight: 1, active: [0] });
  const p = d.run('weight', 'ICMP', '10.222.2.100:80', '10.222.2.30:80', '0');
  assert.equal(p.code, 2);
  assert.match(p.err, /protocol ICMP: expected TCP, UDP or SCTP/);
  const n = d.run('drained', ...SERVICE, '3s');
  assert.equal(n.code, 2);
  assert.match(n.err, /3s: expected a whole number/);
  assert.equal(d.read('edits'), '');
});

test('lvs-pool leaving: the table\'s real servers not in the list get weight 0, then the bounded wait for all of them', (t) => {
  const d = director(t, { weight: 1, active: [0] });
  // web2 (10.222.2.40, 3 established connections that never end) is not in the new pool
  const r = d.run('leaving', 'TCP', '10.222.2.100:80', '10.222.2.30:80 10.222.2.50:80', '1');
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'changed: 10.222.2.40:80 weight 1 -> 0\n3 connections to 10.222.2.40:80 still established after 1 s (the bound): going on\n');
  assert.equal(d.read('edits'), '-e -t 10.222.2.100:80 -r 10.222.2.40:80 -g -w 0\n');
  const none = d.run('leaving', 'TCP', '10.222.2.100:80', '10.222.2.30:80 10.222.2.40:80', '1');
  assert.equal(none.out, 'no real server is leaving the pool\n');
});
