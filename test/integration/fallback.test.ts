/**
 * The module fallback against a real host (a loopback sshd): modules harun has no native
 * implementation for, from ansible.builtin and three collections, each converging, idempotent on
 * the rerun, and leaving the host untouched in check mode; every per-task outcome and the files
 * they leave are compared with ansible-playbook's on the same host.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleet, type Fleet } from '../fixtures/sshd.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const HARUN = join(ROOT, 'bin/harun.js');
const SITE = join(ROOT, 'test/fixtures/fallback/site.yml');
const HAVE_ANSIBLE = (() => {
  try {
    execFileSync('ansible-playbook', ['--version'], { stdio: 'ignore' });
    return existsSync('/usr/lib/python3/dist-packages/ansible_collections/community/general');
  } catch {
    return false;
  }
})();

let fleet: Fleet;
let work: string;
let inv: string;
const bases: string[] = [];

function newBase(): string {
  const b = mkdtempSync(join(tmpdir(), 'harun-fb-'));
  chmodSync(b, 0o777);
  bases.push(b);
  return b;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd: work, maxBuffer: 1 << 26, env: { ...process.env, ...env } }, (e, out, err) => res({ code: e ? Number((e as any).code) : 0, out, err }));
  });
}

/** Each task's outcome on the host, in order: 'changed' | 'ok' | 'failed' | 'skipped'. */
type Outcomes = [string, string][];

function outcomes(doc: any): Outcomes {
  const host = fleet.hosts[0].name;
  return doc.plays.flatMap((p: any) => p.tasks.map((t: any) => {
    const r = t.hosts[host];
    const s = r.failed ? 'failed' : r.skipped ? 'skipped' : r.changed ? 'changed' : 'ok';
    return [t.task.name, s];
  }));
}

async function harun(base: string, ...extra: string[]): Promise<Outcomes> {
  const r = await run('node', [HARUN, 'play', SITE, '-i', inv, '-e', `base=${base}`, '-e', `host_key='${fleet.hostPublicKey}'`, '--output', 'json', ...extra]);
  let doc: any;
  try {
    doc = JSON.parse(r.out);
  } catch {
    assert.fail(`harun printed no JSON (exit ${r.code}): ${r.err}\n${r.out.slice(-3000)}`);
  }
  return outcomes(doc);
}

const ansible = (base: string, ...extra: string[]) => runAnsible(SITE, base, ...extra);

async function runAnsible(play: string, base: string, ...extra: string[]): Promise<Outcomes> {
  const r = await run('ansible-playbook', [play, '-i', inv, '-e', `base=${base}`, '-e', `host_key='${fleet.hostPublicKey}'`, ...extra], {
    ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_PIPELINING: '1', ANSIBLE_PYTHON_INTERPRETER: 'auto_silent', ANSIBLE_NOCOLOR: '1',
  });
  let doc: any;
  try {
    doc = JSON.parse(r.out.slice(r.out.indexOf('{')));
  } catch {
    assert.fail(`ansible-playbook printed no JSON (exit ${r.code}): ${r.err}\n${r.out.slice(-3000)}`);
  }
  return outcomes(doc);
}

const mounted = (p: string) => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === p);

/** What a converged scratch directory holds, with its own path taken out (to compare two). */
function state(base: string): Record<string, string> {
  const read = (f: string) => (existsSync(join(base, f)) ? readFileSync(join(base, f), 'utf8').split(base).join('BASE') : '(absent)');
  const pub = read('id_test.pub').split(' ');
  return {
    'app.ini': read('app.ini'),
    'limits.conf': read('limits.conf'),
    known_hosts: read('known_hosts'),
    fstab: read('fstab'),
    'id_test.pub': pub.length > 1 ? `${pub[0]} <key> ${pub.slice(2).join(' ')}` : pub[0],
    mounted: String(mounted(join(base, 'mnt'))),
  };
}

before(async () => {
  fleet = await startFleet({ count: 1, prefix: 'fb' });
  work = mkdtempSync(join(tmpdir(), 'harun-fbw-'));
  inv = join(work, 'hosts.ini');
  writeFileSync(inv, fleet.inventory);
});

