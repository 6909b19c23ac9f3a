import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { installed } from '../helpers/tools.js';
import assert from 'node:assert/strict';
import { startFleet, type Fleet } from '../fixtures/sshd.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const HARUN = join(ROOT, 'bin/harun.js');
const FIX = join(ROOT, 'test/fixtures/play');
let BASE: string; // HARUN_IT_BASE of test/fixtures/play/site.yml

let fleet: Fleet;
let inv: string;
let work: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json?: any;
}

function harun(args: string[], opts: { json?: boolean } = {}): Promise<Run> {
  return new Promise((res) => {
    const all = [HARUN, ...args, ...(opts.json ? ['--output', 'json'] : ['--output', 'plain'])];
    execFile('node', all, { cwd: work, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      const code = err ? ((err as any).code as number) : 0;
      let json;
      if (opts.json) {
        try {
          json = JSON.parse(stdout);
        } catch {
          /* the assertion on it reports */
        }
      }
      res({ code, stdout, stderr, json });
    });
  });
}

const recap = (r: Run) => r.json?.stats as Record<string, Record<string, number>>;

before(async () => {
  fleet = await startFleet({ count: 3, prefix: 'node' });
  work = mkdtempSync(join(tmpdir(), 'harun-play-'));
  inv = join(work, 'hosts.ini');
  writeFileSync(inv, fleet.inventory);
  // the fleet's login user writes there; the harun and ansible runs inherit the variable
  BASE = process.env.HARUN_IT_BASE = mkdtempSync(join(tmpdir(), 'harun-it-'));
  chmodSync(BASE, 0o777);
});

after(async () => {
  await fleet?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (BASE) rmSync(BASE, { recursive: true, force: true });
});

test('first run converges every host; second run reports changed=0', async () => {
  const first = await harun(['play', join(FIX, 'site.yml'), '-i', inv], { json: true });
  assert.equal(first.code, 0, first.stderr + first.stdout.slice(-3000));
  const s1 = recap(first);
  assert.deepEqual(Object.keys(s1).sort(), ['node1', 'node2', 'node3']);
  for (const h of ['node1', 'node2', 'node3']) {
    assert.ok(s1[h].changed >= 4, `${h} changed ${s1[h].changed}`);
    assert.equal(s1[h].failed, 0);
    assert.equal(s1[h].rescued, 1);
    assert.equal(readFileSync(`${BASE}/${h}/two`, 'utf8'), 'second file\n');
    assert.equal(readFileSync(`${BASE}/${h}/motd`, 'utf8'), `Host ${h}\n- one\n- two\n`);
    assert.equal(readFileSync(`${BASE}/${h}/rescued`, 'utf8'), 'first file');
    assert.ok(existsSync(`${BASE}/${h}/handler-ran`), 'handler ran');
    assert.ok(existsSync(`${BASE}/${h}/tagged`));
  }
  assert.ok(existsSync(`${BASE}/node1/only-first`));
  assert.ok(!existsSync(`${BASE}/node2/only-first`), 'when: skipped on other hosts');
  // the second play ran on fleet[1] only
  assert.equal(readFileSync(`${BASE}/node2/lines`, 'utf8'), 'extra line\n');
  assert.ok(!existsSync(`${BASE}/node1/lines`));

  rmSync(`${BASE}/node1/handler-ran`);
  const second = await harun(['play', join(FIX, 'site.yml'), '-i', inv], { json: true });
  assert.equal(second.code, 0, second.stderr);
  for (const [h, s] of Object.entries(recap(second))) assert.equal(s.changed, 0, `${h} changed on the second run`);
  assert.ok(!existsSync(`${BASE}/node1/handler-ran`), 'handler did not run without a change');
});

test('--check reports the change and leaves the file alone', async () => {
  writeFileSync(`${BASE}/node3/two`, 'edited by hand\n');
  const r = await harun(['play', join(FIX, 'site.yml'), '-i', inv, '--check', '--diff'], { json: false });
  assert.equal(r.code, 0, r.stderr + r.stdout.slice(-2000));
  assert.match(r.stdout, /node3\s*: ok=\d+\s+changed=1 /);
  assert.match(r.stdout, /-edited by hand\n\+second file/);
  assert.equal(readFileSync(`${BASE}/node3/two`, 'utf8'), 'edited by hand\n');
});

test('--limit and --tags narrow the run', async () => {
  const r = await harun(['play', join(FIX, 'site.yml'), '-i', inv, '--limit', 'node1', '--tags', 'extra'], { json: true });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(recap(r)), ['node1']);
  const names = r.json.plays[0].tasks.map((t: any) => t.task.name);
  assert.deepEqual(names, ['A tagged task']);
});

