/**
 * Vaulted data in a playbook on a loopback sshd fleet: vaulted group_vars, an inline !vault in a
 * role default, a vaulted template source. harun and ansible-playbook converge the hosts to the
 * same files; harun's output (-vvv, --diff, --output json) never shows a plaintext; no_log hides
 * a task's command and result at every verbosity; a wrong password, a changed file and a missing
 * vault id stop the run with exit 4 before any host is touched.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { installed } from '../helpers/tools.js';
import assert from 'node:assert/strict';
import { encrypt } from '../../src/vault/crypto.js';
import { startFleet, type Fleet } from '../fixtures/sshd.js';

const HARUN = join(resolve(import.meta.dirname, '../../..'), 'bin/harun.js');
const PASSWORD = 'play-vault-pw-5e8a';
const GV = 'GV-PLAINTEXT-4d1c';
const INLINE = 'INLINE-PLAINTEXT-9f2a';
const TEMPLATE = 'TEMPLATE-PLAINTEXT-77e1';
const MARKER = 'NOLOG-MARKER-31337';
const FILE = 'FILE-PLAINTEXT-c0ffee';
const PLAINTEXTS = [GV, INLINE, TEMPLATE, PASSWORD, FILE];

let fleet: Fleet;
let work: string;
let BASE: string;
const w = (...p: string[]) => join(work, ...p);

interface Run {
  code: number | null;
  out: string;
}

function exec(cmd: string, args: string[]): Promise<Run> {
  const env = { ...process.env, HARUN_IT_BASE: BASE, ANSIBLE_HOST_KEY_CHECKING: 'False', ANSIBLE_NOCOLOR: '1', ANSIBLE_PIPELINING: '1' };
  return new Promise((res) => {
    execFile(cmd, args, { cwd: work, env, maxBuffer: 1 << 26 }, (err, stdout, stderr) => res({ code: err ? ((err as any).code as number) : 0, out: stdout + stderr }));
  });
}
const harun = (...args: string[]) => exec('node', [HARUN, 'play', '-i', 'hosts.ini', ...args]);
const ansible = (...args: string[]) => exec('ansible-playbook', ['-i', 'hosts.ini', ...args]);


/** Every file under BASE with its text and mode: what the hosts were converged to. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of readdirSync(BASE).sort()) {
    for (const f of readdirSync(join(BASE, h)).sort()) {
      const p = join(BASE, h, f);
      out[`${h}/${f}`] = `${(statSync(p).mode & 0o777).toString(8)} ${readFileSync(p, 'utf8')}`;
    }
  }
  return out;
}

function clearBase(): void {
  for (const h of readdirSync(BASE)) rmSync(join(BASE, h), { recursive: true, force: true });
}

function noPlaintext(r: Run, what: string): void {
  for (const p of PLAINTEXTS) assert.ok(!r.out.includes(p), `${what}: ${p} shows in the output:\n${r.out.slice(0, 4000)}`);
}

const indent = (text: string, n: number) => text.trimEnd().split('\n').join('\n' + ' '.repeat(n));

before(async () => {
  fleet = await startFleet({ count: 2, prefix: 'vh' });
  work = mkdtempSync(join(tmpdir(), 'harun-vault-play-'));
  BASE = mkdtempSync(join(tmpdir(), 'harun-vault-it-'));
  chmodSync(BASE, 0o777); // the fleet's login user writes there
  const pw = Buffer.from(PASSWORD);
  writeFileSync(w('pw'), PASSWORD + '\n');
  writeFileSync(w('wrong'), 'not-the-password\n');
  writeFileSync(w('hosts.ini'), fleet.inventory);
  mkdirSync(w('group_vars', 'fleet'), { recursive: true });
  writeFileSync(w('group_vars', 'fleet', 'main.yml'), `base: "{{ lookup('env', 'HARUN_IT_BASE') }}"\n`);
  writeFileSync(w('group_vars', 'fleet', 'vault.yml'), encrypt(`db_password: ${GV}\n`, pw));
  for (const d of ['defaults', 'tasks', 'templates']) mkdirSync(w('roles', 'app', d), { recursive: true });
  // the inline value carries a vault id (a 1.2 envelope); --vault-password-file still opens it
  writeFileSync(w('roles', 'app', 'defaults', 'main.yml'), `app_user: app\napp_token: !vault |\n  ${indent(encrypt(INLINE, pw, 'inline'), 2)}\n`);
  writeFileSync(w('roles', 'app', 'templates', 'app.conf.j2'), encrypt(`# ${TEMPLATE}\nuser={{ app_user }}\npassword={{ db_password }}\ntoken={{ app_token }}\n`, pw));
  writeFileSync(
    w('roles', 'app', 'tasks', 'main.yml'),
    [
      '- file: { path: "{{ base }}/{{ inventory_hostname }}", state: directory, mode: "0755" }',
      '- template: { src: app.conf.j2, dest: "{{ base }}/{{ inventory_hostname }}/app.conf", mode: "0600" }',
      '- copy: { content: "{{ db_password }}\\n", dest: "{{ base }}/{{ inventory_hostname }}/db.txt", mode: "0600" }',
      '- command: echo {{ app_token }}',
      '  register: echoed',
      '  changed_when: false',
      '',
    ].join('\n'),
  );
  writeFileSync(w('site.yml'), '- hosts: fleet\n  gather_facts: false\n  roles: [app]\n');
  writeFileSync(
    w('nolog.yml'),
    `- hosts: vh1
  gather_facts: false
  vars:
    marker: ${MARKER}
  tasks:
    - file: { path: "{{ base }}/vh1", state: directory }
    - command: echo {{ marker }}
      register: out
      no_log: true
    - copy: { content: "{{ marker }}\\n", dest: "{{ base }}/vh1/nolog.txt" }
      no_log: true
    - shell: echo {{ item }}
      loop: ["{{ marker }}"]
      no_log: true
    - debug: { msg: "asked for: {{ out.stdout }}" }
`,
  );
  // copy and unarchive sources: a vaulted text file and a vaulted tar archive
  mkdirSync(w('files', 'tree'), { recursive: true });
  writeFileSync(w('files', 'tree', 'inner.txt'), 'from the archive\n');
  writeFileSync(w('files', 'secret.txt'), encrypt(`${FILE}\n`, pw));
  execFileSync('tar', ['-cf', w('files', 'bundle.tar'), '-C', w('files', 'tree'), 'inner.txt']);
  writeFileSync(w('files', 'bundle.tar'), encrypt(readFileSync(w('files', 'bundle.tar')), pw));
  writeFileSync(
    w('files.yml'),
    `- hosts: vh2
  gather_facts: false
  tasks:
    - file: { path: "{{ base }}/vh2/unpacked", state: directory }
    - copy: { src: secret.txt, dest: "{{ base }}/vh2/secret.txt" }
    - copy: { src: secret.txt, dest: "{{ base }}/vh2/secret.raw", decrypt: false }
    - unarchive: { src: bundle.tar, dest: "{{ base }}/vh2/unpacked" }
`,
  );
});

after(async () => {
  await fleet?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (BASE) rmSync(BASE, { recursive: true, force: true });
});

let harunState: Record<string, string>;

test('harun converges with vaulted group_vars, an inline !vault default and a vaulted template; -vvv, --diff and json show no plaintext', async () => {
  clearBase();
  const first = await harun('site.yml', '--vault-password-file', 'pw', '-vvv', '--output', 'plain');
  assert.equal(first.code, 0, first.out);
  noPlaintext(first, 'first run at -vvv');
  assert.match(first.out, /\*{8}/, 'the command line and results show the mask');
  for (const h of ['vh1', 'vh2']) {
    assert.equal(readFileSync(join(BASE, h, 'app.conf'), 'utf8'), `# ${TEMPLATE}\nuser=app\npassword=${GV}\ntoken=${INLINE}\n`, 'hosts get the real values');
    assert.equal(readFileSync(join(BASE, h, 'db.txt'), 'utf8'), `${GV}\n`);
  }
  harunState = snapshot();

  writeFileSync(join(BASE, 'vh1', 'db.txt'), 'old value\n');
  writeFileSync(join(BASE, 'vh1', 'app.conf'), `# ${TEMPLATE}\nuser=app\npassword=old\ntoken=${INLINE}\n`);
  const diff = await harun('site.yml', '--vault-password-file', 'pw', '--diff', '-vvv', '--output', 'plain');
  assert.equal(diff.code, 0, diff.out);
  assert.match(diff.out, /-old value\n\+\*{8}/, 'the diff is shown, the new value masked');
  assert.match(diff.out, /-password=old\n\+\*{8}/);
  noPlaintext(diff, '--diff');

  writeFileSync(join(BASE, 'vh2', 'db.txt'), 'old value\n');
  const json = await harun('site.yml', '--vault-password-file', 'pw', '--diff', '-vvv', '--output', 'json');
  assert.equal(json.code, 0, json.out);
  noPlaintext(json, '--output json');
  const doc = JSON.parse(json.out.slice(json.out.indexOf('{')));
  assert.equal(doc.stats.vh2.changed, 1);
  assert.deepEqual(snapshot(), harunState);
});

test('ansible-playbook converges to the same files, and each tool finds nothing to change after the other', { skip: !installed('ansible-playbook') && 'ansible-playbook is not installed' }, async () => {
  clearBase();
  const theirs = await ansible('site.yml', '--vault-password-file', 'pw');
  assert.equal(theirs.code, 0, theirs.out);
  assert.deepEqual(snapshot(), harunState, 'the same files, texts and modes');
  const ours = await harun('site.yml', '--vault-password-file', 'pw', '--output', 'json');
  assert.equal(ours.code, 0, ours.out);
  const stats = JSON.parse(ours.out).stats;
  for (const h of ['vh1', 'vh2']) assert.equal(stats[h].changed, 0, `harun after ansible-playbook changed ${h}`);
  const again = await ansible('site.yml', '--vault-id', 'inline@pw', '--vault-password-file', 'pw');
  assert.equal(again.code, 0, again.out);
  for (const h of ['vh1', 'vh2']) assert.match(again.out, new RegExp(`${h}\\s*: ok=4\\s+changed=0 `), `ansible-playbook after harun on ${h}`);
});

test('copy and unarchive send a vaulted src decrypted; copy with decrypt: false sends it as it is', async () => {
  clearBase();
  const r = await harun('files.yml', '--vault-password-file', 'pw', '-vvv', '--diff', '--output', 'plain');
  assert.equal(r.code, 0, r.out);
  noPlaintext(r, 'copy/unarchive at -vvv --diff');
  assert.equal(readFileSync(join(BASE, 'vh2', 'secret.txt'), 'utf8'), `${FILE}\n`);
  assert.equal(readFileSync(join(BASE, 'vh2', 'secret.raw'), 'utf8'), readFileSync(w('files', 'secret.txt'), 'utf8'));
  assert.equal(readFileSync(join(BASE, 'vh2', 'unpacked', 'inner.txt'), 'utf8'), 'from the archive\n');
});

/** The lines of plain output that show the marker: only the debug the playbook asked for. */
function markerLines(out: string): string[] {
  return out.split('\n').filter((l) => l.includes(MARKER));
}