after(async () => {
  for (const b of bases) {
    if (mounted(join(b, 'mnt'))) execFileSync('umount', [join(b, 'mnt')]);
    rmSync(b, { recursive: true, force: true });
  }
  await fleet?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const EXPECT_FIRST: Outcomes = [
  ['scratch directory', 'changed'],
  ['community.general listen_ports_facts (read only, sets facts)', 'ok'],
  ['the facts listen_ports_facts set', 'ok'],
  ['builtin known_hosts, Ansible\'s module code asked for with harun_fallback', 'changed'],
  ['community.general ini_file', 'changed'],
  ['community.general pam_limits, short name routed through ansible-core\'s runtime.yml', 'changed'],
  ['community.crypto openssh_keypair', 'changed'],
  ['ansible.posix mount (a bind mount, recorded in a scratch fstab)', 'changed'],
];

test('fallback modules converge, rerun unchanged, and match ansible-playbook on the same host', { skip: !HAVE_ANSIBLE && 'ansible-playbook or Debian\'s ansible collections are not installed' }, async () => {
  const ours = newBase();
  assert.deepEqual(await harun(ours), EXPECT_FIRST);
  const converged = state(ours);
  assert.match(converged['app.ini'], /\[server\]\nport = 8080/);
  assert.match(converged['limits.conf'], /^harun\s+soft\s+nofile\s+4096$/m);
  assert.match(converged.known_hosts, /^example\.test ssh-ed25519 /m);
  assert.match(converged.fstab, /^BASE\/src BASE\/mnt none bind 0 0$/m);
  assert.match(converged['id_test.pub'], /^ssh-ed25519 <key> harun-fallback/);
  assert.equal(converged.mounted, 'true');
  assert.equal((execFileSync('stat', ['-c', '%a', join(ours, 'app.ini')], { encoding: 'utf8' })).trim(), '640');

  const again = await harun(ours);
  assert.deepEqual(again, EXPECT_FIRST.map(([n, s]) => [n, s === 'changed' ? 'ok' : s]), 'the rerun changes nothing');
  assert.deepEqual(state(ours), converged);

  const theirs = newBase();
  assert.deepEqual(await ansible(theirs), EXPECT_FIRST, 'ansible-playbook: the same outcomes');
  assert.deepEqual(state(theirs), converged, 'ansible-playbook leaves the same files');
  assert.deepEqual(await ansible(theirs), again, 'ansible-playbook: the same rerun');
});

test('check mode through the fallback leaves the host untouched, as under ansible-playbook', { skip: !HAVE_ANSIBLE && 'ansible-playbook or Debian\'s ansible collections are not installed' }, async () => {
  const ours = newBase();
  const checked = await harun(ours, '--check');
  // community.general's pam_limits and ansible.posix's mount create their (empty) files before
  // they look at check mode: the modules' own doing, the same under ansible-playbook; nothing
  // else may appear
  const left = (b: string) => readdirSync(b).map((f) => `${f}:${readFileSync(join(b, f), 'utf8').length}`);
  assert.deepEqual(left(ours), ['fstab:0', 'limits.conf:0'], 'nothing written in check mode');
  assert.equal(mounted(join(ours, 'mnt')), false);
  assert.deepEqual(checked.filter(([, s]) => s === 'failed'), [], 'no task failed');
  assert.deepEqual(checked.filter(([, s]) => s === 'changed').length, 6, 'check mode reports what would change');
  const theirs = newBase();
  assert.deepEqual(await ansible(theirs, '--check'), checked, 'ansible-playbook --check: the same outcomes');
  assert.deepEqual(left(theirs), left(ours));
});

test('loop, when and register over a fallback task; -vvv says native or fallback; no_log; no python', { skip: !HAVE_ANSIBLE && "Debian's ansible collections are not installed" }, async () => {
  const base = newBase();
  const r = await run('node', [HARUN, 'play', join(ROOT, 'test/fixtures/fallback/edge.yml'), '-i', inv, '-e', `base=${base}`, '-vvv', '--output', 'plain']);
  assert.equal(r.code, 2, 'the python-less task fails the host');
  assert.match(readFileSync(join(base, 'loop.ini'), 'utf8'), /^\[s\]\na = v\nc = v\n$/m);
  assert.match(r.out, /a loop with when over a fallback module: community\.general\.ini_file through the fallback \(Ansible's module code, \S+ini_file\.py\)/);
  assert.match(r.out, /native: assert runs natively/);
  assert.match(r.out, /a native module asked to run as Ansible's: ansible\.builtin\.getent through the fallback \(Ansible's module code, \S+getent\.py\)/);
  assert.match(r.out, /harun_fallback: copy cannot run through Ansible's module code \(Ansible runs it through an action plugin on the controller\)/);
  assert.match(r.out, /module community\.general\.ini_file is not native to harun: it runs Ansible's own Python code, and this host has no python3 .*native modules, which need no Python: .*copy/);
  assert.ok(!r.out.includes('hunter2-secret'), 'no_log hides the secret');
  assert.match(readFileSync(join(base, 'secret.ini'), 'utf8'), /password = hunter2-secret/);
});

test('chattr attributes and SELinux arguments on native file modules go through Ansible\'s file module', { skip: !HAVE_ANSIBLE && 'ansible-core is not installed' }, async () => {
  const play = join(ROOT, 'test/fixtures/fallback/attributes.yml');
  const once = async (base: string, ...extra: string[]) => {
    const r = await run('node', [HARUN, 'play', play, '-i', inv, '-e', `base=${base}`, '--output', 'json', ...extra]);
    return outcomes(JSON.parse(r.out));
  };
  const lsattr = (base: string) => execFileSync('lsattr', ['-d', join(base, 'attr.txt')], { encoding: 'utf8' }).split(' ')[0];
  const ours = newBase();
  const first = await once(ours);
  assert.deepEqual(first.map(([, s]) => s), ['changed', 'ok']);
  assert.match(lsattr(ours), /A/);
  // Ansible's file module compares '+A' with the whole flag string ('Ae' on ext4), so it reports
  // a change on every run: the rerun is compared with ansible-playbook's rather than assumed
  const again = await once(ours);
  const theirs = newBase();
  const a1 = await runAnsible(play, theirs);
  assert.deepEqual(a1, first, 'ansible-playbook: the same first run');
  assert.equal(lsattr(theirs), lsattr(ours));
  assert.deepEqual(await runAnsible(play, theirs), again, 'ansible-playbook: the same rerun');
  execFileSync('chattr', ['-A', join(ours, 'attr.txt')]);
  assert.deepEqual((await once(ours, '--check')).map(([, s]) => s), ['changed', 'ok']);
  assert.doesNotMatch(lsattr(ours), /A/, 'check mode left the flags alone');
});