test('a typo in a role fails with exit 4 and file:line:col before any host is contacted', async () => {
  // an inventory whose host cannot be reached: had harun connected, it would exit 3
  const bad = join(work, 'unreachable.ini');
  writeFileSync(bad, '[fleet]\nghost ansible_host=127.0.0.1 ansible_port=1\n');
  const r = await harun(['play', join(FIX, 'broken.yml'), '-i', bad]);
  assert.equal(r.code, 4, r.stderr + r.stdout);
  assert.match(r.stderr, /roles\/broken\/tasks\/main\.yml:7:3: 'coppy' is not a known module \(did you mean 'copy'\?\)/);
  assert.ok(!existsSync('/tmp/harun-it-never'));
});

test('--syntax-check: no host needed (a missing ansible.cfg inventory is a warning), errors exit 4, a missing -i exits 5', () => {
  const proj = mkdtempSync(join(tmpdir(), 'harun-syntax-'));
  writeFileSync(join(proj, 'ansible.cfg'), '[defaults]\ninventory = nowhere/inventory.yml\n');
  const run = (...args: string[]) => spawnSync('node', [HARUN, 'play', '--syntax-check', ...args], { cwd: proj, encoding: 'utf8' });
  try {
    const ok = run(join(FIX, 'site.yml'));
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /playbook: .*site\.yml/);
    assert.match(ok.stderr, /inventory .*nowhere\/inventory\.yml \(from ansible\.cfg\) does not exist: checking the playbooks without it/);
    const broken = run(join(FIX, 'broken.yml'));
    assert.equal(broken.status, 4, broken.stderr);
    assert.match(broken.stderr, /roles\/broken\/tasks\/main\.yml:7:3: 'coppy' is not a known module/);
    const noInv = run(join(FIX, 'site.yml'), '-i', join(proj, 'missing.ini'));
    assert.equal(noInv.status, 5, noInv.stderr);
    assert.match(noInv.stderr, /inventory source '.*missing\.ini' does not exist/);
  } finally {
    rmSync(proj, { recursive: true, force: true });
  }
});

test('a connection cut mid-run makes that host UNREACHABLE and the others go on', async () => {
  const p = harun(['play', join(FIX, 'slow.yml'), '-i', inv], { json: true });
  // wait until the slow step runs, then kill the sshd session processes serving node2 only
  const addr = fleet.hosts[1].addr;
  let killed = 0;
  for (let i = 0; i < 50 && !killed; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const sleeping = execFileSync('sh', ['-c', 'pgrep -f "^sleep 4" || true'], { encoding: 'utf8' }).trim();
    if (!sleeping) continue;
    const ss = execFileSync('ss', ['-Htnp', 'state', 'established'], { encoding: 'utf8' });
    for (const line of ss.split('\n')) {
      if (!line.includes(`${addr}:${fleet.port} `) || !line.includes('sshd')) continue;
      for (const m of line.matchAll(/pid=(\d+)/g)) {
        try {
          process.kill(Number(m[1]), 'SIGKILL');
          killed++;
        } catch {
          /* gone */
        }
      }
    }
  }
  assert.ok(killed > 0, 'found the session of the second host');
  const r = await p;
  assert.equal(r.code, 3, r.stderr + r.stdout.slice(-2000));
  const s = recap(r);
  assert.equal(s.node2.unreachable, 1);
  assert.equal(s.node1.unreachable, 0);
  assert.equal(s.node1.ok, 3);
  assert.equal(s.node3.ok, 3);
});

test('the same playbook under ansible-playbook gives the same recap', { skip: !installed('ansible-playbook') && 'ansible-playbook is not installed' }, async () => {
  rmSync(BASE, { recursive: true, force: true });
  const ours = await harun(['play', join(FIX, 'site.yml'), '-i', inv], { json: true });
  rmSync(BASE, { recursive: true, force: true });
  const theirs = await new Promise<string>((res) => {
    const c = spawn('ansible-playbook', [join(FIX, 'site.yml'), '-i', inv], { cwd: work, env: { ...process.env, ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1', ANSIBLE_PIPELINING: '1' } });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', () => res(out));
  });
  for (const h of ['node1', 'node2', 'node3']) {
    const m = new RegExp(`${h}\\s*: ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)\\s+skipped=(\\d+)\\s+rescued=(\\d+)\\s+ignored=(\\d+)`).exec(theirs);
    assert.ok(m, `ansible recap for ${h}:\n${theirs.slice(-3000)}`);
    const s = recap(ours)[h];
    assert.deepEqual([s.ok, s.changed, s.unreachable, s.failed, s.skipped, s.rescued, s.ignored], m.slice(1).map(Number), `${h}: harun vs ansible`);
  }
});