test('no_log hides command and result at -v, -vv, -vvv, with --diff and in json: only the explicit debug shows the marker', async () => {
  const variants = [['-v'], ['-vv'], ['-vvv'], ['-vvv', '--diff']];
  for (const v of variants) {
    rmSync(join(BASE, 'vh1', 'nolog.txt'), { force: true });
    const r = await harun('nolog.yml', '--vault-password-file', 'pw', '--output', 'plain', ...v);
    assert.equal(r.code, 0, r.out);
    const lines = markerLines(r.out);
    assert.equal(lines.length, 1, `${v.join(' ')}: the marker shows outside the debug:\n${lines.join('\n')}`);
    assert.match(lines[0], /^ok: \[vh1\] => .*"msg":"asked for: NOLOG-MARKER-31337"/);
    assert.match(r.out, /\(item=None\)/, 'a no_log loop shows its item as None');
    assert.equal(readFileSync(join(BASE, 'vh1', 'nolog.txt'), 'utf8'), `${MARKER}\n`, 'the host got the value');
  }
  rmSync(join(BASE, 'vh1', 'nolog.txt'), { force: true });
  const j = await harun('nolog.yml', '--vault-password-file', 'pw', '--output', 'json', '-vvv', '--diff');
  assert.equal(j.code, 0, j.out);
  const doc = JSON.parse(j.out);
  const tasks = doc.plays[0].tasks;
  const debug = tasks.pop();
  assert.equal(debug.hosts.vh1.msg, `asked for: ${MARKER}`);
  assert.ok(!JSON.stringify(doc).includes(MARKER), `json shows the marker outside the debug: ${JSON.stringify(tasks)}`);
});

test('ansible-playbook -vvv shows the same: the marker only in the debug', { skip: !installed('ansible-playbook') && 'ansible-playbook is not installed' }, async () => {
  const r = await ansible('nolog.yml', '--vault-password-file', 'pw', '-vvv');
  assert.equal(r.code, 0, r.out);
  const lines = markerLines(r.out);
  assert.ok(lines.length >= 1 && lines.every((l) => l.includes('asked for:')), lines.join('\n'));
});

test('a wrong password, a changed file and a missing vault id exit 4 before any host is touched; no password is fine when nothing vaulted is used', async () => {
  clearBase();
  const wrong = await harun('site.yml', '--vault-password-file', 'wrong', '--output', 'plain');
  assert.equal(wrong.code, 4, wrong.out);
  assert.match(wrong.out, /decryption failed on .*roles\/app\/defaults\/main\.yml:2:\d+: it was encrypted with vault id 'inline', which was not given, and no other vault password opens it/);

  // the inline value's vault id is given, with the wrong password
  const missing = await harun('site.yml', '--vault-id', 'inline@wrong', '--output', 'plain');
  assert.equal(missing.code, 4, missing.out);
  assert.match(missing.out, /decryption failed on .*roles\/app\/defaults\/main\.yml:2:\d+: the vault password is wrong/);

  const none = await harun('site.yml', '--output', 'plain');
  assert.equal(none.code, 4, none.out);
  assert.match(none.out, /is encrypted with Ansible Vault and no vault password was given: give it with --vault-password-file/);

  const file = w('group_vars', 'fleet', 'vault.yml');
  const good = readFileSync(file, 'utf8');
  const lines = good.split('\n');
  // one byte of the payload (a hex digit of the inner text, 0x30-0x39) becomes another digit: the
  // inner text stays hexadecimal and only the HMAC can tell. Byte-aligned, or the edit could span
  // two bytes and make a non-hex character (the salt is random, so that happened now and then).
  let at = -1;
  for (let i = 0; i + 1 < lines[3].length && at < 0; i += 2) if (/^3[0-9]$/.test(lines[3].slice(i, i + 2))) at = i;
  assert.ok(at >= 0, `no digit byte in ${lines[3]}`);
  lines[3] = lines[3].slice(0, at + 1) + ((Number(lines[3][at + 1]) + 1) % 10) + lines[3].slice(at + 2);
  writeFileSync(file, lines.join('\n'));
  try {
    const tampered = await harun('site.yml', '--vault-password-file', 'pw', '--output', 'plain');
    assert.equal(tampered.code, 4, tampered.out);
    assert.match(tampered.out, /decryption failed on .*group_vars\/fleet\/vault\.yml: the vault password is wrong or the file was changed \(its HMAC does not match\)/);
    noPlaintext(tampered, 'tampered');
  } finally {
    writeFileSync(file, good);
  }
  for (const r of [wrong, missing, none]) noPlaintext(r, 'error');
  assert.deepEqual(readdirSync(BASE), [], 'no host was touched');

  // nothing vaulted is used: no password needed (the fleet's group_vars are not loaded for localhost)
  writeFileSync(w('unused.yml'), `- hosts: localhost\n  gather_facts: false\n  vars:\n    unused: !vault |\n      ${indent(encrypt('never-needed', Buffer.from('x')), 6)}\n  tasks:\n    - debug: { msg: plain }\n`);
  const unused = await harun('unused.yml', '--output', 'plain');
  assert.equal(unused.code, 0, unused.out);
  assert.ok(!existsSync(join(BASE, 'vh1')));
});
